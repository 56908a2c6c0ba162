"""系统管理: system accounts, policy settings and the audit trail."""
import datetime
import json

from flask import flash, redirect, request
from flask_admin import expose
from flask_admin.helpers import get_redirect_target
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape
from werkzeug.security import generate_password_hash
from wtforms import PasswordField
from wtforms.validators import InputRequired, Optional, ValidationError

from admin import history, present
from admin.base import FilterEqual, FilterLike, SecureModelView
import models
from models import AuditLog, PolicySetting, User, db
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
    form_fieldsets = (
        ("账号", ("username", "display_name", "role", "institution", "is_active")),
        ("密码", ("password", "must_change_password")),
    )
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
    """政策参数 as versions (program/parameters.py): each parameter's history
    by its Chinese name and meaning. A change is a new version from a later
    date; a version once in force is locked whole (program/locks.py)."""
    column_list = ("name", "meaning", "value", "effective_from", "standing", "description", "updated_at")
    column_details_list = ("name", "meaning", "value", "effective_from", "standing", "description", "history",
                           "created_at", "updated_at")
    column_labels = {"name": "参数", "meaning": "含义", "standing": "状态", "history": "历次版本"}
    # A spreadsheet of the versions as stored (the key by its Chinese name).
    column_export_list = ("key", "value", "effective_from", "description", "created_at", "updated_at")
    column_sortable_list = ("effective_from", "updated_at")
    column_searchable_list = ("description",)
    column_filters = ("key", "effective_from")
    column_formatters = {"name": lambda v, c, m, p: parameters.NAMES.get(m.key, m.key),
                         "effective_from": lambda v, c, m, p: m.since(),
                         "meaning": lambda v, c, m, p: parameters.meaning(m.key),
                         "value": lambda v, c, m, p: parameters.shown_value(m),
                         "standing": lambda v, c, m, p: _standing(m),
                         "history": lambda v, c, m, p: _history(m)}
    # Each parameter's versions together, the newest first.
    column_default_sort = [("key", False), ("effective_from", True)]
    form_columns = ("key", "value", "effective_from", "description")
    form_args = {"key": {"description": "各参数的含义见列表；调整即新增一个版本，原版本保留"},
                 "value": {"description": "人数、次数、天数、月数填整数（天数 1–365，月数 1–120）；"
                                          "比例填 0 至 1 的小数（如 0.30）；金额以元为单位，留空为不设上限"},
                 "effective_from": {"description": "新版本最早自明天起生效；此前的记录仍按其当时的版本判断",
                                    "validators": [InputRequired(message="请填写生效日期")]},
                 "description": {"description": "如调整依据的文件名称、文号"}}

    def create_form(self, obj=None):
        """新增版本, opened with ?key=…: that parameter and its latest value,
        from tomorrow."""
        form = super().create_form(obj)
        key = request.args.get("key", "")
        if request.method == "GET":
            form.effective_from.data = models.today() + datetime.timedelta(days=1)
            if key in parameters.PARAMETERS:
                form.key.data = key
                latest = PolicySetting.latest(key)  # a pending one, if any: the one to adjust from
                form.value.data = latest.value if latest is not None else parameters.in_force(key)
        self._explain(form, form.key.data)
        return form

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        if "key" in form:
            del form.key  # a version belongs to its parameter for good
        self._explain(form, getattr(obj, "key", None))
        shown = getattr(form, "locked_display", {})
        if obj is not None and "effective_from" in shown:
            shown["effective_from"] = (shown["effective_from"][0], obj.since())
        return form

    @staticmethod
    def _explain(form, key):
        """The value field named and explained by its parameter, once known."""
        if "value" in form and key in parameters.PARAMETERS:
            form.value.label.text = parameters.NAMES[key]
            form.value.description = f"{parameters.NAMES[key]}：{parameters.meaning(key)}"


def _standing(setting):
    state = setting.standing()
    return Markup(f'<span class="badge state state-policy-{escape(state)}">'
                  f'{escape(PolicySetting.STANDINGS[state])}</span>')


