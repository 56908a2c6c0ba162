"""What a clerk reads when the database refuses a write: Chinese, never the
driver's English (the detail goes to the log)."""
import logging

from peewee import DatabaseError, IntegrityError, OperationalError

log = logging.getLogger(__name__)


def database_error_message(exc):
    """What a clerk reads when the database refused a write: never the
    driver's English (the detail goes to the log). None for other errors."""
    if isinstance(exc, IntegrityError):
        # The form checks uniqueness and references; this is the race it cannot see.
        return "保存失败：数据与已有记录冲突（名称、代码或关联记录），未做任何修改，请检查后重试。"
    if isinstance(exc, OperationalError) and "locked" in str(exc).lower():
        log.warning("database busy: %s", exc)
        return "系统繁忙（其他人正在保存），未做任何修改，请稍后重试。"
    if isinstance(exc, DatabaseError):
        log.exception("database refused a write")
        return "保存失败：数据库拒绝了这次修改（数据超出范围或格式不符），未做任何修改。详细信息已记入系统日志。"
    return None
