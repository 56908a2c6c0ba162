"""The fixtures of every test: a fresh back office per test run, on SQLite
(default) or PostgreSQL, wiped before each test; a client; a signed-in user
of a role. Helpers live in tests/support.py.

TEST_DB=postgres makes this run create its own PostgreSQL database on the
server at TEST_PG_URL (default postgresql://postgres@127.0.0.1:5432/postgres),
run against it, and drop it at the end. The SQLite database lives on a tmpfs
(/dev/shm) when the machine has one: the suite then spends no time on disk
syncs, and nothing of it lands in the checkout.
"""
import datetime
import os
import shutil
import tempfile
import uuid

import psycopg2
import pytest
from hypothesis import settings
from hypothesis.configuration import set_hypothesis_home_dir

import models
from program import workqueue
from tests.support import (
    PASSWORD,
    TEST_DB,
    QueryCounter,
    csrf_token,
    login,
    make_user,
    postgres_server_url,
    wipe,
)

# The browser's fixtures (live_server, browser, page) for every test module.
pytest_plugins = ("tests.browser",)

# Hypothesis keeps nothing in the checkout (.hypothesis/): no example
# database (the properties are checked afresh each run), its caches in /tmp.
set_hypothesis_home_dir(os.path.join(tempfile.gettempdir(), "voucher-hypothesis"))
settings.register_profile("suite", database=None)
settings.load_profile("suite")


def _admin_connection():
    conn = psycopg2.connect(postgres_server_url(), connect_timeout=5)
    conn.autocommit = True
    return conn


def _scratch(prefix):
    memory = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    return tempfile.mkdtemp(prefix=prefix, dir=memory)


@pytest.fixture(scope="session")
def database_url():
    tmp = _scratch("voucher-test-")
    if TEST_DB == "postgres":
        name = f"voucher_test_{uuid.uuid4().hex[:10]}"
        conn = _admin_connection()
        conn.cursor().execute(f'CREATE DATABASE "{name}"')
        # A test's commit need not wait for the disk (its data dies with the run).
        conn.cursor().execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
        base = postgres_server_url().rsplit("/", 1)[0]
        yield f"{base}/{name}"
        models.db.obj.close() if models.db.obj and not models.db.obj.is_closed() else None
        cur = conn.cursor()
        cur.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.close()
    else:
        yield f"sqlite:///{tmp}/test.db"
    shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def upload_dir():
    path = _scratch("voucher-uploads-")
    yield path
    shutil.rmtree(path, ignore_errors=True)
    shutil.rmtree(f"{path}-instance", ignore_errors=True)


@pytest.fixture(scope="session")
def app(database_url, upload_dir, tmp_path_factory):
    from app import create_app

    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": uuid.uuid4().hex,
            "UPLOAD_DIR": upload_dir,
            # Nothing of a test run lands in the checkout.
            "INSTANCE_PATH": str(tmp_path_factory.mktemp("instance")),
            "MAX_UPLOAD_BYTES": 64 * 1024,
            # The suite logs in hundreds of times from one address; the
            # throttle itself has its own tests.
            "LOGIN_ADDRESS_FAILURES": "100000 per minute",
            # The browser keeps the static assets for the run instead of asking
            # for each again on every page (a few thousand requests fewer).
            "SEND_FILE_MAX_AGE_DEFAULT": 3600,
        }
    )


@pytest.fixture(autouse=True)
def clean(app, upload_dir):
    database = models.db.obj
    database.connect(reuse_if_open=True)
    wipe(database)
    for entry in os.listdir(upload_dir):
        shutil.rmtree(os.path.join(upload_dir, entry), ignore_errors=True)
    app.extensions["login_throttle"].reset()
    workqueue.forget()
    yield
    if not database.is_closed():
        database.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def as_role(client):
    """Sign the test client in as a fresh user of the given role, whoever
    was signed in before (logged out first): the one way tests log in and
    out. as_role.user(name) signs in an existing account; as_role.out()
    only logs out. (The login tests themselves post to /login.)"""

    def out():
        client.post("/logout", data={"csrf_token": csrf_token(client, "/logout")})

    def user(username, password=PASSWORD):
        """Sign in as an existing account."""
        if client.get_cookie("session") is not None:
            out()
        response = login(client, username, password)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client

    def _as(role, institution=None):
        username = f"{role}_{uuid.uuid4().hex[:6]}"
        make_user(username, role, institution=institution)
        return user(username)

    _as.out, _as.user = out, user
    return _as


@pytest.fixture
def clock(monkeypatch):
    """The office's clock (models.clock), moved by the test: clock(day)
    sets the date that stamps and rules read; nothing sleeps. It starts on
    2026-03-16, the day after the factories' contracts are signed (granted
    2026-03-01, signed 2026-03-15): still in time to register and review
    them, whatever the machine's date."""
    current = {"day": datetime.date(2026, 3, 16)}
    monkeypatch.setattr(models, "clock",
                        lambda: datetime.datetime.combine(current["day"], datetime.datetime.now().time()))

    def move(day):
        current["day"] = day
    return move


@pytest.fixture
def count_queries():
    return lambda: QueryCounter(models.db.obj)
