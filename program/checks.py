"""The general checks of DOMAIN.md §3 ("General"), one home each: credit
codes, phone numbers and e-mails, amounts and counts, every stored value
within its column, opinions and usernames, and an administrator kept.

Every check raises RuleViolation(field, message) or returns the Chinese
refusal: the message a clerk reads beside the field (field None: at the top
of the form), naming the limit and the value given. Nothing of Flask or
WTForms here; rules.py applies these to each kind of record.
"""
import datetime
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any, Optional

from peewee import (
    AutoField,
    CharField,
    DateField,
    DecimalField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

import compat
import models
from models import User
from program import policy


class RuleViolation(ValueError):
    """A refusal: the field it belongs beside and its Chinese message. A
    check that finds several problems at once raises the first with the
    others attached (`every`), so a clerk reads them all in one go."""

    def __init__(self, field, message):
        super().__init__(message)
        self.field = field
        self.message = message
        self.others: list = []

    @property
    def every(self) -> list:
        return [self, *self.others]


def raise_all(problems: list) -> None:
    """Raise the problems found, all of them, if any."""
    if problems:
        first = problems[0]
        first.others = [other for problem in problems[1:] for other in problem.every]
        raise first


def each(*checks: Any) -> list:
    """Run checks that raise RuleViolation; return every refusal found."""
    found: list = []
    for check in checks:
        try:
            check()
        except RuleViolation as exc:
            found.extend(exc.every)
    return found


def yuan(amount: Any) -> str:
    return f"{Decimal(amount):,.2f} 元"



def finite_decimal(text: str) -> Optional[Decimal]:
    """A number as typed, or None (NaN and Infinity are not numbers here)."""
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None



# --- General: 统一社会信用代码 (GB 32100-2015) ------------------------------------

CREDIT_CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_check_char(body: str) -> str:
    """The 18th character for the first 17 of a credit code."""
    total = sum(CREDIT_CODE_CHARSET.index(ch) * w for ch, w in zip(body, _CREDIT_CODE_WEIGHTS))
    return CREDIT_CODE_CHARSET[(31 - total % 31) % 31]


def check_credit_code(code: Optional[str], field: str = "credit_code") -> str:
    """Raise unless `code` is a well-formed credit code; return it normalised."""
    raw = (code or "").strip()
    if len(raw) != 18:
        raise RuleViolation(field, f"统一社会信用代码应为 18 位，您输入的是 {len(raw)} 位")
    code = raw.upper()
    bad = sorted({ch for ch in code if ch not in CREDIT_CODE_CHARSET})
    if bad:
        raise RuleViolation(
            field,
            "统一社会信用代码含有不允许的字符：" + "、".join(bad) + "（只用数字和除 I、O、Z、S、V 外的大写字母）",
        )
    expected = credit_code_check_char(code[:17])
    if code[17] != expected:
        raise RuleViolation(
            field, f"统一社会信用代码校验位错误：第 18 位应为 {expected}，您输入的是 {code[17]}"
        )
    return code


# --- General: every stored value within what its column and the program hold ----------

# Business dates a clerk enters: the People's Republic's years, and no
# further ahead than any voucher could plan.
EARLIEST_DATE = datetime.date(1949, 1, 1)
LATEST_DATE = datetime.date(2100, 12, 31)
# PostgreSQL `integer`; larger numbers also overflow SQLite's driver.
MAX_INTEGER = 2_147_483_647


def trim(value: str) -> str:
    """The text without the spaces around it, nor the invisible format
    characters (zero-width space, word joiner, BOM) that would make an empty
    opinion or name look filled in."""
    start, end = 0, len(value)
    while start < end and (value[start].isspace() or unicodedata.category(value[start]) == "Cf"):
        start += 1
    while end > start and (value[end - 1].isspace() or unicodedata.category(value[end - 1]) == "Cf"):
        end -= 1
    return value[start:end]


def unprintable(value: str, allow_line_breaks: bool) -> bool:
    """Control characters (NUL included); in one-line fields also the
    invisible format characters (zero-width space, direction overrides)
    that make two names look alike."""
    for ch in value:
        if ch in "\t\n\r" and allow_line_breaks:
            continue
        category = unicodedata.category(ch)
        # Cn: unassigned, and the noncharacters U+FFFE/U+FFFF that no XML
        # (an XLSX export) may carry; Cs: lone surrogates.
        if category in ("Cc", "Cs", "Cn") or (category in ("Cf", "Zl", "Zp") and not allow_line_breaks):
            return True
    return False


def _text_bounds(record, field, value):
    label = type(record).label(field.name)
    if unprintable(value, allow_line_breaks=isinstance(field, TextField)):
        return f"{label}含有不允许的控制字符或不可见字符，请删除后重试"
    limit = getattr(field, "max_length", None)
    if limit and len(value) > limit:
        return f"{label}最多 {limit} 个字，您输入了 {len(value)} 个"
    if not field.null and field.default is None and not value.strip():
        return f"请填写{label}（不能只有空格或不可见字符）"
    return None


def _decimal_bounds(record, field, value):
    label = type(record).label(field.name)
    try:
        value = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return f"{label}应为数字"
    if not value.is_finite():
        return f"{label}应为有限的数字，不能是 NaN 或 Infinity"
    whole = field.max_digits - field.decimal_places
    # adjusted(): the power of ten of the leading digit, without arithmetic
    # (abs() of 1E+1000000 overflows the decimal context).
    if value and value.adjusted() >= whole:
        return f"{label}超出允许范围：整数部分最多 {whole} 位"
    if value.as_tuple().exponent < -field.decimal_places:
        return f"{label}最多保留 {field.decimal_places} 位小数"
    return None


def _key_bounds(record, field, value):
    # An id in range (a form's placeholder for a file being uploaded is
    # negative, and never reaches the database).
    if isinstance(value, int) and value > models.MAX_ID or isinstance(value, str) and models.parse_id(value) is None:
        return f"请选择有效的{type(record).label(field.name)}"
    return None


def _integer_bounds(record, field, value):
    if not isinstance(value, int) or abs(value) > MAX_INTEGER:
        return f"{type(record).label(field.name)}应为不超过 {MAX_INTEGER:,} 的整数"
    return None


def _date_bounds(record, field, value):
    if isinstance(value, datetime.date) and not EARLIEST_DATE <= value <= LATEST_DATE:
        return (f"{type(record).label(field.name)}应在 {EARLIEST_DATE} 至 {LATEST_DATE} 之间，"
                f"您输入的是 {value}")
    return None


def _field_bounds(record, field, value):
    """The bound of this kind of field, by the first kind that matches."""
    if isinstance(field, models.MultiChoiceField) or isinstance(field, AutoField):
        return None
    if isinstance(field, (CharField, TextField)):
        return _text_bounds(record, field, value) if isinstance(value, str) else None
    for kind, bounds in ((DecimalField, _decimal_bounds), (ForeignKeyField, _key_bounds),
                         (IntegerField, _integer_bounds), (DateField, _date_bounds)):
        if isinstance(field, kind):
            return bounds(record, field, value)
    return None


def general_field_bounds(record: Any) -> list[RuleViolation]:
    """Every field's value within what its column holds: text without NUL or
    invisible-only content and within its length, money finite and within
    14 digits (so SQLite, which keeps NUMERIC as floating point past 15
    digits, stores it exactly too), integers and ids within 32 bits, dates
    within 1949–2100. One violation per field, all of them at once."""
    found = []
    for field in record._meta.sorted_fields:
        value = compat.stored(record, field.name)
        if value is None:
            continue
        message = _field_bounds(record, field, value)
        if message:
            found.append(RuleViolation(field.name, message))
    return found


# An opinion written at a transition: a paragraph or two.
OPINION_LENGTH = 2000
_USERNAME = re.compile(r"^[A-Za-z0-9._@-]{1,60}$")


def opinion_problem(text: Optional[str]) -> Optional[str]:
    text = text or ""
    if len(text) > OPINION_LENGTH:
        return f"意见最多 {OPINION_LENGTH} 个字，您输入了 {len(text)} 个"
    if unprintable(text or "", allow_line_breaks=True):
        return "意见含有不允许的控制字符，请删除后重试"
    return None


def username_problem(username: Optional[str]) -> Optional[str]:
    if not _USERNAME.match(username or ""):
        return "用户名只能用英文字母、数字或 . _ - @，最多 60 位（如 haidian_fhq）"
    return None


def general_username(user: User) -> None:
    problem = username_problem(user.username)
    if problem:
        raise RuleViolation("username", problem)


def general_account_institution(user: User) -> None:
    """An institution's account belongs to its institution (Q4); no other
    account does."""
    if policy.needs_institution(user.role) and user.institution_id is None:
        raise RuleViolation("institution", "推荐机构账号须选择所属推荐机构")
    if not policy.needs_institution(user.role) and user.institution_id is not None:
        raise RuleViolation("institution", "只有推荐机构账号可以选择所属推荐机构")


LAST_ADMIN = "这是系统中最后一个启用的系统管理员账号，不能{what}；请先为另一位同事开通系统管理员账号"


def other_active_admins(user: User) -> bool:
    return User.active_admins().where(User.id != user.id).exists()


def hold_active_admins() -> None:
    """Two administrators stepping down at once: the second waits for the
    first, then counts again."""
    models.hold(User.active_admins().select(User.id))


def general_keeps_an_admin(user: User) -> None:
    """Nobody locks the office out of its own system: the last active
    administrator cannot be demoted or disabled."""
    if user.id is None or (policy.administers(user.role) and user.is_active):
        return
    hold_active_admins()
    stored = User.get_or_none(User.id == user.id)
    if stored is None or not policy.administers(stored.role) or not stored.is_active:
        return
    if not other_active_admins(user):
        what, field = ("停用", "is_active") if policy.administers(user.role) else ("改为其他角色", "role")
        raise RuleViolation(field, LAST_ADMIN.format(what=what))


# --- General: contacts, amounts, dates ---------------------------------------------

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")
_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")


def check_phone(value: Optional[str], field: str = "contact_phone") -> str:
    value = (value or "").strip()
    if not (_MOBILE.match(value) or _LANDLINE.match(value)):
        raise RuleViolation(field, f"联系电话格式不正确：“{value}”（手机号 11 位，或座机如 010-12345678）")
    return value


def check_email(value: Optional[str], field: str = "contact_email") -> str:
    value = (value or "").strip()
    if not _EMAIL.match(value):
        raise RuleViolation(field, f"电子邮箱格式不正确：“{value}”")
    return value


def general_credit_code(record: Any, required: bool) -> None:
    code = getattr(record, "credit_code", None)
    if code:
        record.credit_code = check_credit_code(code)
    elif required:
        raise RuleViolation("credit_code", "请填写统一社会信用代码")


def general_positive(record: Any, *fields: str) -> None:
    for name in fields:
        value = getattr(record, name)
        if value is not None and value <= 0:
            label = type(record).label(name)
            raise RuleViolation(name, f"{label}应大于 0，您输入的是 {value}")


def general_not_negative(record: Any, *fields: str) -> None:
    for name in fields:
        value = getattr(record, name)
        if value is not None and value < 0:
            raise RuleViolation(name, f"{type(record).label(name)}不能为负数，您输入的是 {value}")

