"""The audit trail in plain words, for the details pages' 操作记录 and the
审计日志: Chinese table, field and state names, people by 姓名, related
records and files by name, moments to the minute, the internal version
counter left out and an opinion shown once. The stored JSON is unchanged
and stays one click away (the audit log's details page).

Names are looked up for a whole page of rows at once: one query per kind of
related record, not one per value.
"""
import datetime
import decimal
from dataclasses import dataclass
from typing import Any, Optional

from markupsafe import Markup, escape
from peewee import DateField, DateTimeField, ForeignKeyField

import models
from admin import present
from models import ALL_MODELS, Choices, MoneyField, MultiChoiceField, shown
from program import audit, workflow

# The tables a clerk's trail names (the tally is the triggers', never written by hand).
MODELS = {model._meta.table_name: model for model in ALL_MODELS if hasattr(model._meta, "verbose_name")}
# Bookkeeping no clerk needs to read: the row's own id, the optimistic-lock
# counter, the time of the write (the row has its own), session plumbing.
HIDDEN = {"id", "version", "updated_at", "created_at", "session_generation", "password_hash"}
# What a write may carry besides field changes (audit.record's `extra`).
EXTRAS = {"opinion": "意见", "format": "导出格式", "query": "筛选条件", "reason": "原因",
          # an import's batch and file (program/importing), an exported report
          "batch": "导入批次", "table": "数据表", "file": "文件", "sha256": "文件 SHA-256", "created": "新建",
          "updated": "更新", "unchanged": "无变化", "report": "报表"}
REASONS = Choices(("locked", "账号已锁定"), ("disabled", "账号已停用"))
EMPTY = "（空）"


def table_label(table: Optional[str]) -> str:
    model = MODELS.get(table or "")
    return model._meta.verbose_name if model is not None else (table or "")


def table_options():
    """(table, Chinese name) of every table the trail names, for its filter."""
    return [(table, model._meta.verbose_name) for table, model in MODELS.items()
            if model is not models.AuditLog]


def action_options():
    """(action, Chinese name) of every audited action; a transition of the
    same name on several tables with different names lists them all."""
    names: dict = {word: [label] for word, label in audit.ACTIONS}
    for transition in workflow.TRANSITIONS:
        labels = names.setdefault(transition.name, [])
        if transition.label not in labels:
            labels.append(transition.label)
    return [(word, "／".join(labels)) for word, labels in names.items()]


def actions_named(words: str) -> list:
    """The actions whose Chinese name (or code) contains the words: a
    search for 审核通过 finds approve."""
    return [word for word, label in action_options() if words in label or words == word]


def tables_named(words: str) -> list:
    return [table for table, label in table_options() if words in label or words == table]


@dataclass
class Change:
    label: str
    before: Any = None
    after: Any = None
    # A note (an opinion, a reason): one value, not a change from one to another.
    note: bool = False


class Names:
    """The names of the related records a page of trail rows mentions,
    read once per kind of record."""

    def __init__(self):
        self.wanted: dict = {}
        self.found: dict = {}

    def want(self, model, record_id):
        if isinstance(record_id, int) and not isinstance(record_id, bool):
            self.wanted.setdefault(model, set()).add(record_id)

    def read(self):
        for model, ids in self.wanted.items():
            rows = model.select().where(model.id.in_(sorted(ids)))
            self.found.update({(model, row.id): str(row) for row in rows})
        self.wanted = {}

    def of(self, model, record_id):
        if record_id is None:
            return None
        return self.found.get((model, record_id), f"编号 {record_id}（已删除）")


def _value(field, value, names):
    """A stored value as the trail's JSON holds it, in words."""
    if value is None or value == "":
        return None
    if isinstance(field, ForeignKeyField):
        return names.of(field.rel_model, value)
    if isinstance(field, MultiChoiceField):
        words = value if isinstance(value, list) else [v for v in str(value).split(",") if v]
        return shown(field, words) or None
    if isinstance(field, DateTimeField):
        return _moment(value)
    if isinstance(field, DateField):
        return str(value)[:10]
    if isinstance(field, MoneyField):
        try:
            return present.money(decimal.Decimal(str(value)))
        except decimal.InvalidOperation:
            return str(value)
    return shown(field, value)


