"""`flask --app app check-deploy`: the production risks of this install,
named one by one (like Django's `check --deploy`); the command exits 1 when
any is found."""
import os
import runpy

import models
from web import security

HERE = os.path.dirname(os.path.abspath(__file__))


def configured_workers():
    """gunicorn's worker count as this repository starts it: WEB_CONCURRENCY,
    else gunicorn.conf.py's own setting."""
    if os.environ.get("WEB_CONCURRENCY", "").isdigit():
        return int(os.environ["WEB_CONCURRENCY"])
    settings = runpy.run_path(os.path.join(HERE, "gunicorn.conf.py"))
    return int(settings.get("workers", 1))


def risks(app, workers):
    """Each risk as (what is wrong, what to do), in Chinese."""
    config = app.config
    found = []
    if config.get("SECRET_KEY_SOURCE") == "generated":
        found.append(("SECRET_KEY 是自动生成并保存在 instance/secret_key 中的",
                      "在环境变量 SECRET_KEY 中设置一个随机密钥，各服务器与备份恢复后保持一致"))
    if app.debug or os.environ.get("FLASK_DEBUG", "").lower() in ("1", "true", "yes"):
        found.append(("调试模式已开启（出错时会显示程序内部信息）", "去掉 FLASK_DEBUG，或设为 0"))
    database = models.db.obj
    if not models.is_postgres(database) and workers > 1:
        found.append((f"嵌入式 SQLite 数据库由 {workers} 个工作进程同时写入",
                      "生产环境请使用 PostgreSQL（设置 DATABASE_URL），或只用 1 个工作进程"))
    if not config.get("SESSION_COOKIE_SECURE"):
        found.append(("登录会话 Cookie 未设置 Secure，可经明文 HTTP 发送", "在 HTTPS 之后运行，并设置 SESSION_COOKIE_SECURE=1"))
    if str(config.get("RATELIMIT_STORAGE_URI", "")).startswith("memory://") and workers > 1:
        found.append((f"登录失败计数保存在各进程内存中，{workers} 个工作进程各计各的",
                      "设置 RATELIMIT_STORAGE_URI=redis://…，让各进程共用计数"))
    paths = [("数据库文件", database.database)] if not models.is_postgres(database) else []
    paths += [("instance 目录", app.instance_path), ("申请材料目录 UPLOAD_DIR", config["UPLOAD_DIR"])]
    for label, path in paths:
        if security.world_readable(path):
            found.append((f"{label} {path} 可被其他用户读取", f"chmod go-rwx {path}，并确认属主为运行本系统的用户"))
    return found
