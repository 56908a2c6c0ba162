"""系统管理's records of what the program did on its own account: 导入批次
(every imported file, who imported it and what it wrote, and 撤销导入 while
its records are as the import left them) and 通知邮件 (the outbox)."""
from flask import flash, redirect, request
from flask_admin import expose
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from admin import history
from admin.base import SecureModelView
from models import ImportBatch
from program.importing import apply


class ImportBatchView(SecureModelView):
    column_list = ("id", "table_name", "file_name", "username", "created_at", "row_count",
                   "created_count", "updated_count", "unchanged_count", "status")
    column_details_list = ("id", "table_name", "file_name", "sha256", "username", "created_at", "row_count",
                           "created_count", "updated_count", "unchanged_count", "status", "undone_at", "undone_by")
    column_labels = {"id": "批次", "created_at": "导入时间", "username": "导入人"}
    column_filters = ("status", "created_at")
    column_sortable_list = ("id", "created_at", "table_name")
    column_searchable_list = ("file_name", "username")
    column_formatters = {"table_name": lambda v, c, m, p: history.table_label(m.table_name),
                         "id": lambda v, c, m, p: f"第 {m.id} 批"}
    column_formatters_detail = column_formatters

    def render(self, template, **kwargs):
        batch = kwargs.get("model")
        if template == self.details_template and isinstance(batch, ImportBatch):
            kwargs["record_notice"] = self._undo_box(batch)
        return super().render(template, **kwargs)

    def _undo_box(self, batch):
        if batch.status != "committed":
            return f"该批次已于 {batch.undone_at} 撤销。"
        if not self.allowed("undo"):
            return "该批次已导入。"
        url = escape(self.get_url(".undo_view"))
        return Markup(
            f'<form method="POST" action="{url}" class="form-inline" id="undo-batch">'
            f'<input type="hidden" name="csrf_token" value="{escape(self.csrf_token())}">'
            f'<input type="hidden" name="id" value="{batch.id}">'
            f'<span class="mr-3">撤销后，该批次新建的 {batch.created_count} 条记录将删除，'
            f'更新的 {batch.updated_count} 条记录恢复为导入前的值；其中任何一条导入后被改动过，则不能撤销。</span>'
            f'<button type="submit" class="btn btn-sm btn-outline-danger">撤销导入</button></form>')

    @staticmethod
    def csrf_token():
        return generate_csrf()

    @expose("/undo/", methods=("POST",))
    def undo_view(self):
        batch = self.get_one(request.form.get("id"))  # scoped: 404 outside the user's batches
        try:
            apply.undo(batch, current_user._get_current_object())
        except apply.ImportRefused as exc:
            flash(str(exc), "error")
        else:
            flash(f"已撤销第 {batch.id} 批导入（{batch.file_name}）", "success")
        return redirect(self.get_url(".details_view", id=batch.id))



class NoticeView(SecureModelView):
    """通知邮件 (系统管理): the outbox (program/notices.py), what was sent and
    what failed, with its last error, for the office to see."""
    column_list = ("created_at", "kind", "recipient", "subject", "status", "attempts", "sent_at", "last_error")
    column_details_list = ("created_at", "kind", "table_name", "object_id", "recipient", "subject", "body", "status",
                           "attempts", "next_attempt_at", "sent_at", "last_error")
    column_labels = {"created_at": "写入时间"}
    column_filters = ("status", "created_at")
    column_searchable_list = ("recipient", "subject")
    column_sortable_list = ("created_at", "status", "sent_at")
    column_formatters = {"kind": lambda v, c, m, p: KINDS.get(m.kind, m.kind),
                         "table_name": lambda v, c, m, p: history.table_label(m.table_name)}
    column_formatters_detail = column_formatters


KINDS = {"approve": "审核通过", "reject": "驳回", "open_account": "开通账号", "lapsing": "即将到期", "voided": "到期作废",
         "redeem": "兑付通过", "reject_redemption": "兑付驳回"}
