"""Login, logout, hashed passwords, CSRF and the secret key."""
import os
import re

import models
from tests.support import PASSWORD, csrf_token, login, make_user
from web.throttle import LoginThrottle


def test_login_page_is_chinese_with_the_named_fields(client):
    page = client.get("/login").get_data(as_text=True)
    for name in ("username", "password", "csrf_token"):
        assert f'name="{name}"' in page
    assert "用户名" in page and "密码" in page and "登录" in page


def test_login_success_goes_to_dashboard_and_is_audited(client):
    user = make_user("clerk1", "clerk")
    response = login(client, "clerk1")
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/")
    dashboard = client.get("/admin/").get_data(as_text=True)
    assert "工作台" in dashboard and "clerk1" in dashboard
    assert models.AuditLog.select().where(models.AuditLog.action == "login", models.AuditLog.user == user).exists()
    assert models.User.get_by_id(user.id).last_login_at is not None


def test_wrong_password_is_refused_in_chinese_and_audited(client):
    make_user("clerk1", "clerk")
    response = login(client, "clerk1", "wrong-password")
    assert response.status_code == 200
    assert "用户名或密码错误" in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302
    failed = models.AuditLog.get(models.AuditLog.action == "login_failed")
    assert failed.username == "clerk1"
    assert "wrong-password" not in (failed.changes or "")


def test_unknown_user_gets_the_same_message(client):
    response = login(client, "nobody", "whatever-password")
    assert "用户名或密码错误" in response.get_data(as_text=True)


def test_disabled_account_cannot_log_in_and_reads_like_a_wrong_password(client):
    make_user("old", "clerk", is_active=False)
    response = login(client, "old")
    text = response.get_data(as_text=True)
    # The right password of a disabled account tells a guesser nothing more.
    assert "用户名或密码错误" in text and "停用" not in text
    assert client.get("/admin/").status_code == 302
    refused = models.AuditLog.get(models.AuditLog.action == "login_refused")
    assert refused.changes_dict == {"reason": "disabled"}


def test_password_is_stored_hashed(client):
    user = make_user("h", "clerk")
    stored = models.User.get_by_id(user.id).password_hash
    assert PASSWORD not in stored and stored.startswith(("scrypt:", "pbkdf2:"))


def test_empty_login_form_shows_chinese_field_errors(client):
    token = csrf_token(client)
    page = client.post("/login", data={"username": "", "password": "", "csrf_token": token}).get_data(as_text=True)
    assert "请输入用户名" in page and "请输入密码" in page


def test_post_without_csrf_token_is_refused_and_writes_nothing(client, as_role):
    as_role("clerk")
    response = client.post("/admin/enterprise/new/", data={
        "name": "无令牌企业", "kind": "small", "district": "haidian",
    })
    assert response.status_code == 400
    assert "表单安全校验失败" in response.get_data(as_text=True)
    assert not models.Enterprise.select().where(models.Enterprise.name == "无令牌企业").exists()


def test_login_without_csrf_token_is_refused(client):
    make_user("clerk1", "clerk")
    response = client.post("/login", data={"username": "clerk1", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/admin/").status_code == 302


def test_logout_needs_a_post(client, as_role):
    as_role("clerk")
    page = client.get("/logout")
    assert page.status_code == 200 and "确定要退出登录吗" in page.get_data(as_text=True)
    assert client.get("/admin/").status_code == 200  # a GET did not log out
    token = csrf_token(client, "/logout")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/admin/").status_code == 302


def test_next_is_never_an_open_redirect(client):
    make_user("clerk1", "clerk")
    token = csrf_token(client)
    response = client.post("/login?next=//evil.example/x", data={
        "username": "clerk1", "password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"].endswith("/admin/")


def test_next_returns_to_the_page_asked_for(client):
    make_user("clerk1", "clerk")
    first = client.get("/admin/lab/")
    assert "/login" in first.headers["Location"]
    token = csrf_token(client)
    response = client.post("/login?next=/admin/lab/", data={
        "username": "clerk1", "password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"].endswith("/admin/lab/")


def test_secret_key_is_generated_once_into_instance_not_written_in_code(tmp_path, monkeypatch):
    from config import _instance_secret

    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = _instance_secret(tmp_path)
    assert len(first) >= 32 and first == _instance_secret(tmp_path)
    assert oct(os.stat(tmp_path / "secret_key").st_mode)[-3:] == "600"
    source = "".join(open(f, encoding="utf-8").read() for f in ("app.py", "config.py"))
    assert not re.search(r"SECRET_KEY\s*=\s*['\"]", source)


def test_secret_key_comes_from_the_environment(monkeypatch, tmp_path):
    from app import create_app

    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/env.db")
    monkeypatch.setenv("UPLOAD_DIR", str(tmp_path / "uploads"))
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    saved = models.db.obj
    try:
        app = create_app()
        assert app.config["SECRET_KEY"] == "from-the-environment"
        assert app.config["DATABASE_URL"].endswith("env.db")
    finally:
        if not models.db.obj.is_closed():
            models.db.obj.close()
        models.db.initialize(saved)


def test_password_guessing_from_one_address_meets_a_ceiling(client, app, monkeypatch):
    """The per-address ceiling, on failures only."""
    make_user("clerk1", "clerk")
    monkeypatch.setitem(app.extensions, "login_throttle", LoginThrottle({
        **app.config, "LOGIN_ADDRESS_FAILURES": "3 per 15 minutes"}))
    for n in range(3):
        assert "用户名或密码错误" in login(client, f"nobody{n}", "guess-guess").get_data(as_text=True)
    blocked = login(client, "clerk1")  # even the right password, from this address, for now
    assert blocked.status_code == 429 and blocked.headers["Retry-After"].isdigit()
    assert "此网络地址登录失败次数过多" in blocked.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302
