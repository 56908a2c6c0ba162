"""A fresh back office per test run, on SQLite (default) or PostgreSQL.

TEST_DB=postgres makes this run create its own PostgreSQL database on the
server at TEST_PG_URL (default postgresql://postgres@127.0.0.1:5432/postgres),
run against it, and drop it at the end.
"""
import os
import re
import shutil
import tempfile
import uuid

import pytest
from werkzeug.security import generate_password_hash

import models

PASSWORD = "Passw0rd-for-tests"
TEST_DB = os.environ.get("TEST_DB", "sqlite")


def _postgres_server_url():
    return os.environ.get("TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def _admin_connection():
    import psycopg2

    conn = psycopg2.connect(_postgres_server_url(), connect_timeout=5)
    conn.autocommit = True
    return conn


@pytest.fixture(scope="session")
def database_url():
    tmp = tempfile.mkdtemp(prefix="voucher-test-")
    if TEST_DB == "postgres":
        name = f"voucher_test_{uuid.uuid4().hex[:10]}"
        conn = _admin_connection()
        conn.cursor().execute(f'CREATE DATABASE "{name}"')
        base = _postgres_server_url().rsplit("/", 1)[0]
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
    path = tempfile.mkdtemp(prefix="voucher-uploads-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def app(database_url, upload_dir, tmp_path_factory):
    from app import create_app

    application = create_app(
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
        }
    )
    return application


def _wipe(database):
    from program import search

    tables = [m._meta.table_name for m in models.ALL_MODELS] + [spec.table for spec in search.SPECS.values()]
    if TEST_DB == "postgres":
        database.execute_sql(
            "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"
        )
    else:
        database.execute_sql("PRAGMA foreign_keys = OFF")
        for table in tables:
            database.execute_sql(f'DELETE FROM "{table}"')
        database.execute_sql("PRAGMA foreign_keys = ON")


@pytest.fixture(autouse=True)
def clean(app, upload_dir):
    database = models.db.obj
    database.connect(reuse_if_open=True)
    _wipe(database)
    for entry in os.listdir(upload_dir):
        shutil.rmtree(os.path.join(upload_dir, entry), ignore_errors=True)
    app.extensions["login_throttle"].reset()
    yield
    if not database.is_closed():
        database.close()


@pytest.fixture
def client(app):
    return app.test_client()


# --- helpers ---------------------------------------------------------------

_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def csrf_token(client, url="/login"):
    page = client.get(url)
    match = _TOKEN.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {url} ({page.status_code})"
    return match.group(1) or match.group(2)


_HASH = {}


def make_user(username, role, institution=None, is_active=True, **extra):
    # Hashing is deliberately slow; one hash serves every test account.
    if PASSWORD not in _HASH:
        _HASH[PASSWORD] = generate_password_hash(PASSWORD)
    return models.User.create(
        username=username, role=role, institution=institution, is_active=is_active,
        password_hash=_HASH[PASSWORD], **extra,
    )


def login(client, username, password=PASSWORD):
    token = csrf_token(client, "/login")
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})


@pytest.fixture
def as_role(client):
    """Log the test client in as a fresh user of the given role."""

    def _as(role, institution=None):
        username = f"{role}_{uuid.uuid4().hex[:6]}"
        make_user(username, role, institution=institution)
        response = login(client, username)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client

    return _as


class QueryCounter:
    def __init__(self, database):
        self.database = database
        self.statements = []

    def __enter__(self):
        original = self.database.execute_sql

        def counting(sql, params=None, *args, **kwargs):
            self.statements.append(sql)
            return original(sql, params, *args, **kwargs)

        self.database.execute_sql = counting
        return self

    def __exit__(self, *exc):
        del self.database.execute_sql  # back to the class's method

    @property
    def count(self):
        return len(self.statements)


@pytest.fixture
def count_queries():
    return lambda: QueryCounter(models.db.obj)
