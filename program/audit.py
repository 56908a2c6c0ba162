"""One record() for every write: views, command line, login."""
import datetime
import decimal
import json
from typing import Any, Optional

import compat
from models import AuditLog, Choices, now

# Never written to the log, whatever the caller passes.
SECRET_FIELDS = {"password", "password_hash", "new_password", "current_password", "csrf_token"}


def _plain(value):
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if hasattr(value, "_meta"):  # a related record: keep its id
        return value.id
    return value


def snapshot(record: Any) -> dict:
    """The record's stored values, by field name, secrets left out."""
    data = {}
    for field in record._meta.sorted_fields:
        if field.name in SECRET_FIELDS:
            continue
        data[field.name] = _plain(compat.stored(record, field.name))
    return data


def diff(before: Optional[dict], after: Optional[dict]) -> dict:
    keys = set(before or {}) | set(after or {})
    return {
        k: [(before or {}).get(k), (after or {}).get(k)]
        for k in sorted(keys)
        if (before or {}).get(k) != (after or {}).get(k) and k not in ("updated_at",)
    }


def entry(user: Any, action: str, model: Optional[str] = None, object_id: Optional[int] = None,
          before: Optional[dict] = None, after: Optional[dict] = None, username: Optional[str] = None,
          extra: Optional[dict] = None) -> dict:
    """An audit row's values, for writing many at once (record_many)."""
    changes = diff(before, after) if (before is not None or after is not None) else {}
    if extra:
        changes.update({k: v for k, v in extra.items() if k not in SECRET_FIELDS})
    return {
        "user": user.id if getattr(user, "id", None) else None,
        "username": username or getattr(user, "username", None),
        "action": action,
        "model": model,
        "object_id": object_id,
        "changes": json.dumps(changes, ensure_ascii=False, default=str) if changes else None,
        "at": now(),
        "created_at": now(),
        "updated_at": now(),
    }


def record_many(entries: list) -> None:
    """Rows of entry(), written in one statement per few hundred (an import
    writes one per record it touches)."""
    for start in range(0, len(entries), 500):
        AuditLog.insert_many(entries[start:start + 500]).execute()


def record(user: Any, action: str, model: Optional[str] = None, object_id: Optional[int] = None,
           before: Optional[dict] = None, after: Optional[dict] = None, username: Optional[str] = None,
           extra: Optional[dict] = None) -> AuditLog:
    return AuditLog.create(**entry(user, action, model, object_id, before, after, username, extra))


# The trail's own actions (a transition's are its label, workflow.action_label).
ACTIONS = Choices(
    ("create", "新建"), ("edit", "修改"), ("delete", "删除"), ("export", "导出"),
    ("login", "登录"), ("login_failed", "登录失败"), ("login_refused", "登录被拒（账号停用或锁定）"),
    ("login_locked", "连续登录失败，账号锁定"), ("unlock_login", "解除登录锁定"),
    ("logout", "退出登录"), ("change_password", "修改密码"), ("change_password_failed", "修改密码失败（当前密码错误）"),
    ("open_account", "开通账号"), ("save_filter", "保存常用筛选"), ("delete_filter", "删除常用筛选"),
    ("import", "导入"), ("import_undo", "撤销导入"), ("import_batch", "导入文件"),
    ("import_batch_undo", "撤销导入批次"), ("void", "到期作废"),
)
