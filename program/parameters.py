"""政策参数: the program's limits as data (R1's minimums, R11's cap, the
annual cap per enterprise), kept in `policy_setting` and read by the rules
every time. The keys are the program's: none added, renamed or, once in
force, removed (a missing row would silently bring back the default).
"""
from decimal import Decimal
from typing import Optional

from models import PolicySetting
from program.checks import RuleViolation, finite_decimal

# key: (default value, Chinese description, kind). A policy revision changes
# the row in policy_setting; the rules read it every time.
PARAMETERS = {
    "r1_min_served_enterprises": ("30", "推荐机构须拥有的服务企业数量下限（家）", "count"),
    "r1_min_promised_events": ("2", "推荐机构须承诺组织的宣传、对接活动次数下限（次）", "count"),
    "r11_purchase_cap_ratio": ("0.30", "新技术新产品购买额占审定合同额的比例上限（0 至 1）", "ratio"),
    "annual_voucher_cap_per_enterprise": ("", "每家企业每年度创新券金额上限（元），空为不设上限", "amount_or_empty"),
    # Deadlines (DOMAIN.md §6; program/deadlines.py).
    "contract_register_days": ("15", "创新券发放后须登记合同的期限（天），逾期作废", "count"),
    "voucher_valid_months": ("3", "登记合同后创新券的有效期（月），逾期未结题作废", "count"),
}

NAMES = PolicySetting.NAMES  # their Chinese names, with the model's labels


def shown_value(setting: PolicySetting) -> str:
    """The value as a clerk reads it: an empty cap is no cap."""
    if not (setting.value or "").strip() and PARAMETERS.get(setting.key, ("", "", ""))[2] == "amount_or_empty":
        return "不设上限"
    return setting.value or ""


def current(key: str) -> str:
    """The value in force: the policy_setting row, else the default."""
    stored = PolicySetting.select(PolicySetting.value).where(PolicySetting.key == key).scalar()
    if stored is None and not PolicySetting.select().where(PolicySetting.key == key).exists():
        stored = PARAMETERS[key][0]
    return (stored or "").strip()


def count(key: str) -> int:
    return int(current(key))


def number(key: str) -> Optional[Decimal]:
    """A decimal parameter, or None when it is empty (no cap)."""
    text = current(key)
    return Decimal(text) if text else None


def ratio(key: str) -> Decimal:
    """A ratio parameter (never empty: check_setting refuses that)."""
    return Decimal(current(key) or PARAMETERS[key][0])


def ensure_defaults() -> int:
    """Write the defaults that are missing; never overwrite a decision."""
    created = 0
    for key, (default, description, _) in PARAMETERS.items():
        _, was_created = PolicySetting.get_or_create(
            key=key, defaults={"value": default, "description": description}
        )
        created += was_created
    return created


def check_setting(setting: PolicySetting) -> None:
    """The keys are the program's (PARAMETERS): none added, renamed or, once in
    force, removed (a missing row would silently bring back the default)."""
    known = PARAMETERS.get(setting.key)
    if known is None:
        raise RuleViolation("key", f"未知的参数键“{setting.key}”；可设置的参数为：" + "、".join(PARAMETERS))
    if setting.id is not None:
        stored = PolicySetting.select(PolicySetting.key).where(PolicySetting.id == setting.id).scalar()
        if stored is not None and stored != setting.key:
            raise RuleViolation("key", f"参数键“{stored}”不能修改；如需调整，请修改其参数值")
    problem = CHECKS[known[2]]((setting.value or "").strip())
    if problem:
        raise RuleViolation("value", problem)


def _count(value: str) -> Optional[str]:
    if not (value.isascii() and value.isdigit() and int(value) <= MAX_COUNT):
        return f"参数值应为 0 至 {MAX_COUNT:,} 的整数，您输入的是“{value}”"
    return None


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


MAX_COUNT = 100_000
CHECKS = {"count": _count, "ratio": _ratio, "amount_or_empty": _amount_or_empty}

