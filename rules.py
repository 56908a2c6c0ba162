"""The program's rules, one home each, named by their id in DOMAIN.md §3.

Forms, workflow transitions and the command line call these functions; each
raises RuleViolation(field, message) with the Chinese message a clerk reads.
This module knows nothing of Flask or WTForms.
"""
import re


class RuleViolation(ValueError):
    def __init__(self, field, message):
        super().__init__(message)
        self.field = field
        self.message = message


# --- General: 统一社会信用代码 (GB 32100-2015) ------------------------------

CREDIT_CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_check_char(body):
    """The 18th character for the first 17 of a credit code."""
    total = sum(
        CREDIT_CODE_CHARSET.index(ch) * w for ch, w in zip(body, _CREDIT_CODE_WEIGHTS)
    )
    return CREDIT_CODE_CHARSET[(31 - total % 31) % 31]


def check_credit_code(code, field="credit_code"):
    """Raise unless `code` is a well-formed credit code; return it normalised."""
    code = (code or "").strip().upper()
    if len(code) != 18:
        raise RuleViolation(
            field, f"统一社会信用代码应为 18 位，您输入的是 {len(code)} 位"
        )
    bad = sorted({ch for ch in code if ch not in CREDIT_CODE_CHARSET})
    if bad:
        raise RuleViolation(
            field,
            "统一社会信用代码含有不允许的字符：" + "、".join(bad)
            + "（不使用 I、O、Z、S、V）",
        )
    expected = credit_code_check_char(code[:17])
    if code[17] != expected:
        raise RuleViolation(
            field, f"统一社会信用代码校验位错误：第 18 位应为 {expected}，您输入的是 {code[17]}"
        )
    return code


# --- General: contacts ------------------------------------------------------

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")
_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")


def check_phone(value, field="contact_phone"):
    value = (value or "").strip()
    if not (_MOBILE.match(value) or _LANDLINE.match(value)):
        raise RuleViolation(
            field, f"联系电话格式不正确：{value}（手机号 11 位，或座机如 010-12345678）"
        )
    return value


def check_email(value, field="contact_email"):
    value = (value or "").strip()
    if not _EMAIL.match(value):
        raise RuleViolation(field, f"电子邮箱格式不正确：{value}")
    return value