def _history(setting):
    """The parameter's versions, newest first, this one marked."""
    rows = []
    for version in reversed(list(PolicySetting.versions(setting.key))):
        since = version.since()
        mark = ' class="table-active"' if version.id == setting.id else ""
        rows.append(f"<tr{mark}><td>{escape(since)}</td><td>{escape(parameters.shown_value(version))}</td>"
                    f"<td>{_standing(version)}</td><td>{escape(version.description or '')}</td></tr>")
    return Markup('<table class="table table-sm mb-0"><thead><tr><th>生效日期</th><th>参数值</th><th>状态</th>'
                  f'<th>调整说明</th></tr></thead><tbody>{"".join(rows)}</tbody></table>')


class OperatorFilter(FilterLike):
    """操作人: by 姓名 or login name (a failed login's tried name too)."""

    def apply(self, query, value):
        named = User.select(User.id).where(User.display_name.contains(value))
        return query.where(AuditLog.username.contains(value) | AuditLog.user.in_(named))


def _trail_cell(show):
    return lambda v, c, m, p: show(m)


class AuditLogView(SecureModelView):
    """审计日志 in plain words (admin/history.py): searched and filtered by
    the Chinese names of actions, tables and people; the stored JSON on
    each row's details page."""
    list_joins = ("user",)
    column_list = ("at", "user", "action", "model", "object_id", "changes")
    text_columns = ("object_id",)
    column_details_list = ("at", "user", "username", "action", "model", "object_id", "changes")
    column_searchable_list = ("username",)
    column_filters = (
        FilterEqual(AuditLog.action, "操作", options=history.action_options()),
        FilterEqual(AuditLog.model, "数据表", options=history.table_options()),
        OperatorFilter(AuditLog.username, "操作人"),
        "at", "object_id",
    )
    column_sortable_list = ("at", "action", "model")
    column_default_sort = ("at", True)
    column_labels = {"changes": "变更内容（前 → 后）", "object_id": "记录", "username": "登录用户名"}
    column_formatters = {
        "at": _trail_cell(lambda m: present.minute(m.at)),
        "user": _trail_cell(lambda m: m.operator),
        "action": _trail_cell(lambda m: m.action_label),
        "model": _trail_cell(lambda m: m.table_label),
        "object_id": _trail_cell(lambda m: _record_link(m)),
        "changes": _trail_cell(lambda m: history.changes_html(m.change_list, limit=6)),
    }
    column_formatters_detail = {**column_formatters, "changes": _trail_cell(lambda m: _changes_in_full(m))}
    # A spreadsheet for auditors: names in Chinese beside the codes, the JSON as stored.
    column_export_list = ("at", "username", "user", "action", "model", "object_id", "changes")
    column_formatters_export = {
        "user": lambda v, c, m, p: str(m.user) if m.user_id is not None else "",
        "action": lambda v, c, m, p: workflow.action_label(m.action, m.model),
        "model": lambda v, c, m, p: history.table_label(m.model),
    }

    def get_list(self, *args, **kwargs):
        count, rows = super().get_list(*args, **kwargs)
        return count, history.readable(rows) if isinstance(rows, list) else rows

    def get_one(self, record_id):
        row = super().get_one(record_id)
        return history.readable([row])[0] if row is not None else None

    def search_also(self, word):
        """A word may name an action, a table or a person in Chinese."""
        named = User.select(User.id).where(User.display_name.contains(word))
        return (AuditLog.action.in_(history.actions_named(word)) | AuditLog.model.in_(history.tables_named(word))
                | AuditLog.user.in_(named))

    def search_placeholder(self):
        return "搜索：操作、数据表、操作人（按 / 键）"


def _record_link(row):
    """The record the row is about, by name, linked where the user may open it."""
    if row.object_id is None:
        return ""
    text = row.record_name or f"编号 {row.object_id}"
    href = present.details_url(row.model, row.object_id) if row.model in history.MODELS else None
    return Markup(f'<a href="{escape(href)}">{escape(text)}</a>') if href else text


def _changes_in_full(row):
    """Every change in words, and the row as stored, one click away."""
    raw = json.dumps(row.changes_dict, ensure_ascii=False, indent=2) if row.changes else "{}"
    return Markup(f'{history.changes_html(row.change_list)}'
                  f'<details class="mt-2" id="raw-changes"><summary>原始记录（JSON）</summary>'
                  f'<pre class="mb-0">{escape(raw)}</pre></details>')
