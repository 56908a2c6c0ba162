"""Helpers of the tests (the fixtures are in conftest.py): the test
password, CSRF tokens, accounts, logging in and out, a second app with other
settings over the same database, a database of its own, query counting."""
import contextlib
import os
import re
import uuid

from werkzeug.security import generate_password_hash

import models
from program import search

PASSWORD = "Passw0rd-for-tests"
TEST_DB = os.environ.get("TEST_DB", "sqlite")


def wipe(database):
    """Every table emptied (and on PostgreSQL its ids restarted)."""

    tables = [m._meta.table_name for m in models.ALL_MODELS] + [spec.table for spec in search.SPECS.values()]
    if TEST_DB == "postgres":
        # DELETE with the reference checks off (replica role), then the ids
        # restarted: on tables of a few rows this is 80 times faster than
        # TRUNCATE … RESTART IDENTITY, which re-creates every table's files.
        database.execute_sql("SET session_replication_role = replica; "
                             + " ".join(f'DELETE FROM "{t}";' for t in tables)
                             + " SET session_replication_role = DEFAULT;")
        sequences = [name for (name,) in database.execute_sql(
            "SELECT relname FROM pg_class WHERE relkind = 'S' AND relnamespace = 'public'::regnamespace")]
        if sequences:
            database.execute_sql("SELECT " + ", ".join(f"setval('\"{s}\"', 1, false)" for s in sequences))
    else:
        database.execute_sql("PRAGMA foreign_keys = OFF")
        for table in tables:
            database.execute_sql(f'DELETE FROM "{table}"')
        database.execute_sql("PRAGMA foreign_keys = ON")


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


@contextlib.contextmanager
def other_app(database_url, upload_dir, **settings):
    """An app built with other settings (a second worker, or another
    deployment), over the given database. create_app() points the shared
    models.db at its own connection; the session app's is restored after."""
    from app import create_app

    previous = models.db.obj
    config = {"TESTING": True, "DATABASE_URL": database_url, "UPLOAD_DIR": upload_dir,
              "SECRET_KEY": uuid.uuid4().hex, "INSTANCE_PATH": f"{upload_dir}-instance",
              **settings}
    try:
        # A setting given as None is left out (SECRET_KEY=None: generated).
        app = create_app({k: v for k, v in config.items() if v is not None})
        yield app
    finally:
        if models.db.obj is not previous and previous is not None:
            if not models.db.obj.is_closed():
                models.db.obj.close()
            models.db.initialize(previous)
            previous.connect(reuse_if_open=True)


def log_out(client):
    return client.post("/logout", data={"csrf_token": csrf_token(client, "/logout")})


def session_cookie(client):
    cookie = client.get_cookie("session")
    return cookie.value if cookie else None


def is_postgres():
    return TEST_DB == "postgres"


def postgres_server_url():
    return os.environ.get("TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@contextlib.contextmanager
def fresh_database(tmp_path):
    """The URL of a new, empty database of the kind under test."""
    if not is_postgres():
        yield f"sqlite:///{tmp_path}/fresh-{uuid.uuid4().hex[:6]}.db"
        return
    import subprocess

    name = f"voucher_fresh_{uuid.uuid4().hex[:8]}"
    server = postgres_server_url()
    subprocess.run(["psql", server, "-q", "-c", f'CREATE DATABASE "{name}"'], check=True, capture_output=True)
    try:
        yield f"{server.rsplit('/', 1)[0]}/{name}"
    finally:
        subprocess.run(["psql", server, "-q", "-c", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'],
                       check=True, capture_output=True)


def version_of(table, record_id):
    """The version a confirmation form would carry for this record now."""
    model = {m._meta.table_name: m for m in models.ALL_MODELS}[table]
    return model.get_by_id(record_id).version
