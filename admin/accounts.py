"""系统管理: system accounts, policy settings and the audit trail."""
from werkzeug.security import generate_password_hash
from wtforms import PasswordField
from wtforms.validators import InputRequired, Length, Optional

import audit
from admin.base import SecureModelView

PASSWORD_LENGTH = Length(min=8, message="密码至少 8 位")


class UserView(SecureModelView):
    list_joins = ("institution",)
    column_list = ("username", "display_name", "role", "institution", "is_active",
                   "must_change_password", "last_login_at")
    column_details_exclude_list = ("password_hash",)
    column_export_exclude_list = ("password_hash",)
    column_searchable_list = ("username", "display_name")
    column_filters = ("role", "is_active")
    column_sortable_list = ("username", "role", "is_active", "last_login_at")
    form_columns = ("username", "display_name", "role", "institution", "is_active",
                    "must_change_password", "password")
    form_extra_fields = {
        "password": PasswordField(
            "新密码",
            validators=[Optional(), PASSWORD_LENGTH],
            description="新建账号时必填；编辑时留空则不修改密码。",
        )
    }

    def create_form(self, obj=None):
        form = super().create_form(obj)
        # A new account with no password could never log in.
        form.password.validators = [InputRequired(message="新建账号必须设置密码"), PASSWORD_LENGTH]
        return form

    def on_model_change(self, form, model, is_created):
        if form.password.data:
            model.password_hash = generate_password_hash(form.password.data)


class PolicySettingView(SecureModelView):
    column_list = ("key", "value", "description", "updated_at")
    column_searchable_list = ("key", "description")
    form_columns = ("key", "value", "description")
    column_default_sort = ("key", False)


class AuditLogView(SecureModelView):
    column_list = ("at", "username", "action", "model", "object_id", "changes")
    column_searchable_list = ("username", "action", "model")
    column_filters = ("action", "model", "object_id", "at")
    column_sortable_list = ("at", "username", "action", "model")
    column_default_sort = ("at", True)
    column_labels = {"changes": "变更内容（前 → 后）"}
    column_formatters = {"action": lambda v, c, m, p: audit.action_label(m.action, m.model)}
