"""导入 on every importable list: the template, the upload, the test run's
report (试导入), the confirmation, each at /admin/<table>/import/…. The
work is program/importing's; this is the screens' side: who may, which
file, which page shows what."""
import csv
import unicodedata

from flask import abort, current_app, flash, redirect, request
from flask_admin import expose
from flask_login import current_user

from admin.writers import download, xlsx_stream
from models import ImportBatch, User
from program import policy
from program.importing import apply, staging, template
from program.importing.outcome import LISTING_HEADERS, Listing
from program.importing.plan import plan
from program.importing.specs import SPECS
from program.sheets import SheetError, kind_of

# The states of a staged file whose test run has finished (its report exists).
REPORTED = ("tested", "committing", "refused", "committed")


def _plain_name(filename):
    """The file's name as the batch keeps it: no control or invisible
    characters (a batch's file name is checked like any text), at most 200."""
    kept = "".join(ch for ch in filename if unicodedata.category(ch)[0] != "C"
                   and unicodedata.category(ch) not in ("Zl", "Zp")).strip()
    return kept[-200:] if kept.lower().endswith((".xlsx", ".csv", ".txt")) else f"导入文件.{kind_of(filename)}"


def _mb(size):
    return f"{size / 1024 / 1024:.0f} MB"


def _test_run(staged):
    meta = staged.meta
    spec = SPECS[meta["table"]]
    user = User.get_by_id(meta["user_id"])
    try:
        with open(staged.listing, "w", encoding="utf-8", newline="") as handle:
            report = plan(spec, user, staged.source, meta["filename"], meta["sha256"],
                          progress=lambda done: staged.update(done=done), listing=Listing(handle))
    except Exception:
        staged.update(state="failed", message="试导入时系统出错，已记录；请稍后重试或联系系统管理员")
        raise
    staged.keep_report(report)
    staged.update(state="tested", done=report.rows)


def _commit(staged):
    meta = staged.meta
    spec = SPECS[meta["table"]]
    user = User.get_by_id(meta["user_id"])
    try:
        batch = apply.commit(spec, user, staged.source, meta["filename"], meta["sha256"], staged.report,
                             progress=lambda done: staged.update(done=done))
    except apply.ImportRefused as exc:
        staged.update(state="refused", message=str(exc))
        return
    except Exception:
        staged.update(state="failed", message="导入时系统出错，未写入任何数据；请稍后重试或联系系统管理员")
        raise
    staged.update(state="committed", batch_id=batch.id)


class ImportMixin:
    def can_import(self):
        return self.table in SPECS and self.allowed("import")

    def _root(self):
        return current_app.config["IMPORT_DIR"]

    def _staged(self, token):
        staged = staging.Staged.find(self._root(), token, current_user.id, self.table)
        if staged is None:
            abort(404)
        return staged

    def _background(self, staged):
        return staged.meta.get("size", 0) > int(current_app.config["IMPORT_BACKGROUND_BYTES"])

    @expose("/import/", methods=("GET", "POST"))
    def import_view(self):
        spec = SPECS.get(self.table) or abort(404)
        problem = None
        if request.method == "POST":
            upload = request.files.get("file")
            limit = int(current_app.config["IMPORT_MAX_BYTES"])
            try:
                if upload is None or not upload.filename:
                    raise SheetError("请选择要导入的文件（.xlsx 或 .csv）")
                kind_of(upload.filename)
                staged = staging.Staged.create(self._root(), current_user.id, self.table,
                                               _plain_name(upload.filename), upload.stream, limit)
            except SheetError as exc:
                problem = str(exc)
            except staging.TooLarge:
                problem = f"文件超过 {_mb(limit)}，不能导入；请分成几个文件分别导入"
            else:
                staged.update(state="testing")
                staged.run(_test_run, self._background(staged), current_app._get_current_object())
                return redirect(self.get_url(".import_report_view", token=staged.token))
        batches = (ImportBatch.select()
                   .where(ImportBatch.table_name == self.table)
                   .order_by(ImportBatch.id.desc())
                   .limit(10))
        return self.render("admin/import_upload.html", spec=spec, problem=problem,
                           batches=list(self.batch_scope(batches)),
                           limit=_mb(int(current_app.config["IMPORT_MAX_BYTES"])))

    def batch_scope(self, query):
        return policy.owned(current_user, ImportBatch, query)

    @expose("/import/template/")
    def import_template_view(self):
        spec = SPECS.get(self.table) or abort(404)
        return download(template.workbook(spec), f"{self.table}_import_template.xlsx", f"{spec.name}导入模板.xlsx")

    @expose("/import/<token>/")
    def import_report_view(self, token):
        staged = self._staged(token)
        meta = staged.meta
        report = staged.report if meta.get("state") in REPORTED else None
        batch = ImportBatch.get_or_none(ImportBatch.id == meta["batch_id"]) if meta.get("batch_id") else None
        return self.render("admin/import_report.html", spec=SPECS[self.table], meta=meta, report=report,
                           token=token, batch=batch, stalled=staged.stalled)

    @expose("/import/<token>/listing/")
    def import_listing_view(self, token):
        """The test run's whole report, row by row, as a workbook."""
        staged = self._staged(token)
        if staged.meta.get("state") not in REPORTED:
            abort(404)

        def rows():
            with open(staged.listing, encoding="utf-8", newline="") as handle:
                reader = csv.reader(handle)
                next(reader, None)
                for row in reader:
                    yield [int(row[0]), *row[1:]]

        return download(xlsx_stream(LISTING_HEADERS, rows(), sheet_name="试导入报告"), "import_report.xlsx",
                        f"{SPECS[self.table].name}试导入报告.xlsx")

    @expose("/import/<token>/commit/", methods=("POST",))
    def import_commit_view(self, token):
        staged = self._staged(token)
        meta = staged.meta
        report = staged.report
        if meta.get("state") != "tested" or report is None or not report.clean or staged.stalled:
            flash("该文件尚未通过试导入，不能导入；请改正后重新上传", "error")
            return redirect(self.get_url(".import_report_view", token=token))
        if not staged.claim("commit"):
            # A second click, or a second tab: the first one writes.
            return redirect(self.get_url(".import_report_view", token=token))
        staged.update(state="committing", done=0)
        staged.run(_commit, self._background(staged), current_app._get_current_object())
        return redirect(self.get_url(".import_report_view", token=token))
