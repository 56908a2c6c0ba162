"""Settings from the environment.

Nothing secret is written here: SECRET_KEY comes from the environment or, for a
local install, from a key generated once and kept in instance/secret_key.
"""
import datetime
import os
import secrets
from pathlib import Path


def _instance_secret(instance_path):
    """Generate the local secret once and keep it beside the database."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip()


def _whole_number(name, value):
    if not (value.isascii() and value.isdigit()):
        raise RuntimeError(f"{name} 应为非负整数，环境变量中是“{value}”")
    return int(value)


class Config:
    # None means: take the embedded SQLite database in instance/voucher.db.
    DATABASE_URL = None
    SECRET_KEY = None
    UPLOAD_DIR = None  # default: instance/uploads
    MAX_UPLOAD_BYTES = 10 * 1024 * 1024
    # Werkzeug caps the whole request a little above one upload.
    MAX_CONTENT_LENGTH = 12 * 1024 * 1024
    PAGE_SIZE = 20
    # Spreadsheet imports (program/importing): the largest file taken, the
    # size above which the test run and the commit go on in the background
    # (the page shows their progress), and where uploaded files wait for
    # their confirmation (default: instance/imports).
    IMPORT_MAX_BYTES = 50 * 1024 * 1024
    IMPORT_BACKGROUND_BYTES = 100 * 1024
    IMPORT_DIR = None
    # The notices' SMTP server (program/notices.py, `send-notices`).
    SMTP_HOST = "127.0.0.1"
    SMTP_PORT = 25
    SMTP_USER = None
    SMTP_PASSWORD = None
    SMTP_STARTTLS = False
    SMTP_SSL = False
    MAIL_FROM = "cxq-noreply@localhost"
    # The public directory's own limit per client address (web/directory.py).
    DIRECTORY_RATE_LIMIT = "120 per minute"
    # Failed logins (throttle.py; `limits` syntax). Only failures count.
    LOGIN_ACCOUNT_FAILURES = "5 per 15 minutes"
    LOGIN_LOCK_MINUTES = 15
    LOGIN_ADDRESS_FAILURES = "100 per 15 minutes"
    RATELIMIT_STORAGE_URI = "memory://"
    # How many reverse proxies in front of the app set X-Forwarded-For
    # (and -Proto); none by default, so a client cannot forge its address.
    TRUSTED_PROXIES = 0
    SESSION_IDLE_MINUTES = 8 * 60
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    WTF_CSRF_TIME_LIMIT = 8 * 3600
    # The address institutions are told to log in at (开通账号通知书); by
    # default the address this request came to.
    PUBLIC_URL = None
    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"

    @classmethod
    def from_env(cls, app):
        """Fill the settings an operator may set from the environment."""
        env = os.environ
        app.config["DATABASE_URL"] = env.get("DATABASE_URL") or app.config.get("DATABASE_URL")
        if env.get("SECRET_KEY"):
            app.config.update(SECRET_KEY=env["SECRET_KEY"], SECRET_KEY_SOURCE="environment")
        elif app.config.get("SECRET_KEY"):
            app.config["SECRET_KEY_SOURCE"] = "settings"
        else:
            app.config.update(SECRET_KEY=_instance_secret(app.instance_path), SECRET_KEY_SOURCE="generated")
        app.config["UPLOAD_DIR"] = (
            env.get("UPLOAD_DIR")
            or app.config.get("UPLOAD_DIR")
            or os.path.join(app.instance_path, "uploads")
        )
        app.config["IMPORT_DIR"] = (env.get("IMPORT_DIR") or app.config.get("IMPORT_DIR")
                                    or os.path.join(app.instance_path, "imports"))
        _named_settings(app, env)


# The settings read from the environment as they are, as numbers, as flags ("1").
TEXT_SETTINGS = ("RATELIMIT_STORAGE_URI", "LOGIN_ADDRESS_FAILURES", "LOGIN_ACCOUNT_FAILURES", "PUBLIC_URL",
                 "DIRECTORY_RATE_LIMIT", "SMTP_HOST", "SMTP_USER", "SMTP_PASSWORD", "MAIL_FROM")
NUMBER_SETTINGS = ("TRUSTED_PROXIES", "SESSION_IDLE_MINUTES", "LOGIN_LOCK_MINUTES", "IMPORT_MAX_BYTES", "SMTP_PORT")
FLAG_SETTINGS = ("SMTP_STARTTLS", "SMTP_SSL")


def _named_settings(app, env):
    for name in TEXT_SETTINGS:
        if env.get(name):
            app.config[name] = env[name]
    for name in NUMBER_SETTINGS:
        if env.get(name):
            app.config[name] = _whole_number(name, env[name])
    for name in FLAG_SETTINGS:
        if env.get(name):
            app.config[name] = env[name] == "1"
    if env.get("SESSION_COOKIE_SECURE") == "1":
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True


def finish(app):
    """Settings derived from others, once every source has been read."""
    minutes = int(app.config["SESSION_IDLE_MINUTES"])
    app.config["PERMANENT_SESSION_LIFETIME"] = datetime.timedelta(minutes=minutes)
    app.config["WTF_CSRF_TIME_LIMIT"] = minutes * 60
