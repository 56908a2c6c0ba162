"""`flask --app app check-deploy`: the production risks of this install,
named one by one (like Django's `check --deploy`); the command exits 1 when
any is found."""
import os
import runpy

import models
from web import security, throttle

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def configured_workers():
    """gunicorn's worker count as this repository starts it: WEB_CONCURRENCY,
    else gunicorn.conf.py's own setting; None when WEB_CONCURRENCY is not a
    number (gunicorn would not start)."""
    value = os.environ.get("WEB_CONCURRENCY")
    if value is not None:
        return int(value) if value.isascii() and value.isdigit() else None
    settings = runpy.run_path(os.path.join(ROOT, "gunicorn.conf.py"))
    return int(settings.get("workers", 1))


def risks(app, workers):
    """Each risk as (what is wrong, what to do), in Chinese."""
    found = []
    if workers is None:
        found.append(("环境变量 WEB_CONCURRENCY 不是整数，gunicorn 无法按它启动", "设为工作进程数，如 4"))
        workers = 1
    for check in (_secret, _debug, _cookies, _login_counts):
        found += check(app, workers)
    database = models.db.obj
    if not models.is_postgres(database) and workers > 1:
        found.append((f"嵌入式 SQLite 数据库由 {workers} 个工作进程同时写入",
                      "生产环境请使用 PostgreSQL（设置 DATABASE_URL），或只用 1 个工作进程"))
    return found + _readable_files(app, database)


def _secret(app, workers):
    if app.config.get("SECRET_KEY_SOURCE") == "generated":
        return [("SECRET_KEY 是自动生成并保存在 instance/secret_key 中的",
                 "在环境变量 SECRET_KEY 中设置一个随机密钥，各服务器与备份恢复后保持一致")]
    if len(str(app.config.get("SECRET_KEY") or "")) < 32:
        return [("SECRET_KEY 太短（少于 32 个字符），可被猜出",
                 "用 python -c \"import secrets; print(secrets.token_hex(32))\" 生成一个")]
    return []


def _debug(app, workers):
    if app.debug or os.environ.get("FLASK_DEBUG", "").lower() in ("1", "true", "yes"):
        return [("调试模式已开启（出错时会显示程序内部信息）", "去掉 FLASK_DEBUG，或设为 0")]
    return []


def _cookies(app, workers):
    if not app.config.get("SESSION_COOKIE_SECURE"):
        return [("登录会话 Cookie 未设置 Secure，可经明文 HTTP 发送", "在 HTTPS 之后运行，并设置 SESSION_COOKIE_SECURE=1")]
    return []


def _login_counts(app, workers):
    uri = str(app.config.get("RATELIMIT_STORAGE_URI", ""))
    if not throttle.current().reachable():
        return [(f"登录失败计数的存储 {uri} 无法连接（此时登录不计失败次数）",
                 "检查 Redis 是否运行、RATELIMIT_STORAGE_URI 是否正确")]
    if uri.startswith("memory://") and workers > 1:
        return [(f"登录失败计数保存在各进程内存中，{workers} 个工作进程各计各的",
                 "设置 RATELIMIT_STORAGE_URI=redis://…，让各进程共用计数")]
    return []


def _readable_files(app, database):
    paths = [("数据库文件", database.database)] if not models.is_postgres(database) else []
    paths += [("instance 目录", app.instance_path), ("申请材料目录 UPLOAD_DIR", app.config["UPLOAD_DIR"])]
    return [(f"{label} {path} 可被其他用户读取", f"chmod go-rwx {path}，并确认属主为运行本系统的用户")
            for label, path in paths if security.world_readable(path)]
