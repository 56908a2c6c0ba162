"""The test run (试导入): every row of a file read, matched with the record
it updates (by credit code or code), checked by the same rules a form
applies (invariants.violations, the locks, uniqueness in the table and
within the file) and reported: what would be created, what would change
from what to what, and every refusal by row and column. Nothing is
written; apply.py runs the same plan again inside its transaction, and a
digest of the plan tells it whether anything changed in between."""
import hashlib
import re
from decimal import Decimal
from typing import Any, Callable, Optional

import compat
import models
from models import MultiChoiceField
from program import policy
from program.importing import values
from program.importing.outcome import Listing, Report
from program.importing.rowchecks import REQUIRED, RowChecks
from program.importing.specs import ImportSpec, natural_key
from program.sheets import SheetError, normalize, read

CHUNK = 1000


def _aliases(spec: ImportSpec) -> dict:
    """Each header a column may carry -> its field: the field's label, the
    label without its unit ("年营业收入"), and for a related record its
    name ("企业名称", "实验室名称")."""
    names = {}
    for name in spec.fields:
        field = spec.model._meta.fields[name]
        label = normalize(field.verbose_name)
        names[label] = name
        names[re.sub(r"\(.*?\)", "", label)] = name
        names[normalize(name)] = name
        if hasattr(field, "rel_model"):
            names[label + "名称"] = name
            names[normalize(field.rel_model._meta.verbose_name) + "名称"] = name
    return names


def _equal(field, old, new):
    if isinstance(field, MultiChoiceField):
        return sorted(old or []) == sorted(new or [])
    if old in (None, "") and new in (None, ""):
        return True
    if isinstance(old, Decimal) or isinstance(new, Decimal):
        return old is not None and new is not None and Decimal(old) == Decimal(new)
    return old == new


def _shown(field, value, raw=None):
    if value in (None, "", []):
        return ""
    if hasattr(field, "rel_model"):
        return raw if raw is not None else str(field.rel_model.get_or_none(field.rel_model.id == value) or value)
    return str(models.shown(field, value))


def _key_text(key):
    """How the report names the record a row matched: its code or name; an
    event by its date and title (its institution is the clerk's own)."""
    if not key:
        return "（新记录）"
    value = key[1]
    return " ".join(str(part) for part in value[1:]) if isinstance(value, tuple) else str(value)


