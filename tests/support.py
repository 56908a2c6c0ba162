"""Helpers for tests that need more than the session's app: a second app
with other settings over the same database, or a database of its own."""
import contextlib
import os
import re
import uuid

import models
from tests.conftest import PASSWORD, TEST_DB, csrf_token

_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


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


def log_in(client, username, password=PASSWORD):
    token = csrf_token(client, "/login")
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})


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
