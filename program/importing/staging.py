"""An uploaded file between its test run and its confirmation: kept in a
directory of its own (the file, its state, the test run's report), owned by
the user who uploaded it, so the confirmation writes exactly the file that
was tested. Long runs go on in a thread and write their progress here, for
any worker of the server to show."""
import hashlib
import json
import os
import re
import shutil
import threading
import time
import uuid
from typing import Any, Callable, Optional

from program.importing.outcome import Report

_TOKEN = re.compile(r"^[0-9a-f]{32}$")
# Staged files nobody confirmed are removed after a day.
KEEP_SECONDS = 24 * 3600
# A run reports progress every thousand rows; this long without it, it stopped.
STALLED = 120


class TooLarge(Exception):
    pass


class Staged:
    def __init__(self, root: str, token: str):
        self.root, self.token = root, token
        self.path = os.path.join(root, token)

    @property
    def source(self) -> str:
        return os.path.join(self.path, "source")

    # --- state -------------------------------------------------------------------
    def _write_json(self, name, data):
        temporary = os.path.join(self.path, f".{name}.{uuid.uuid4().hex}")
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(data, handle, ensure_ascii=False)
        os.replace(temporary, os.path.join(self.path, name))

    def _read_json(self, name):
        try:
            with open(os.path.join(self.path, name), encoding="utf-8") as handle:
                return json.load(handle)
        except (OSError, ValueError):
            return None

    @property
    def meta(self) -> dict:
        return self._read_json("meta.json") or {}

    def update(self, **changes: Any) -> dict:
        meta = {**self.meta, **changes, "beat": time.time()}
        self._write_json("meta.json", meta)
        return meta

    @property
    def stalled(self) -> bool:
        """A run that stopped without finishing (its worker was restarted or
        killed): no progress for STALLED seconds. Its transaction rolled
        back with it."""
        meta = self.meta
        return meta.get("state") in ("testing", "committing") and time.time() - meta.get("beat", 0) > STALLED

    @property
    def listing(self) -> str:
        return os.path.join(self.path, "listing.csv")

    @property
    def report(self) -> Optional[Report]:
        data = self._read_json("report.json")
        return Report.from_dict(data) if data else None

    def keep_report(self, report: Report) -> None:
        self._write_json("report.json", report.as_dict())

    def claim(self, step: str) -> bool:
        """True for the first caller only (a confirmation clicked twice
        writes once)."""
        try:
            os.close(os.open(os.path.join(self.path, f"{step}.claimed"), os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return False
        return True

    # --- life --------------------------------------------------------------------
    @classmethod
    def create(cls, root: str, user_id: Any, table: str, filename: str, stream: Any, max_bytes: int) -> "Staged":
        os.makedirs(root, mode=0o700, exist_ok=True)
        _sweep(root)
        staged = cls(root, uuid.uuid4().hex)
        os.makedirs(staged.path, mode=0o700)
        digest, size = hashlib.sha256(), 0
        with open(staged.source, "wb") as out:
            for chunk in iter(lambda: stream.read(1 << 20), b""):
                size += len(chunk)
                if size > max_bytes:
                    out.close()
                    shutil.rmtree(staged.path, ignore_errors=True)
                    raise TooLarge()
                digest.update(chunk)
                out.write(chunk)
        staged.update(user_id=user_id, table=table, filename=filename, sha256=digest.hexdigest(), size=size,
                      state="new", done=0, started=time.time())
        return staged

    @classmethod
    def find(cls, root: str, token: str, user_id: Any, table: str) -> Optional["Staged"]:
        """The staged file of this token, if it is this user's, for this table."""
        if not _TOKEN.match(token or ""):
            return None
        staged = cls(root, token)
        meta = staged.meta
        if meta.get("user_id") != user_id or meta.get("table") != table:
            return None
        return staged

    def run(self, work: Callable[["Staged"], None], background: bool, app: Any = None) -> None:
        """Do `work` now, or in a thread with the app's context."""
        if not background:
            work(self)
            return

        def target():
            with app.app_context():
                work(self)

        threading.Thread(target=target, name=f"import-{self.token[:8]}", daemon=True).start()


def _sweep(root):
    cutoff = time.time() - KEEP_SECONDS
    for entry in os.listdir(root):
        path = os.path.join(root, entry)
        try:
            if os.path.getmtime(path) < cutoff:
                shutil.rmtree(path, ignore_errors=True)
        except OSError:
            pass