def _moment(value):
    try:
        return present.minute(datetime.datetime.fromisoformat(str(value)))
    except ValueError:
        return str(value)


def _fields(model):
    return model._meta.fields if model is not None else {}


def _wanted(rows, names):
    for row in rows:
        fields = _fields(MODELS.get(row.model or ""))
        for name, pair in row.changes_dict.items():
            field = fields.get(name)
            if isinstance(field, ForeignKeyField) and isinstance(pair, list):
                for value in pair:
                    names.want(field.rel_model, value)
        if row.model in MODELS and row.object_id is not None and row.model != "audit_log":
            names.want(MODELS[row.model], row.object_id)


def _note(name, value):
    """An opinion, a reason, an export's format and filter: a note, or none
    for an empty one (an export of the whole list names no 筛选条件)."""
    if value in ("", None):
        return []
    shown = {"reason": lambda: REASONS.label(value), "batch": lambda: f"第 {value} 批",
             "table": lambda: table_label(value)}.get(name, lambda: value)()
    return [Change(EXTRAS[name], after=shown, note=True)]


def _changes(row, names):
    model = MODELS.get(row.model or "")
    fields = _fields(model)
    data = row.changes_dict
    opinion = data.get("opinion")
    changes = []
    for name, pair in data.items():
        if name in HIDDEN:
            continue
        if name in EXTRAS and name not in fields:  # a record's own field of that name is a change
            changes.extend(_note(name, pair))
            continue
        before, after = pair if isinstance(pair, list) and len(pair) == 2 else (None, pair)
        if name == "review_opinion" and opinion is not None and after == opinion:
            continue  # the opinion once: its note says it
        field = fields.get(name)
        label = field.verbose_name if field is not None and field.verbose_name else name
        if field is not None:
            before, after = _value(field, before, names), _value(field, after, names)
        changes.append(Change(label, before, after))
    # Notes (an opinion) after the field changes, as a clerk reads a decision.
    return sorted(changes, key=lambda change: change.note)


def readable(rows):
    """Each trail row with `.action_label`, `.table_label`, `.operator`,
    `.record_name`, `.when` and `.change_list` (Change items), in words."""
    rows = list(rows)
    names = Names()
    _wanted(rows, names)
    names.read()
    for row in rows:
        row.action_label = workflow.action_label(row.action, row.model)
        row.table_label = table_label(row.model)
        row.operator = _operator(row)
        row.when = present.minute(row.at)
        model = MODELS.get(row.model or "")
        row.record_name = names.of(model, row.object_id) if model is not None else None
        row.change_list = _changes(row, names)
    return rows


def changes_html(change_list, limit=None):
    """The changes as lines: 字段：前 → 后, then notes (意见：…); past
    `limit` lines, how many more."""
    shown_lines = change_list if limit is None else change_list[:limit]
    out = []
    for change in shown_lines:
        label = escape(change.label)
        if change.note:
            out.append(f'<div class="history-note"><span class="text-muted">{label}：</span>{escape(change.after)}</div>')
        else:
            before = EMPTY if change.before is None else change.before
            after = EMPTY if change.after is None else change.after
            out.append(f'<div><span class="text-muted">{label}：</span>{escape(before)} → {escape(after)}</div>')
    if limit is not None and len(change_list) > limit:
        out.append(f'<div class="text-muted">…… 另有 {len(change_list) - limit} 项</div>')
    return Markup("".join(out))


def _operator(row):
    """The person who acted, by 姓名 (the login name where there is none,
    or for a failed login, the name that was tried)."""
    user = getattr(row, "user", None) if row.user_id is not None else None
    return str(user) if user is not None else (row.username or "")


__all__ = ["readable", "changes_html", "table_label", "table_options", "action_options", "actions_named", "tables_named",
           "Change", "EMPTY"]
