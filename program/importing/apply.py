"""The confirmed import, all or nothing, and its undo.

commit() plans the file again inside one transaction and writes each clean
row as it is planned: new records of a bulk type in batches (each checked by
the same rules first), the others through save() and so through the model
signals, like a form. If the plan differs from the test run the clerk
confirmed (a record changed in between, a name now found twice, a code now
taken), everything is rolled back and the clerk runs the test again."""
import json
from typing import Any, Callable, Optional

from peewee import IntegrityError

import compat
import models
from models import ImportBatch, ImportBatchItem, MultiChoiceField, db
from program import audit, invariants, search
from program.checks import RuleViolation
from program.importing.outcome import Report
from program.importing.plan import Planner
from program.importing.specs import SPECS, ImportSpec

BULK = 500


class ImportRefused(Exception):
    """The import cannot be written; the message says why, in Chinese."""


class _Writer:
    def __init__(self, spec: ImportSpec, batch: ImportBatch, confirmed: Report):
        self.spec, self.batch, self.confirmed = spec, batch, confirmed
        self.pending: list = []
        self.items: list = []
        self.trail: list = []

    def __call__(self, number, action, record, before):
        expected = self.confirmed.versions.get(number)
        if before is not None and (expected is None or list(expected) != [before.id, before.version]):
            raise ImportRefused(f"第 {number} 行对应的记录“{before}”在试导入之后已被修改，"
                                "本次导入未写入任何数据；请重新试导入")
        if action == "create" and self.spec.bulk:
            invariants.enforce(record)
            self.pending.append((number, record))
            if len(self.pending) >= BULK:
                self.flush()
            return
        snapshot = audit.snapshot(before) if before is not None else None
        try:
            record.save(force_insert=action == "create")
        except models.StaleRecord:
            raise ImportRefused(f"第 {number} 行对应的记录在试导入之后已被修改，本次导入未写入任何数据；请重新试导入") \
                from None
        except RuleViolation as exc:
            raise ImportRefused(f"第 {number} 行：{exc.message}（本次导入未写入任何数据）") from None
        self._done(record, snapshot)

    def flush(self):
        if not self.pending:
            return
        model = self.spec.model
        rows = [compat.stored_values(record) for _, record in self.pending]
        ids = [pk for (pk,) in model.insert_many(rows).returning(model.id).tuples().execute()]
        for (_, record), pk in zip(self.pending, ids):
            record.id = pk
            self._done(record, None)
        if model in search.SPECS:
            search.index_many(model, [record for _, record in self.pending])
        self.pending = []
        self.save_items()

    def _done(self, record, before):
        table = self.spec.table
        after = audit.snapshot(record)
        self.items.append({"batch": self.batch.id, "table_name": table, "record_id": record.id,
                           "created": before is None, "version": record.version,
                           "before": json.dumps(before, ensure_ascii=False, default=str) if before else None})
        self.trail.append(audit.entry(self.batch.user, "import", table, record.id, before, after,
                                      username=self.batch.username, extra={"batch": self.batch.id}))
        if len(self.items) >= BULK:
            self.save_items()

    def save_items(self):
        if self.items:
            ImportBatchItem.insert_many(self.items).execute()
            audit.record_many(self.trail)
            self.items, self.trail = [], []


def commit(spec: ImportSpec, user: Any, path: str, filename: str, sha256: str, confirmed: Report,
           progress: Optional[Callable] = None, username: Optional[str] = None) -> ImportBatch:
    """Write the file the test run `confirmed` reported on, as one batch."""
    if not confirmed.clean:
        raise ImportRefused("试导入发现问题的文件不能导入；请改正后重新试导入")
    with db.atomic() as transaction:
        try:
            batch = ImportBatch.create(
                table_name=spec.table, user=user, username=username or getattr(user, "username", None),
                institution=getattr(user, "institution_id", None), file_name=filename[:255], sha256=sha256)
            writer = _Writer(spec, batch, confirmed)
            report = Planner(spec, user, write=writer, progress=progress).run(path, filename, sha256)
            if report.problems or report.file_error:
                raise ImportRefused(_first_problem(report))
            if report.digest != confirmed.digest:
                raise ImportRefused("试导入之后数据已有变化（如所引用的记录被修改、编号或名称已被占用），"
                                    "本次导入未写入任何数据；请重新试导入")
            writer.flush()
            writer.save_items()
        except RuleViolation as exc:
            transaction.rollback()
            raise ImportRefused(f"{exc.message}（本次导入未写入任何数据）") from None
        except IntegrityError:
            transaction.rollback()
            raise ImportRefused("试导入之后，文件中的名称或编号已被他人先行登记，本次导入未写入任何数据；请重新试导入") \
                from None
        except Exception:
            transaction.rollback()
            raise
        batch.row_count = report.rows
        batch.created_count = report.counts["create"]
        batch.updated_count = report.counts["update"]
        batch.unchanged_count = report.counts["unchanged"]
        batch.save()
        audit.record(user, "import_batch", "import_batch", batch.id, username=batch.username,
                     extra={"table": spec.table, "file": filename, "sha256": sha256,
                            "created": batch.created_count, "updated": batch.updated_count,
                            "unchanged": batch.unchanged_count})
    return batch


