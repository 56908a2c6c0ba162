"""A spreadsheet cell read as a field's value, or the Chinese reason it
cannot be: enumerations by their Chinese name (or stored word), yes/no in
words, amounts and dates as Excel or a clerk writes them, related records
by name or code."""
import datetime
import functools
import re
from decimal import Decimal, InvalidOperation
from typing import Any, Optional

from peewee import BooleanField, DateField, DecimalField, ForeignKeyField, IntegerField

from models import MultiChoiceField
from program import policy
from program.sheets import cell_text, normalize

FORMULA_STARTS = ("=", "+", "-", "@")
YES = {"是", "y", "yes", "true", "1", "√", "✓", "有"}
NO = {"否", "n", "no", "false", "0", "×", "无", ""}
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_SEPARATORS = re.compile(r"[、,，;；/\n]+")
# The fields a related record is named by, in the order they are tried.
NAMED_BY = ("name", "credit_code", "code", "catalogue_ref")


class CellError(ValueError):
    """A cell that cannot be read as its field's value."""


def text(value: Any) -> Optional[str]:
    """Text as written; the apostrophe an export puts before text that
    would be a formula is taken off again (export → import changes nothing)."""
    result = cell_text(value)
    if result.startswith("'") and result[1:2] and result[1:].startswith(FORMULA_STARTS):
        result = result[1:]
    return result or None


@functools.lru_cache(maxsize=64)
def _words(choices):
    """An enumeration's words by their Chinese names and by themselves,
    as normalize() writes them."""
    return {**{normalize(word): word for word, _ in choices}, **{normalize(label): word for word, label in choices}}


def _choice(choices, value):
    word = _words(choices).get(normalize(value))
    if word is None:
        allowed = "、".join(label for _, label in choices)
        raise CellError(f"“{value}”不是可选的值；可选：{allowed}")
    return word


def _boolean(value):
    if isinstance(value, bool):
        return value
    wanted = normalize(cell_text(value))
    if wanted in YES:
        return True
    if wanted in NO:
        return False
    raise CellError(f"“{value}”应填“是”或“否”")


def _integer(value):
    if isinstance(value, bool):
        raise CellError("请输入整数，如 35")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raw = normalize(cell_text(value)).replace(",", "")
    if re.fullmatch(r"-?\d{1,12}", raw):
        return int(raw)
    raise CellError(f"请输入整数，如 35（您填的是“{value}”）")


def _decimal(value):
    if isinstance(value, bool):
        raise CellError("请输入数字，如 37700.00")
    if isinstance(value, (int, float)):
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    else:
        raw = normalize(cell_text(value)).replace(",", "").removesuffix("元")
        try:
            number = Decimal(raw)
        except (InvalidOperation, ValueError):
            raise CellError(f"请输入数字，如 37700.00（您填的是“{value}”）") from None
    if not number.is_finite():
        raise CellError("请输入有效的数字（不能是 NaN 或 Infinity）")
    if number and not -12 <= number.adjusted() <= 15:
        raise CellError("数字超出允许范围")
    return number


def _date(value):
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    raw = normalize(cell_text(value))
    match = _DATE.match(raw) or (re.fullmatch(r"(\d{4})(\d{2})(\d{2})", raw))
    if match:
        try:
            return datetime.date(*(int(part) for part in match.groups()))
        except ValueError:
            pass
    raise CellError(f"请输入日期，如 2025-03-15（您填的是“{value}”）")


def _multi(field, value):
    parts = [part for part in _SEPARATORS.split(cell_text(value)) if part.strip()]
    return sorted({_choice(field.options, part.strip()) for part in parts})


_BY_KIND = ((BooleanField, _boolean), (IntegerField, _integer), (DecimalField, _decimal), (DateField, _date))


def read(field: Any, value: Any, related: "Related") -> Any:
    """The cell's value for the field (None for an empty cell)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return [] if isinstance(field, MultiChoiceField) else None
    if isinstance(field, MultiChoiceField):
        return _multi(field, value)
    if isinstance(field, ForeignKeyField):
        return related.resolve(field, text(value) or "")
    if field.choices:
        return _choice(field.choices, cell_text(value))
    for kind, parse in _BY_KIND:
        if isinstance(field, kind):
            return parse(value)
    if field.name == "credit_code":
        # As checks.check_credit_code keeps it, so that the record it names
        # is found before the rules run.
        return (text(value) or "").upper() or None
    return text(value)


class Related:
    """Related records named in a file, resolved by name or code, each name
    looked up once, among the records the importing user may see."""

    def __init__(self, user: Any):
        self.user = user
        self.found: dict = {}
        self.names: dict = {}   # (model, id) -> the name the file gave

    def name_of(self, field: Any, pk: Any) -> Optional[str]:
        return self.names.get((field.rel_model, pk))

    def resolve(self, field: Any, name: str) -> int:
        key = (field.rel_model, name)
        if key not in self.found:
            self.found[key] = self._look_up(field, name)
        found = self.found[key]
        if isinstance(found, str):
            raise CellError(found)
        self.names.setdefault((field.rel_model, found), name)
        return found

    def _look_up(self, field, name):
        model = field.rel_model
        columns = [model._meta.fields[n] for n in NAMED_BY if n in model._meta.fields]
        condition = None
        for column in columns:
            condition = (column == name) if condition is None else (condition | (column == name))
        query = model.select(model.id).where(condition).limit(2)
        if self.user is not None:  # the command line sees everything
            query = policy.rows_of(self.user, model, query)
        ids = [pk for (pk,) in query.tuples()]
        what = model._meta.verbose_name
        if not ids:
            return f"找不到{what}“{name}”（请填写其名称{'或统一社会信用代码' if 'credit_code' in model._meta.fields else ''}）"
        if len(ids) > 1:
            return f"“{name}”对应多个{what}，请改填统一社会信用代码"
        return ids[0]
