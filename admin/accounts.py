"""系统管理: system accounts, policy settings and the audit trail."""
from flask import flash, redirect, request
from flask_admin import expose
from flask_admin.helpers import get_redirect_target
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape
from werkzeug.security import generate_password_hash
from wtforms import PasswordField
from wtforms.validators import InputRequired, Optional, ValidationError

from admin.base import SecureModelView
from models import db
from program import audit, parameters, passwords, workflow
from web import throttle


class PasswordPolicy:
    """passwords.problems() beside the field, with the form's own username."""

    def __call__(self, form, field):
        if field.data:
            found = passwords.problems(field.data, form.username.data, form.display_name.data)
            if found:
                raise ValidationError("；".join(found))


def lock_cell(view, context, model, name):
    until = throttle.current().locked_until(model.username)
    return f"锁定至 {until:%H:%M}" if until else ""


class UserView(SecureModelView):
    list_joins = ("institution",)
    column_list = ("username", "display_name", "role", "institution", "is_active",
                   "must_change_password", "last_login_at", "login_lock")
    column_labels = {"login_lock": "登录锁定"}
    column_formatters = {"login_lock": lock_cell}
    column_details_exclude_list = ("password_hash", "session_generation")
    column_export_exclude_list = ("password_hash", "session_generation", "login_lock")
    column_searchable_list = ("username", "display_name")
    column_filters = ("role", "is_active")
    column_sortable_list = ("username", "role", "is_active", "last_login_at")
    form_columns = ("username", "display_name", "role", "institution", "is_active",
                    "must_change_password", "password")
    form_extra_fields = {
        "password": PasswordField(
            "新密码",
            validators=[Optional(), PasswordPolicy()],
            description="新建账号时必填；编辑时留空则不修改密码。" + passwords.RULES
                        + "设置新密码后，该账号已有的登录全部失效。",
        )
    }

    def create_form(self, obj=None):
        form = super().create_form(obj)
        # A new account with no password could never log in.
        form.password.validators = [InputRequired(message="新建账号必须设置密码"), PasswordPolicy()]
        return form

    def on_model_change(self, form, model, is_created):
        if form.password.data:
            model.password_hash = generate_password_hash(form.password.data)
        if not is_created:
            before = self.model.get_by_id(model.id)
            if form.password.data or not model.is_active or model.role != before.role:
                # A reset password, a disabled account or another role: the
                # sessions signed before it end at their next request.
                model.session_generation = before.session_generation + 1

    def render(self, template, **kwargs):
        model = kwargs.get("model")
        if template == self.details_template and model is not None and self.allowed("edit"):
            until = throttle.current().locked_until(model.username)
            if until:
                kwargs["record_notice"] = Markup(
                    f'该账号因连续登录失败已被锁定至 {until:%H:%M}。'
                    f'<form method="POST" action="{escape(self.get_url(".unlock_view", id=model.id))}" '
                    f'class="d-inline ml-2"><input type="hidden" name="csrf_token" value="{escape(generate_csrf())}">'
                    f'<button type="submit" class="btn btn-sm btn-warning" id="unlock-login">解除登录锁定</button>'
                    "</form>")
        return super().render(template, **kwargs)

    @expose("/unlock/", methods=("POST",))
    def unlock_view(self):
        user = self.get_one(request.args.get("id"))
        if not throttle.current().lift(user.username):
            flash("登录计数存储暂时不可用，未能解除锁定，请稍后重试。", "error")
            return redirect(self.get_url(".details_view", id=user.id))
        with db.atomic():
            audit.record(current_user._get_current_object(), "unlock_login", self.table, user.id)
        flash(f"已解除“{user.username}”的登录锁定。", "success")
        return redirect(get_redirect_target() or self.get_url(".details_view", id=user.id))


class PolicySettingView(SecureModelView):
    column_list = ("key", "value", "description", "updated_at")
    column_searchable_list = ("key", "description")
    form_columns = ("key", "value", "description")
    column_default_sort = ("key", False)
    # The keys are the program's: chosen from them when a missing one is
    # added, never renamed afterwards (parameters.check_setting).
    form_choices = {"key": [(key, f"{key}（{spec[1]}）") for key, spec in parameters.PARAMETERS.items()]}

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        del form.key
        if obj is not None and obj.key in parameters.PARAMETERS:
            form.value.description = f"参数：{parameters.PARAMETERS[obj.key][1]}（{obj.key}）"
        return form


class AuditLogView(SecureModelView):
    column_list = ("at", "username", "action", "model", "object_id", "changes")
    column_searchable_list = ("username", "action", "model")
    column_filters = ("action", "model", "object_id", "at")
    column_sortable_list = ("at", "username", "action", "model")
    column_default_sort = ("at", True)
    column_labels = {"changes": "变更内容（前 → 后）"}
    column_formatters = {"action": lambda v, c, m, p: workflow.action_label(m.action, m.model)}
