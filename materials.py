"""Application materials (DOMAIN.md §4): checked by content, stored by a
generated name under UPLOAD_DIR, never under the name the browser sent."""
import hashlib
import os
import uuid

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


class MaterialError(ValueError):
    pass


def read_checked(stream, max_bytes):
    """Read an upload whole, refusing what is too large or of a type not allowed.

    Returns (data, extension)."""
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise MaterialError(f"文件过大：上限为 {max_bytes // (1024 * 1024)} MB")
    if not data:
        raise MaterialError("文件为空")
    kind = filetype.guess(data[:8192] if len(data) > 8192 else data)
    if kind is None or kind.extension not in ALLOWED_TYPES:
        found = kind.extension if kind else "无法识别"
        raise MaterialError(f"文件类型不允许（识别为：{found}），请上传 {ALLOWED_LABEL}")
    return data, kind.extension


def path_for(upload_dir, stored_name):
    # Two-character fan-out keeps any one folder small.
    return os.path.join(upload_dir, stored_name[:2], stored_name)


def store(data, extension, original_name, upload_dir, user=None):
    """Write the bytes under a generated name and record them."""
    stored_name = f"{uuid.uuid4().hex}.{extension}"
    path = path_for(upload_dir, stored_name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".part"
    with open(tmp, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)
    return StoredFile.create(
        stored_name=stored_name,
        # The original name is only ever shown or offered as a download name.
        original_name=(os.path.basename((original_name or "").replace("\\", "/")) or stored_name)[:255],
        content_type=ALLOWED_TYPES[extension],
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=user,
    )