def _first_problem(report: Report) -> str:
    if report.file_error:
        return report.file_error
    number, column, message = report.errors[0]
    return f"试导入之后数据已有变化：第 {number} 行“{column}”{message}；本次导入未写入任何数据，请重新试导入"


def undo(batch: ImportBatch, user: Any) -> None:
    """Take a batch back: its new records deleted, its changes restored,
    provided none of them has changed since (else nothing is done)."""
    model = SPECS[batch.table_name].model
    with db.atomic():
        fresh = ImportBatch.select().where(ImportBatch.id == batch.id).for_update().get() \
            if models.is_postgres() else ImportBatch.get_by_id(batch.id)
        if fresh.status != "committed":
            raise ImportRefused("该批次已撤销")
        items = list(ImportBatchItem.select().where(ImportBatchItem.batch == batch.id))
        _unchanged_since(model, items)
        trail = []
        for item in items:
            if item.created:
                continue
            record = model.get_by_id(item.record_id)
            before = audit.snapshot(record)
            for name, value in json.loads(item.before).items():
                field = model._meta.fields.get(name)
                if field is not None and name not in ("id", "version", "created_at", "updated_at"):
                    setattr(record, field.name, _restored(field, value))
            _save(record)
            trail.append(audit.entry(user, "import_undo", batch.table_name, record.id, before,
                                     audit.snapshot(record), extra={"batch": batch.id}))
        _delete_created(model, batch, [item for item in items if item.created], user, trail)
        audit.record_many(trail)
        fresh.status, fresh.undone_at, fresh.undone_by = "undone", models.now(), user
        fresh.save()
        audit.record(user, "import_batch_undo", "import_batch", batch.id,
                     extra={"table": batch.table_name, "file": batch.file_name})


def _restored(field, value):
    """A value as audit.snapshot kept it (JSON), as the field takes it."""
    if value is None or isinstance(field, MultiChoiceField):
        return value
    return field.python_value(value)


def _save(record):
    try:
        record.save()
    except RuleViolation as exc:
        raise ImportRefused(f"“{record}”不能恢复为导入前的值：{exc.message}") from None


def _unchanged_since(model, items):
    for start in range(0, len(items), BULK):
        chunk = items[start:start + BULK]
        now = dict(model.select(model.id, model.version).where(model.id.in_([i.record_id for i in chunk])).tuples())
        moved = [i for i in chunk if now.get(i.record_id) != i.version]
        if moved:
            names = "、".join(str(model.get_or_none(model.id == i.record_id) or f"编号 {i.record_id}（已删除）")
                             for i in moved[:5])
            raise ImportRefused(f"该批次导入的记录在导入后已被修改或删除（{names}{'等' if len(moved) > 5 else ''}），"
                                "不能撤销；如需更正，请逐条修改")


def _delete_created(model, batch, items, user, trail):
    for start in range(0, len(items), BULK):
        ids = [item.record_id for item in items[start:start + BULK]]
        records = list(model.select().where(model.id.in_(ids)))
        try:
            with db.atomic():
                for record in records:
                    invariants.before_delete(model, record)
                model.delete().where(model.id.in_(ids)).execute()
        except RuleViolation as exc:
            raise ImportRefused(f"不能撤销：{exc.message}") from None
        except IntegrityError:
            raise ImportRefused("该批次新建的记录已被其他记录引用（如企业已有项目），不能撤销") from None
        if model in search.SPECS:
            search.unindex_many(model, ids)
        trail.extend(audit.entry(user, "import_undo", batch.table_name, record.id, audit.snapshot(record), None,
                                 extra={"batch": batch.id}) for record in records)
