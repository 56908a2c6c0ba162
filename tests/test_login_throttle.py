"""The morning login: failures only are counted, per account and per
address; an office behind one address logs in; an administrator lifts a
lock; several workers share the counts through Redis."""
import datetime
import multiprocessing
import re

import pytest

import models
from config import Config
from tests.support import PASSWORD, TEST_DB, csrf_token, log_out, login, make_user, other_app
from web.throttle import LoginThrottle


@pytest.fixture
def default_limits(app, monkeypatch):
    """The throttle as shipped (the suite's own app raises the per-address
    ceiling, since it logs in thousands of times from one address)."""
    throttle = LoginThrottle({**app.config, "LOGIN_ADDRESS_FAILURES": Config.LOGIN_ADDRESS_FAILURES,
                              "LOGIN_ACCOUNT_FAILURES": Config.LOGIN_ACCOUNT_FAILURES,
                              "LOGIN_LOCK_MINUTES": Config.LOGIN_LOCK_MINUTES})
    monkeypatch.setitem(app.extensions, "login_throttle", throttle)
    return throttle


def test_an_office_behind_one_address_logs_in_every_morning(client, default_limits):
    for n in range(30):
        make_user(f"clerk{n:02d}", "clerk")
    for n in range(30):
        assert login(client, f"clerk{n:02d}").status_code == 302, n
        log_out(client)
    # A few typos along the way do not lock anybody else out.
    for n in range(3):
        login(client, f"clerk{n:02d}", "typo-typo")
    assert login(client, "clerk29").status_code == 302


def test_five_failures_lock_the_account_even_for_the_right_password(client, default_limits):
    make_user("zhangwei", "clerk")
    make_user("lina", "clerk")
    for _ in range(4):
        assert "用户名或密码错误" in login(client, "zhangwei", "guess-guess").get_data(as_text=True)
    fifth = login(client, "zhangwei", "guess-guess").get_data(as_text=True)
    assert "已被暂时锁定" in fifth
    refused = login(client, "zhangwei")
    text = refused.get_data(as_text=True)
    assert refused.status_code == 200 and "已被暂时锁定" in text
    until = re.search(r"请于 (\d\d:\d\d) 后再试", text).group(1)
    expected = datetime.datetime.now() + datetime.timedelta(minutes=15)
    assert until in {f"{expected:%H:%M}", f"{expected - datetime.timedelta(minutes=1):%H:%M}"}
    assert client.get("/admin/").status_code == 302
    # Another account from the same address is not affected.
    assert login(client, "lina").status_code == 302
    assert models.AuditLog.select().where(models.AuditLog.action == "login_locked").count() == 1


def test_an_unknown_name_locks_the_same_way(client, default_limits):
    """A lock says nothing about which names exist."""
    for _ in range(5):
        login(client, "no-such-user", "guess-guess")
    assert "已被暂时锁定" in login(client, "no-such-user", "guess-guess").get_data(as_text=True)


def test_a_success_starts_the_count_afresh(client, default_limits):
    make_user("zhangwei", "clerk")
    for _ in range(4):
        login(client, "zhangwei", "guess-guess")
    assert login(client, "zhangwei").status_code == 302
    log_out(client)
    for _ in range(4):
        login(client, "zhangwei", "guess-guess")
    assert login(client, "zhangwei").status_code == 302


def test_an_administrator_lifts_a_lock_and_a_clerk_cannot(client, as_role, default_limits):
    victim = make_user("zhangwei", "clerk")
    for _ in range(5):
        login(client, "zhangwei", "guess-guess")
    as_role("clerk")
    token = csrf_token(client, "/admin/")
    assert client.post(f"/admin/user/unlock/?id={victim.id}", data={"csrf_token": token}).status_code == 403
    log_out(client)

    as_role("admin")
    listing = client.get("/admin/user/").get_data(as_text=True)
    assert "登录锁定" in listing and "锁定至" in listing
    details = client.get(f"/admin/user/details/?id={victim.id}").get_data(as_text=True)
    assert 'id="unlock-login"' in details
    token = csrf_token(client, f"/admin/user/details/?id={victim.id}")
    lifted = client.post(f"/admin/user/unlock/?id={victim.id}", data={"csrf_token": token}, follow_redirects=True)
    assert "已解除“zhangwei”的登录锁定" in lifted.get_data(as_text=True)
    assert models.AuditLog.select().where(models.AuditLog.action == "unlock_login",
                                          models.AuditLog.object_id == victim.id).exists()
    log_out(client)
    assert login(client, "zhangwei").status_code == 302


