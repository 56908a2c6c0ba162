"""Application materials (DOMAIN.md §4): checked by content, stored by a
generated name under UPLOAD_DIR, never under the name the browser sent.

A save that carries uploads stages them (Staging): each file is written under
a temporary name while its row is written in the save's transaction, and moved
into place only once that transaction has committed; a save that fails leaves
no file behind. A replaced or deleted record's files go with their rows."""
import hashlib
import os
import unicodedata
import uuid
from typing import Any, Optional

import filetype

from models import StoredFile

# What an application may carry: PDF, images, Word and Excel documents.
ALLOWED_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
ALLOWED_LABEL = "PDF、PNG/JPG 图片、Word（doc/docx）或 Excel（xls/xlsx）"
NAME_LENGTH = 120


class MaterialError(ValueError):
    pass


def read_checked(stream: Any, max_bytes: int) -> tuple[bytes, str]:
    """Read an upload whole, refusing what is too large or of a type not allowed.

    Returns (data, extension)."""
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise MaterialError(f"文件过大：上限为 {size_text(max_bytes)}")
    if not data:
        raise MaterialError("文件为空")
    kind = filetype.guess(data[:8192] if len(data) > 8192 else data)
    if kind is None or kind.extension not in ALLOWED_TYPES:
        found = f"识别为 {kind.extension}" if kind else "无法识别其类型"
        raise MaterialError(f"文件类型不允许（{found}），请上传 {ALLOWED_LABEL}")
    return data, kind.extension


def size_text(limit: int) -> str:
    """A size limit as the forms say it: 10 MB, or 64 KB below a megabyte."""
    if limit >= 1024 * 1024 and limit % (1024 * 1024) == 0:
        return f"{limit // (1024 * 1024)} MB"
    return f"{max(1, limit // 1024):,} KB"


def clean_name(original_name: Optional[str], extension: Optional[str] = None) -> str:
    """The browser's file name as it may be shown and offered for download:
    its last path part, without control or invisible characters (they would
    end up in a Content-Disposition header), of a sane length."""
    name = os.path.basename((original_name or "").replace("\\", "/"))
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Zl", "Zp"))
    name = " ".join(name.split()).strip(" .")
    if len(name) > NAME_LENGTH:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:NAME_LENGTH - len(ext) - 1] + dot + ext) if dot and len(ext) <= 10 else name[:NAME_LENGTH]
    return name or (f"材料.{extension}" if extension else "材料")


def path_for(upload_dir: str, stored_name: str) -> str:
    # Two-character fan-out keeps any one folder small.
    return os.path.join(upload_dir, stored_name[:2], stored_name)


def _write_private(path, data):
    """Owner-only: the materials are applicants' documents."""
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def _row(stored_name, data, extension, original_name, user):
    return StoredFile.create(
        stored_name=stored_name,
        # The original name is only ever shown or offered as a download name.
        original_name=clean_name(original_name, extension),
        content_type=ALLOWED_TYPES[extension],
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=user,
    )


def store(data: bytes, extension: str, original_name: Optional[str], upload_dir: str,
          user: Any = None) -> StoredFile:
    """Write the bytes under a generated name and record them, at once (for
    the command line and data generators; screens use Staging)."""
    stored_name = f"{uuid.uuid4().hex}.{extension}"
    path = path_for(upload_dir, stored_name)
    _write_private(path + ".part", data)
    os.replace(path + ".part", path)
    return _row(stored_name, data, extension, original_name, user)


class Staging:
    """The files of one save, in step with its transaction:

        with materials.Staging(upload_dir) as stage, db.atomic():
            stored = stage.store(...)      # temporary file + its row
            stage.retire(old_file_id)      # replaced: row and file go
            ...save the record...
            stage.delete_retired()         # rows, once nothing refers to them

    Leaving the block normally (the transaction committed) moves the new
    files into place and removes the retired ones; leaving it by an
    exception removes the new ones and keeps the old."""

    def __init__(self, upload_dir):
        self.upload_dir = upload_dir
        self.pending = []   # (temporary path, final path)
        self.retired = []   # StoredFile rows to delete with the record's change
        self.gone = []      # their paths, removed after the commit

    def store(self, data, extension, original_name, user=None):
        stored_name = f"{uuid.uuid4().hex}.{extension}"
        final = path_for(self.upload_dir, stored_name)
        temporary = f"{final}.{uuid.uuid4().hex[:8]}.part"
        _write_private(temporary, data)
        self.pending.append((temporary, final))
        return _row(stored_name, data, extension, original_name, user)

    def retire(self, stored_file_id):
        if stored_file_id is not None and stored_file_id not in self.retired:
            self.retired.append(stored_file_id)

    def delete_retired(self):
        for stored_id in self.retired:
            stored = StoredFile.get_or_none(StoredFile.id == stored_id)
            if stored is not None:
                self.gone.append(path_for(self.upload_dir, stored.stored_name))
                stored.delete_instance()
        self.retired = []

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            for temporary, final in self.pending:
                os.replace(temporary, final)
            for path in self.gone:
                _remove(path)
        else:
            for temporary, _final in self.pending:
                _remove(temporary)
        self.pending, self.gone = [], []
        return False


def _remove(path):
    try:
        os.remove(path)
    except FileNotFoundError:
        pass
