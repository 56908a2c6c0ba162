"""Sessions end when they should: at logout (a copied cookie is refused on
the server), at a password change or reset (the other sessions), when an
account is disabled, and after the idle time; the CSRF token is new after
each login."""
import itsdangerous.timed
import pytest

import models
from tests.support import (
    PASSWORD,
    csrf_token,
    log_out,
    login,
    make_user,
    session_cookie,
)


def test_logging_out_invalidates_a_copied_cookie(app, client):
    make_user("zhangwei", "clerk")
    login(client, "zhangwei")
    copied = session_cookie(client)
    assert client.get("/admin/").status_code == 200
    log_out(client)
    replay = app.test_client()
    replay.set_cookie("session", copied)
    response = replay.get("/admin/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_password_change_ends_the_other_sessions_only(app, client):
    make_user("zhangwei", "clerk")
    other = app.test_client()
    login(client, "zhangwei")
    login(other, "zhangwei")
    assert other.get("/admin/").status_code == 200
    token = csrf_token(client, "/change-password")
    done = client.post("/change-password", data={
        "current_password": PASSWORD, "new_password": "Qiuyue-lantern-58",
        "new_password_confirm": "Qiuyue-lantern-58", "csrf_token": token})
    assert done.status_code == 302
    assert client.get("/admin/").status_code == 200          # this session goes on
    assert other.get("/admin/").status_code == 302           # the other one has ended


@pytest.mark.parametrize("change", ("password", "disable", "role"))
def test_an_administrators_reset_ends_the_users_sessions(app, client, as_role, change):
    from tests.formtools import resubmit

    victim = make_user("zhangwei", "clerk")
    theirs = app.test_client()
    login(theirs, "zhangwei")
    assert theirs.get("/admin/").status_code == 200
    as_role("admin")
    values = {"password": {"password": "Qiuyue-lantern-58"}, "disable": {"is_active": None},
              "role": {"role": "reviewer"}}[change]
    response = resubmit(client, f"/admin/user/edit/?id={victim.id}", **values)
    assert response.status_code == 302
    assert theirs.get("/admin/").status_code == 302


def test_a_session_lapses_after_the_idle_time_and_each_request_renews_it(app, client, monkeypatch):
    make_user("zhangwei", "clerk")
    clock = {"now": 1_800_000_000.0}
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: clock["now"])
    login(client, "zhangwei")
    idle = app.config["SESSION_IDLE_MINUTES"] * 60
    assert idle == 8 * 3600
    for _ in range(3):  # a working day and more, a request every seven hours
        clock["now"] += idle - 3600
        assert client.get("/admin/").status_code == 200
    clock["now"] += idle + 60
    response = client.get("/admin/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_csrf_token_is_new_after_login(client):
    make_user("zhangwei", "clerk")
    before = csrf_token(client, "/login")
    client.post("/login", data={"username": "zhangwei", "password": PASSWORD, "csrf_token": before})
    after = csrf_token(client, "/admin/enterprise/new/")
    assert after != before
    # A form signed with the token from before the login is refused.
    stale = client.post("/admin/enterprise/new/", data={
        "name": "旧令牌企业", "kind": "small", "district": "haidian", "csrf_token": before})
    assert stale.status_code == 400
    assert not models.Enterprise.select().where(models.Enterprise.name == "旧令牌企业").exists()
