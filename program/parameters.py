"""政策参数: the program's limits as data (R1's minimums, R11's cap, the
annual cap per enterprise, the deadlines), kept in `policy_setting` as
versions (DOMAIN.md §6): each value is in force from its `effective_from`
until the key's next version. A change adds a version from a later date and
never rewrites the past: every rule judges a record by the version in force
on the record's deciding date (R11 and the caps: the grant; R1: the
application's submission; a deadline: the date it runs from).

The keys are the program's: none added, renamed or removed (a key with no
version is in force at its default).
"""
import datetime
from decimal import Decimal
from typing import Optional

import models
from models import POLICY_ORIGIN, PolicySetting
from program.checks import RuleViolation, finite_decimal

# key: (default value, its meaning, kind).
PARAMETERS = {
    "r1_min_served_enterprises": ("30", "推荐机构须拥有的服务企业数量下限（家）；按申请提交日的版本判断", "count"),
    "r1_min_promised_events": ("2", "推荐机构须承诺组织的宣传、对接活动次数下限（次）；按申请提交日的版本判断",
                               "count"),
    "r11_purchase_cap_ratio": ("0.30", "新技术新产品购买额占审定合同额的比例上限（0 至 1）；按项目创新券发放日的版本判断",
                               "ratio"),
    "annual_voucher_cap_per_enterprise": ("", "每家企业每年度创新券金额上限（元），空为不设上限；按创新券发放日"
                                              "（未发放的按申报日）的版本判断", "amount_or_empty"),
    # Deadlines (program/deadlines.py).
    "contract_register_days": ("15", "创新券发放后须登记合同的期限（天），逾期作废；按发放日的版本判断", "days"),
    "voucher_valid_months": ("3", "登记合同后创新券的有效期（月），逾期未结题作废；按合同签订日的版本判断", "months"),
}

NAMES = PolicySetting.NAMES  # their Chinese names, with the model's labels


def meaning(key: str) -> str:
    return PARAMETERS[key][1] if key in PARAMETERS else ""


def shown_value(setting: PolicySetting) -> str:
    """The value as a clerk reads it: an amount in yuan, an empty cap as
    no cap."""
    text = (setting.value or "").strip()
    if PARAMETERS.get(setting.key, ("", "", ""))[2] != "amount_or_empty":
        return text
    amount = finite_decimal(text) if text else None
    return "不设上限" if not text else f"{amount:,.2f} 元" if amount is not None else text


def in_force(key: str, on: Optional[datetime.date] = None) -> str:
    """The value in force on `on` (today): its version's, else the default."""
    version = PolicySetting.in_force(key, on or models.today())
    return (PARAMETERS[key][0] if version is None else version.value or "").strip()


def count(key: str, on: Optional[datetime.date] = None) -> int:
    return int(in_force(key, on))


def number(key: str, on: Optional[datetime.date] = None) -> Optional[Decimal]:
    """A decimal parameter, or None when it is empty (no cap)."""
    text = in_force(key, on)
    return Decimal(text) if text else None


def ratio(key: str, on: Optional[datetime.date] = None) -> Decimal:
    """A ratio parameter (never empty: check_setting refuses that)."""
    return Decimal(in_force(key, on) or PARAMETERS[key][0])


def periods(key: str) -> list:
    """[(first day or None, last day or None, value)] of the key's versions
    in order, the first from the beginning (the default where no version
    runs from the program's start): a deadline's query per period."""
    steps = [(v.effective_from, (v.value or "").strip()) for v in PolicySetting.versions(key)]
    if not steps or steps[0][0] != POLICY_ORIGIN:
        steps.insert(0, (POLICY_ORIGIN, PARAMETERS[key][0]))
    ends = [day - datetime.timedelta(days=1) for day, _ in steps[1:]] + [None]
    return [(None if day == POLICY_ORIGIN else day, end, value) for (day, value), end in zip(steps, ends)]


def ensure_defaults() -> int:
    """Write the first version of a key that has none; never another."""
    created = 0
    for key, (default, _, _) in PARAMETERS.items():
        _, was_created = PolicySetting.get_or_create(key=key, defaults={"value": default})
        created += was_created
    return created


