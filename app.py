"""The application factory: `flask --app app run`, `flask --app app init-db`."""
import gc
import os

from flask import Flask, redirect, render_template, request, url_for
from flask_babel import Babel
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

import commands
import config
import migrations
import models
from admin import init_admin
from config import Config
from program import signals
from web import directory, security, throttle
from web.auth import bp as auth_bp
from web.auth import login_manager

csrf = CSRFProtect()


def create_app(settings=None):
    # INSTANCE_PATH: where the embedded database, the generated secret and
    # the uploads live by default (instance/ beside app.py unless given).
    app = Flask(__name__, instance_relative_config=True,
                instance_path=(settings or {}).get("INSTANCE_PATH") or os.environ.get("INSTANCE_PATH") or None)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_object(Config)
    Config.from_env(app)
    if settings:
        # Explicit settings (tests, embedding) win over the environment.
        app.config.from_mapping(settings)
    config.finish(app)
    proxies = int(app.config["TRUSTED_PROXIES"])
    if proxies:
        # The client's address (the login throttle's key) and scheme as the
        # trusted proxies saw them; without this setting the headers are ignored.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)

    database = models.open_database(
        app.config["DATABASE_URL"], os.path.join(app.instance_path, "voucher.db")
    )
    models.db.initialize(database)
    # The rules before every save and delete, the search index after them.
    signals.connect()
    # One connection per request. PostgreSQL's goes back to the pool on
    # teardown; SQLite's stays open in its thread, keeping its page cache
    # warm (a fresh one re-reads every page it needs). playhouse's FlaskDB
    # refuses a connection the thread already opened, so these two hooks.
    keep_open = not models.is_postgres(database)

    @app.before_request
    def _connect():
        database.connect(reuse_if_open=True)

    @app.teardown_request
    def _close(exc):
        if not keep_open and not database.is_closed():
            database.close()
    # A new database needs no setup step: its schema is made at the latest
    # version on first use. An older one waits for `migrate` (see below).
    migrations.prepare(database)
    _require_current_schema(app, database)
    security.init_app(app, None if models.is_postgres(database) else database.database)

    @app.before_request
    def _import_size():
        # An import's spreadsheet may be larger than any other upload; the
        # cap is raised for its form alone, before anything reads the body.
        if request.method == "POST" and request.path.endswith("/import/"):
            request.max_content_length = int(app.config["IMPORT_MAX_BYTES"]) + 1024 * 1024

    csrf.init_app(app)
    # flask-admin's screens and WTForms' messages in Simplified Chinese.
    Babel(app, locale_selector=lambda: "zh_CN")
    login_manager.init_app(app)
    throttle.init_app(app)
    app.register_blueprint(auth_bp)
    directory.init_app(app)
    init_admin(app)

    commands.register(app)
    _register_error_pages(app)

    @app.context_processor
    def shared_context():
        return {"role_label": models.ROLES.label,
                "admin_static_base": url_for("admin.static", filename="")}

    @app.route("/")
    def home():
        return redirect(url_for("admin.index"))

    # What start-up built lives as long as the process: keep it out of the
    # garbage collector's way, so no request pays for rescanning it.
    gc.collect()
    gc.freeze()
    return app


def _require_current_schema(app, database):
    """Serve nothing on a schema older than the code: every page would
    fail. The check runs until it has once found the schema current."""

    @app.before_request
    def _schema_current():
        if app.extensions.get("schema_current") or request.endpoint in security.STATIC_ENDPOINTS:
            return None
        version = migrations.current(database)
        if version is not None and version >= migrations.LATEST:
            app.extensions["schema_current"] = True
            return None
        text = (f"数据库结构版本为 {version}，本程序需要 {migrations.LATEST}。"
                "请系统管理员先运行 flask --app app migrate，完成后即可使用。")
        return render_template("error.html", code=503, title="系统升级中", text=text), 503


def _register_error_pages(app):
    messages = {
        400: ("请求无效", "请求内容不完整或已过期，请返回重试。"),
        403: ("没有权限", "您的账号没有访问此页面或执行此操作的权限。"),
        404: ("页面不存在", "您访问的页面或记录不存在，或您无权查看。"),
        405: ("不允许的操作", "此页面不支持该请求方式。"),
        413: ("文件过大", "上传的文件超过了允许的大小。"),
        429: ("尝试过于频繁", "尝试次数过多，请稍后再试。"),
        500: ("系统错误", "系统处理请求时出错，已记录，请稍后重试或联系系统管理员。"),
    }

    def page(code):
        def handler(error):
            title, text = messages[code]
            return render_template("error.html", code=code, title=title, text=text), code

        return handler

    for code in messages:
        app.register_error_handler(code, page(code))

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return (
            render_template(
                "error.html", code=400, title="页面已过期",
                text="表单安全校验失败（页面已过期或来源不明），未做任何修改。请刷新页面后重试。",
            ),
            400,
        )
