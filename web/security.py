"""What every response and every file of the back office carries for
safety: the browser headers, and owner-only permissions on the database,
instance/ and the uploads."""
import logging
import os
import stat

from flask import request

log = logging.getLogger(__name__)

# No inline script anywhere (flask-admin's own scripts are files; ours are in
# static/js/app.js), nothing from another origin, no framing.
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    # flask-admin's markup sets a few style attributes; styles cannot run code.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))

# Static assets may be cached; everything else shows someone's data.
STATIC_ENDPOINTS = {"static", "admin.static"}


def add_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    if request.endpoint not in STATIC_ENDPOINTS and not (request.blueprint == "directory"
                                                         and "max-age" in headers.get("Cache-Control", "")):
        # The public directory (web/directory.py) says itself that it may be cached.
        headers["Cache-Control"] = "no-store"
    return response


def private_dir(path):
    """Create the folder if needed and make it the owner's alone."""
    os.makedirs(path, mode=0o700, exist_ok=True)
    _restrict(path, 0o700)


def private_file(path):
    if os.path.exists(path):
        _restrict(path, 0o600)


def _restrict(path, mode):
    if stat.S_IMODE(os.stat(path).st_mode) & 0o077:
        try:
            os.chmod(path, mode)
        except PermissionError:
            # Another owner's folder (a mounted volume): start, and let
            # `check-deploy` name it.
            log.warning("cannot make %s owner-only", path)


def world_readable(path):
    """True when others than the owner (group or world) may read it."""
    return os.path.exists(path) and bool(stat.S_IMODE(os.stat(path).st_mode) & 0o044)


def init_app(app, sqlite_path=None):
    app.after_request(add_headers)
    private_dir(app.instance_path)
    private_dir(app.config["UPLOAD_DIR"])
    if sqlite_path:
        # SQLite gives its -wal and -shm files the database file's mode.
        for suffix in ("", "-wal", "-shm"):
            private_file(sqlite_path + suffix)