def check_setting(setting: PolicySetting) -> None:
    """A version of a program key with a valid value, from a date still to
    come (the past is never rewritten: a version in force is locked whole,
    program/locks.py); the first version of a key may run from the start."""
    known = PARAMETERS.get(setting.key)
    if known is None:
        raise RuleViolation("key", f"未知的参数“{setting.key}”；可设置的参数为：" + "、".join(NAMES.values()))
    stored = PolicySetting.get_or_none(PolicySetting.id == setting.id) if setting.id is not None else None
    if stored is not None and stored.key != setting.key:
        raise RuleViolation("key", f"“{NAMES[stored.key]}”的版本不能改为其他参数；如需调整其他参数，请新增版本")
    text = (setting.value or "").strip()
    if known[2] == "amount_or_empty":
        text = text.replace(",", "").replace("，", "")  # 500,000 as a clerk writes it
    elif not text:
        raise RuleViolation("value", "请填写参数值")
    problem = CHECKS[known[2]](text)
    if problem:
        raise RuleViolation("value", problem)
    if stored is not None and stored.effective_from <= models.today() \
            and setting.effective_from == stored.effective_from:
        return  # in force: locks.enforce refuses any change of it
    # Kept as a clerk writes it: 0.3, 100000000000, 15.
    setting.value = _canonical(text, known[2])
    _check_date(setting, known[0], known[2])


def _check_date(setting: PolicySetting, default: str, kind: str) -> None:
    day = setting.effective_from
    if not isinstance(day, datetime.date):
        raise RuleViolation("effective_from", "请填写生效日期")
    others = PolicySetting.select().where(PolicySetting.key == setting.key)
    if setting.id is not None:
        others = others.where(PolicySetting.id != setting.id)
    # A key without a version is in force at its default: writing that
    # default down as its first version (init-db, migrate) changes nothing.
    first = (setting.id is None and day == POLICY_ORIGIN and (setting.value or "") == _canonical(default, kind)
             and not others.exists())
    today = models.today()
    if day <= today and not first:
        raise RuleViolation("effective_from",
                            f"生效日期应晚于今天（{today}）：已按现行版本作出的判断不被改写，新版本最早自明天起生效")
    if not first:
        _changes_something(setting, others, default)
    if others.where(PolicySetting.effective_from == day).exists():
        raise RuleViolation("effective_from", f"“{NAMES[setting.key]}”已有自 {day} 起生效的版本，请修改该版本或另选日期")


def _changes_something(setting: PolicySetting, others, default: str) -> None:
    """A version equal to the one before it would change nothing."""
    before = (others.where(PolicySetting.effective_from < setting.effective_from)
              .order_by(PolicySetting.effective_from.desc())
              .first())
    previous = (before.value if before is not None else default) or ""
    value = setting.value or ""
    same = value == previous if not (value and previous) else finite_decimal(value) == finite_decimal(previous)
    if same:
        raise RuleViolation("value", f"参数值与此前施行的版本相同（{previous or '不设上限'}），无需新增版本")


def _count(value: str, least: int = 0, most: int = 100_000, unit: str = "") -> Optional[str]:
    if not (value.isascii() and value.isdigit() and least <= int(value) <= most):
        return f"参数值应为 {least} 至 {most:,} 的整数{unit}，您输入的是“{value}”"
    return None


def _canonical(text: str, kind: str) -> str:
    if not text:
        return text
    if kind in ("count", "days", "months"):
        return str(int(text))
    number = finite_decimal(text)  # checked by CHECKS before
    return format(number, "f") if number is not None else text  # 1E11, ０.３, +0.3: as written plainly


def _ratio(value: str) -> Optional[str]:
    number = finite_decimal(value)
    if number is None or not Decimal("0.0001") <= number <= Decimal(1) or _decimals(number) > 4:
        return f"比例应为大于 0、不大于 1 的小数（最多 4 位小数，如 0.30），您输入的是“{value}”"
    return None


def _amount_or_empty(value: str) -> Optional[str]:
    if not value:
        return None
    amount = finite_decimal(value)
    if amount is None or amount <= 0 or amount.adjusted() >= 12 or _decimals(amount) > 2:
        return f"上限应为正的金额（元，最多 12 位整数、2 位小数）或留空，您输入的是“{value}”"
    return None


def _decimals(number: Decimal) -> int:
    exponent = number.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


# A deadline is at least a day and at most what a voucher could sensibly
# wait (a year of days, ten years of months): longer ones would run past
# the calendar in the deadline's arithmetic.
CHECKS = {"count": _count, "ratio": _ratio, "amount_or_empty": _amount_or_empty,
          "days": lambda value: _count(value, 1, 365, "（天）"),
          "months": lambda value: _count(value, 1, 120, "（月）")}

