"""The checks of one row beyond its cells: what the record must have, the
rules and locks a form applies, uniqueness in the table and within the
file, the annual voucher cap with the file's own earlier rows counted, a
project code that names no project, the template's example row left in."""
from decimal import Decimal
from typing import Any

from peewee import CharField, TextField

import compat
import models
from models import MultiChoiceField, Project
from program import caps, invariants, locks, rules
from program.checks import RuleViolation
from program.importing.specs import GENERATED, ImportSpec, natural_key

REQUIRED = "此项为必填项"
ZERO = Decimal("0.00")


class RowChecks:
    def __init__(self, spec: ImportSpec, writing: bool):
        self.spec, self.model, self.writing = spec, spec.model, writing
        self.unique = [n for n in spec.fields if self.model._meta.fields[n].unique]
        self.seen: dict = {}      # (field, value) -> the first row that holds it
        self.running: dict = {}   # (enterprise, year) -> what the file's earlier rows change (annual cap)

    def label(self, labels: dict, name: Any) -> str:
        if name in labels:
            return labels[name]
        return self.spec.label(name) if name in self.model._meta.fields else "整行"

    def required(self, record: Any, failed: set) -> list:
        """The fields a record must have that this one lacks."""
        found = []
        for name in self.spec.fields:
            field = self.model._meta.fields[name]
            if name in failed or field.null or name in GENERATED.get(self.model, ()):
                continue
            if compat.stored(record, name) in (None, "") and field.default is None:
                found.append(name)
        return found

    def rules(self, record: Any, stored: Any, failed: set, labels: dict) -> list:
        found = []
        try:
            if stored is not None:
                locks.enforce(record)
        except RuleViolation as exc:
            found.extend(exc.every)
        try:
            found.extend(invariants.violations(record))
        except (TypeError, AttributeError, ValueError):
            # A rule comparing a value this row failed to give: the cell's own
            # message already says what is wrong.
            if not failed:
                raise
        return [(self.label(labels, v.field), v.message) for v in found if v.field not in failed]

    def unknown_code(self, vals: dict, stored: Any, labels: dict) -> list:
        """A generated code (项目编号) given but naming no record: a new
        application leaves it empty, the office's numbering gives it."""
        for name in GENERATED.get(self.model, ()):
            if vals.get(name) and stored is None:
                return [(self.label(labels, name), f"找不到{self.spec.label(name)}为“{vals[name]}”的{self.spec.name}；"
                                                   f"新申报的{self.spec.name}请不填{self.spec.label(name)}")]
        return []

    def example(self, vals: dict) -> list:
        """The template's example row, left in the file."""
        fields = self.model._meta.fields
        texts = {n: v for n, v in self.spec.example.items()
                 if isinstance(fields[n], (CharField, TextField)) and not fields[n].choices
                 and not isinstance(fields[n], MultiChoiceField)}
        if texts and all(vals.get(n) == v for n, v in texts.items()):
            return [("整行", "这是导入模板中的示例行，请删除或改为实际数据")]
        return []

    def unique_values(self, number: int, record: Any, stored: Any, taken: dict, labels: dict) -> list:
        found = []
        key = natural_key(self.spec, {n: compat.stored(record, n) for n in self.spec.fields})
        if key and isinstance(key[0], tuple):
            # A record named by several fields (an event: its institution,
            # date and title) twice in one file.
            first = self.seen.setdefault(key, number)
            if first != number:
                names = "、".join(self.spec.label(n) for n in key[0])
                found.append((self.label(labels, key[0][-1]), f"与第 {first} 行是同一条记录（{names}均相同）"))
        for name in self.unique:
            value = compat.stored(record, name)
            if value in (None, ""):
                continue
            label = self.label(labels, name)
            holder = taken.get((name, value))
            if holder is not None and (stored is None or holder != stored.id):
                found.append((label, f"{label}“{value}”已存在，不能重复"))
            first = self.seen.setdefault((name, value), number)
            if first != number:
                found.append((label, f"{label}“{value}”与第 {first} 行重复"))
        return found

    def annual_cap(self, record: Any, stored: Any, labels: dict) -> list:
        """The annual cap (caps.annual_voucher_cap) with the file's earlier
        rows counted as they will be once written: their new amounts in,
        the old amounts of the projects they change out. When the plan is
        being written (apply.py) the earlier rows are in the table already."""
        if not isinstance(record, Project) or record.voucher_amount is None:
            return []
        cap = caps.annual_cap(record)
        if cap is None:
            return []
        year = (record.created_at or models.now()).year
        key = (record.enterprise_id, year)
        earlier = ZERO if self.writing else self.running.get(key, ZERO)
        total = Project.vouchers_in_year(record.enterprise_id, year, excluding=record.id) + earlier \
            + record.voucher_amount
        if total > cap:
            label = self.label(labels, "voucher_amount")
            return [(label, caps.annual_cap_message(year, total, cap))]
        self.running[key] = earlier + record.voucher_amount
        if stored is not None and stored.status not in Project.NOT_COUNTED and stored.voucher_amount is not None:
            # The stored amount is in the table's sum for its enterprise and
            # year: the rows after this one must not count it again.
            old = (stored.enterprise_id, (stored.created_at or models.now()).year)
            self.running[old] = self.running.get(old, ZERO) - stored.voucher_amount
        return []
