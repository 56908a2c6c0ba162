"""The password policy: one home, for every path that sets a password (the
account screen, /change-password, create-user on the command line, and the
first password of an opened institution account).

Length, not all digits, not the user's own name, and not easily guessed:
zxcvbn (Dropbox's estimator) scores it against 30,000 common passwords,
keyboard walks, repeats, sequences and dates, and a score below
MIN_SCORE is refused with a Chinese reason.
"""
import secrets
from typing import Optional

MIN_LENGTH = 8
MAX_LENGTH = 128
# What the forms tell a user before they choose.
RULES = f"至少 {MIN_LENGTH} 位；不能全是数字、不能包含用户名，也不能是常见密码（如 password、12345678）。"
MIN_SCORE = 2  # zxcvbn's 0–4: 2 is "somewhat guessable", about 10^6 guesses or more

# zxcvbn's pattern names -> what a clerk reads.
_REASONS = {
    "repeat": "含有重复字符（如 aaaa）",
    "sequence": "含有连续字符（如 abcd、1234）",
    "spatial": "是键盘上相邻的按键（如 qwerty）",
    "date": "含有日期",
    "regex": "含有年份",
}


def _zxcvbn():
    # Imported on first use: its word lists cost 14 MB, which only the
    # processes that actually check a password should pay.
    from zxcvbn import zxcvbn

    return zxcvbn


def problems(password: Optional[str], username: Optional[str] = None,
             display_name: Optional[str] = None) -> list[str]:
    """Every reason the password is refused, in Chinese; [] when it is fine."""
    password = password or ""
    found = []
    if len(password.strip()) < MIN_LENGTH:
        found.append(f"密码至少 {MIN_LENGTH} 位（不计首尾空格）")
    if len(password) > MAX_LENGTH:
        found.append(f"密码最多 {MAX_LENGTH} 位")
    if password.isdigit():
        found.append("密码不能全是数字")
    name = (username or "").strip().lower()
    if len(name) >= 3 and name in password.lower():
        found.append("密码不能包含用户名")
    if found:
        return found
    # zxcvbn refuses more than 72 characters; their first 72 decide.
    result = _zxcvbn()(password[:72], user_inputs=[v for v in (username, display_name) if v])
    if result["score"] < MIN_SCORE:
        found.append("密码太容易被猜到：" + _reason(result) + "。请加长，或混用字母、数字和符号")
    return found


def _reason(result):
    for match in result["sequence"]:
        if match.get("pattern") == "dictionary":
            if match.get("dictionary_name") == "passwords":
                return "这是常见密码"
            if match.get("dictionary_name") == "user_inputs":
                return "含有用户名或姓名"
        if match.get("pattern") in _REASONS:
            return _REASONS[match["pattern"]]
    return "常见单词或简单组合"


def check(password: Optional[str], username: Optional[str] = None, display_name: Optional[str] = None) -> None:
    """Raise ValueError with the first reason when the password is refused."""
    found = problems(password, username, display_name)
    if found:
        raise ValueError(found[0])


# Letters and digits a reader cannot mistake for one another on paper: no
# 0/O/o, 1/l/I, and no - or _.
_PLAIN = "23456789abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"


def generate(length: int = 12) -> str:
    """A first password to hand over on paper, meeting the policy."""
    while True:
        candidate = "".join(secrets.choice(_PLAIN) for _ in range(length))
        if not problems(candidate):
            return candidate
