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
    try:
        app = create_app({"TESTING": True, "DATABASE_URL": database_url, "UPLOAD_DIR": upload_dir,
                          "SECRET_KEY": uuid.uuid4().hex, **settings})
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