def test_the_address_ceiling_counts_failures_only(client, app, monkeypatch):
    make_user("zhangwei", "clerk")
    monkeypatch.setitem(app.extensions, "login_throttle", LoginThrottle({
        **app.config, "LOGIN_ADDRESS_FAILURES": "3 per 15 minutes"}))
    for _ in range(10):  # successes are not counted
        assert login(client, "zhangwei").status_code == 302
        log_out(client)
    for n in range(3):
        login(client, f"guess{n}", "guess-guess")
    blocked = login(client, "zhangwei")
    assert blocked.status_code == 429 and "此网络地址登录失败次数过多" in blocked.get_data(as_text=True)


def test_the_client_address_comes_through_trusted_proxies_only(database_url, upload_dir):
    """Behind one trusted proxy each clerk's own address counts; without the
    setting a forged X-Forwarded-For changes nothing."""
    make_user("zhangwei", "clerk")
    for proxies, separate in ((1, True), (0, False)):
        with other_app(database_url, upload_dir, TRUSTED_PROXIES=proxies,
                       LOGIN_ADDRESS_FAILURES="2 per 15 minutes") as app:
            client = app.test_client()

            def attempt(address, username="nobody", password="guess-guess"):
                token = csrf_token(client, "/login")
                return client.post("/login", data={"username": username, "password": password, "csrf_token": token},
                                   headers={"X-Forwarded-For": address})

            attempt("10.0.0.1")
            attempt("10.0.0.1")
            assert attempt("10.0.0.1", "zhangwei", PASSWORD).status_code == 429
            other = attempt("10.0.0.2", "zhangwei", PASSWORD).status_code
            assert other == (302 if separate else 429), proxies


def test_a_wrong_current_password_is_throttled_too(client, as_role, default_limits):
    as_role("clerk")
    username = models.User.select().order_by(models.User.id.desc()).get().username
    token = csrf_token(client, "/change-password")
    data = {"new_password": "Qiuyue-lantern-58", "new_password_confirm": "Qiuyue-lantern-58", "csrf_token": token}
    for _ in range(5):
        page = client.post("/change-password", data=dict(data, current_password="guess-guess"))
        assert "当前密码不正确" in page.get_data(as_text=True)
    locked = client.post("/change-password", data=dict(data, current_password=PASSWORD)).get_data(as_text=True)
    assert "已被暂时锁定" in locked
    assert models.AuditLog.select().where(models.AuditLog.action == "change_password_failed").count() == 5
    log_out(client)
    assert "已被暂时锁定" in login(client, username).get_data(as_text=True)


def _fail_logins(database_url, upload_dir, storage, username, times):
    """Another worker: its own process, its own app, the same Redis."""
    from tests.support import other_app as build

    with build(database_url, upload_dir, RATELIMIT_STORAGE_URI=storage) as app:
        client = app.test_client()
        for _ in range(times):
            token = csrf_token(client, "/login")
            client.post("/login", data={"username": username, "password": "guess-guess", "csrf_token": token})
    return True


def _redis_or_skip():
    import redis

    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1).ping()
    except redis.exceptions.RedisError:
        pytest.skip("no Redis at 127.0.0.1:6379")


def test_workers_share_the_counts_through_redis(database_url, upload_dir):
    _redis_or_skip()
    # Its own Redis database per pass: the SQLite and PostgreSQL passes run side by side.
    storage = f"redis://127.0.0.1:6379/{15 if TEST_DB == 'sqlite' else 14}"
    make_user("zhangwei", "clerk")
    models.db.close()
    with other_app(database_url, upload_dir, RATELIMIT_STORAGE_URI=storage) as app:
        app.extensions["login_throttle"].reset()
        # Three failures in another process (a second gunicorn worker)...
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            assert pool.apply(_fail_logins, (database_url, upload_dir, storage, "zhangwei", 3))
        # ...and two here: the fifth locks the account for both.
        client = app.test_client()
        for _ in range(2):
            login(client, "zhangwei", "guess-guess")
        assert "已被暂时锁定" in login(client, "zhangwei").get_data(as_text=True)
        app.extensions["login_throttle"].reset()


def test_keeping_accounts_locked_costs_the_address_like_guessing(client, app, monkeypatch):
    monkeypatch.setitem(app.extensions, "login_throttle", LoginThrottle({
        **app.config, "LOGIN_ADDRESS_FAILURES": "8 per 15 minutes"}))
    for _ in range(5):
        login(client, "victim", "guess-guess")
    for _ in range(3):  # the account is locked: these are refused, and counted
        assert "已被暂时锁定" in login(client, "victim", "guess-guess").get_data(as_text=True)
    assert login(client, "someone-else", "guess-guess").status_code == 429


def test_logins_go_on_when_the_count_store_does_not_answer(database_url, upload_dir):
    make_user("zhangwei", "clerk")
    with other_app(database_url, upload_dir, RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0") as app:
        client = app.test_client()
        assert "用户名或密码错误" in login(client, "zhangwei", "guess-guess").get_data(as_text=True)
        assert login(client, "zhangwei").status_code == 302
        result = app.test_cli_runner().invoke(args=["check-deploy", "--workers", "1"])
        assert "无法连接" in result.output