class Planner:
    """One pass over a file: plan() for the test run; apply.py passes
    `write` to have each clean row written as it is planned."""

    def __init__(self, spec: ImportSpec, user: Any, write: Optional[Callable] = None,
                 progress: Optional[Callable] = None, listing: Optional[Listing] = None):
        self.spec, self.user, self.write, self.progress = spec, user, write, progress
        self.model = spec.model
        self.related = values.Related(user)
        self.checks = RowChecks(spec, writing=write is not None)
        self.listing = listing
        self.hash = hashlib.sha256()
        owner = policy.owner_field(user, spec.table) if user is not None and policy.is_scoped(user) else None
        self.forced = {owner: user.institution_id} if owner else {}
        self.unique = self.checks.unique

    # --- the file -------------------------------------------------------------------
    def run(self, path: str, filename: str, sha256: str = "") -> Report:
        report = Report(self.spec.table, filename, sha256)
        try:
            rows = read(path, filename)
            header_number, columns = self._header(rows, report)
            if columns is None:
                return report
            chunk: list = []
            for number, row in enumerate(rows, header_number + 1):
                if not any(cell not in (None, "") and str(cell).strip() for cell in row):
                    continue
                chunk.append((number, row))
                if len(chunk) == CHUNK:
                    self._chunk(chunk, columns, report)
                    chunk = []
            if chunk:
                self._chunk(chunk, columns, report)
        except SheetError as exc:
            report.file_error = str(exc)
        if not report.file_error and report.rows == 0:
            report.file_error = "文件中没有数据行（第一行为表头，数据从第二行起）"
        report.digest = self.hash.hexdigest()
        return report

    def _header(self, rows, report):
        aliases = _aliases(self.spec)
        for number, row in enumerate(rows, 1):
            if not any(cell not in (None, "") for cell in row):
                continue
            columns = []
            for index, cell in enumerate(row):
                label = values.cell_text(cell)
                name = aliases.get(normalize(label)) if label else None
                if name is not None and any(name == n for _, n, _ in columns):
                    report.file_error = f"表头“{label}”与另一列对应同一字段（{self.spec.label(name)}），请只保留一列"
                    return number, None
                if name is None:
                    if label:
                        report.ignored.append(label)
                    continue
                columns.append((index, name, label))
            if not columns:
                report.file_error = (f"第 {number} 行不是{self.spec.name}的表头：没有一列能对应到字段；"
                                     "请使用导入模板的表头")
                return number, None
            report.columns = [label for _, _, label in columns]
            return number, columns
        report.file_error = "文件是空的"
        return 0, None

    # --- rows -----------------------------------------------------------------------
    def _chunk(self, chunk, columns, report):
        parsed = [self._parse(number, row, columns) for number, row in chunk]
        existing = self._existing([v for _, v, _ in parsed])
        taken = self._taken([v for _, v, _ in parsed])
        for number, vals, problems in parsed:
            self._row(number, vals, problems, existing, taken, columns, report)
        if self.progress:
            self.progress(report.rows)

    def _parse(self, number, row, columns):
        vals, problems = {}, []
        for index, name, label in columns:
            cell = row[index] if index < len(row) else None
            try:
                vals[name] = values.read(self.model._meta.fields[name], cell, self.related)
            except values.CellError as exc:
                problems.append((name, label, str(exc)))
        for name, value in self.forced.items():
            if vals.get(name) not in (None, value):
                problems.append((name, self.spec.label(name), "只能导入本机构的记录"))
            vals[name] = value
        return number, vals, problems

    def _existing(self, rows):
        """The records these rows update, by their natural key (scoped)."""
        found: dict = {}
        by_field: dict = {}
        for vals in rows:
            key = natural_key(self.spec, vals)
            if key:
                by_field.setdefault(key[0], set()).add(key[1])
        for key, wanted in by_field.items():
            fields = key if isinstance(key, tuple) else (key,)
            first = getattr(self.model, fields[0])
            firsts = {w[0] for w in wanted} if isinstance(key, tuple) else wanted
            query = self.model.select().where(first.in_(list(firsts)))
            if self.user is not None:
                query = policy.owned(self.user, self.model, query)
            for record in query:
                value = tuple(compat.stored(record, f) for f in fields) if isinstance(key, tuple) \
                    else getattr(record, key)
                if value in wanted:
                    found[(key, value)] = record
        return found

    def _taken(self, rows):
        """Unique values of these rows already held in the table: (field, value) -> id."""
        taken = {}
        for name in self.unique:
            wanted = {vals[name] for vals in rows if vals.get(name) not in (None, "")}
            if wanted:
                column = getattr(self.model, name)
                for pk, value in self.model.select(self.model.id, column).where(column.in_(list(wanted))).tuples():
                    taken[(name, value)] = pk
        return taken

    def _row(self, number, vals, problems, existing, taken, columns, report):
        key = natural_key(self.spec, vals)
        stored = existing.get(key) if key else None
        failed = {name for name, _, _ in problems}
        record = self._record(stored, vals, failed)
        labels = {name: label for _, name, label in columns}
        labels.update({name: self.spec.label(name) for name in self.forced})
        checks = self.checks
        problems = checks.example(vals) + [(label, message) for _, label, message in problems]
        missing = checks.required(record, failed)
        problems += [(checks.label(labels, name), REQUIRED) for name in missing]
        problems += checks.unknown_code(vals, stored, labels)
        problems += checks.rules(record, stored, failed | set(missing), labels)
        problems += checks.unique_values(number, record, stored, taken, labels)
        if not problems:
            problems += checks.annual_cap(record, stored, labels)
        problems = list(dict.fromkeys(problems))
        if problems:
            report.refused(number, problems)
            if self.listing:
                self.listing.refused(number, _key_text(key), problems)
            self.hash.update(f"{number}|error|{problems}".encode())
            return
        self._clean(number, record, stored, vals, labels, report)

    def _record(self, stored, vals, failed):
        """The record as the row would leave it: a copy of the stored one
        (or a new one) with the row's values; an empty cell of a field that
        has a default takes the default."""
        record = self.model()
        if stored is not None:
            compat.copy_stored(stored, record)
        for name, value in vals.items():
            if name in failed:
                continue
            field = self.model._meta.fields[name]
            if value in (None, []) and field.default is not None and not field.null:
                value = field.default() if callable(field.default) else field.default
            setattr(record, name, value)
        return record

    def _clean(self, number, record, stored, vals, labels, report):
        key = natural_key(self.spec, vals)
        shown_key = _key_text(key)
        if stored is None:
            action, before = "create", None
            new = [[labels[n], self._new_value(record, n, vals)] for n in labels if n in vals]
            report.created(number, shown_key, new)
            if self.listing:
                self.listing.created(number, shown_key, new)
            self.hash.update(f"{number}|create|{new}".encode())
        else:
            changed = self._changes(record, stored, vals, labels)
            action, before = ("update" if changed else "unchanged"), stored
            report.matched(number, shown_key, stored, changed)
            if self.listing:
                self.listing.matched(number, shown_key, changed)
            self.hash.update(f"{number}|{action}|{stored.id}|{stored.version}|{changed}".encode())
        if self.write and action != "unchanged":
            self.write(number, action, record, before)

    def _new_value(self, record, name, vals):
        field = self.model._meta.fields[name]
        named = self.related.name_of(field, vals[name]) if hasattr(field, "rel_model") else None
        return _shown(field, compat.stored(record, name), named)

    def _changes(self, record, stored, vals, labels):
        """[label, old, new] of each field the row changes."""
        fields = self.model._meta.fields
        return [[labels[n], _shown(fields[n], compat.stored(stored, n)), _shown(fields[n], compat.stored(record, n))]
                for n in labels if n in vals
                and not _equal(fields[n], compat.stored(stored, n), compat.stored(record, n))]

def plan(spec: ImportSpec, user: Any, path: str, filename: str, sha256: str = "",
         progress: Optional[Callable] = None, listing: Optional[Listing] = None) -> Report:
    """The test run: the report (and, given a listing, every row's outcome
    written to it), nothing written to the database."""
    return Planner(spec, user, progress=progress, listing=listing).run(path, filename, sha256)
