"""Backups an office can restore: `flask --app app backup FILE` and
`flask --app app restore FILE [--force]`.

A backup is one .tar.gz, owner-only from its first byte: the database as a
consistent copy taken while the app runs (SQLite's online backup API;
`pg_dump -Fc` on PostgreSQL, in the very snapshot its row counts were read
in), then the uploaded materials (copied after the database, so every row's
file is already in place), and manifest.json with the row count of every
table and the number of files. A restore goes into an empty database (or,
with --force, over a full one), puts the files back and checks both counts
against the manifest.
"""
import datetime
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile

import psycopg2

import migrations
import models

FORMAT = 1
TABLES = [m._meta.table_name for m in models.ALL_MODELS]
DUMPS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}


class BackupError(Exception):
    """A refusal with the Chinese message the operator reads."""


def _kind(database):
    return "postgresql" if models.is_postgres(database) else "sqlite"


def _counts(cursor):
    counts = {}
    for table in TABLES:
        cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
        counts[table] = cursor.fetchone()[0]
    return counts


def _postgres_url(app):
    url = app.config["DATABASE_URL"]
    return "postgresql://" + url.split("://", 1)[1]


# --- backup ---------------------------------------------------------------------------

def backup(app, path):
    """Write the backup; returns its manifest."""
    if os.path.exists(path):
        raise BackupError(f"{path} 已存在，未做任何修改；请换一个文件名（备份从不覆盖已有文件）")
    database = models.db.obj
    kind = _kind(database)
    with tempfile.TemporaryDirectory() as work:
        dump = os.path.join(work, DUMPS[kind])
        counts = _sqlite_copy(database, dump) if kind == "sqlite" else _postgres_dump(app, dump)
        manifest = {
            "format": FORMAT, "database": kind, "schema_version": migrations.current(database),
            "created_at": datetime.datetime.now().isoformat(timespec="seconds"), "tables": counts,
        }
        # Owner-only before the first byte: the archive holds the whole database.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as target, tarfile.open(fileobj=target, mode="w:gz") as archive:
            archive.add(dump, arcname=DUMPS[kind])
            manifest["uploads"] = _add_uploads(archive, app.config["UPLOAD_DIR"])
            data = json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8")
            info = tarfile.TarInfo("manifest.json")
            info.size = len(data)
            info.mode = 0o600
            archive.addfile(info, io.BytesIO(data))
    return manifest


def _sqlite_copy(database, dump):
    copy = sqlite3.connect(dump)
    try:
        with database.connection_context():
            database.connection().backup(copy)
        return _counts(copy.cursor())
    finally:
        copy.close()


def _postgres_dump(app, dump):
    """pg_dump in the snapshot the counts are read in (pg_export_snapshot):
    the manifest says exactly what the dump holds, however busy the office."""
    connection = psycopg2.connect(_postgres_url(app))
    try:
        connection.set_session(isolation_level="REPEATABLE READ", readonly=True)
        cursor = connection.cursor()
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        counts = _counts(cursor)
        _run(["pg_dump", "-Fc", "--no-owner", "--no-privileges", f"--snapshot={snapshot}", "-f", dump,
              _postgres_url(app)])
        return counts
    finally:
        connection.rollback()
        connection.close()


def _add_uploads(archive, uploads):
    files = 0
    for folder, _, names in os.walk(uploads):
        for name in sorted(names):
            if name.endswith(".part"):
                continue  # a save still in progress
            full = os.path.join(folder, name)
            try:
                archive.add(full, arcname=os.path.join("uploads", os.path.relpath(full, uploads)))
            except FileNotFoundError:
                continue  # deleted with its record meanwhile
            files += 1
    return files


# --- restore -----------------------------------------------------------------------------

def is_empty(database):
    tables = set(database.get_tables())
    return all(database.execute_sql(f'SELECT 1 FROM "{t}" LIMIT 1').fetchone() is None
               for t in TABLES if t in tables)


def restore(app, path, force=False):
    """Restore the backup into this app's database and upload folder;
    returns the manifest."""
    database = models.db.obj
    with tempfile.TemporaryDirectory() as work:
        manifest = _unpack(path, work, _kind(database))
        if not is_empty(database) and not force:
            raise BackupError("当前数据库中已有数据，未做任何修改。确认要用备份覆盖时，请加 --force")
        if manifest["database"] == "sqlite":
            source = sqlite3.connect(os.path.join(work, DUMPS["sqlite"]))
            with database.connection_context():
                source.backup(database.connection())
            source.close()
        else:
            # Nothing of ours may hold the tables pg_restore replaces.
            database.close()
            if hasattr(database, "close_all"):
                database.close_all()
            _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
                  "-d", _postgres_url(app), os.path.join(work, DUMPS["postgresql"])])
        files = _put_back_uploads(os.path.join(work, "uploads"), app.config["UPLOAD_DIR"], force)
    _compare(database, manifest, files)
    return manifest


def _unpack(path, work, kind):
    """The archive's manifest, after checking it is a backup of this kind of
    database with everything it names, unpacked into `work`."""
    try:
        with tarfile.open(path, "r:gz") as archive:
            names = set(archive.getnames())
            if "manifest.json" not in names:
                raise BackupError("备份文件不完整：缺少 manifest.json")
            manifest = json.load(archive.extractfile("manifest.json"))
            if manifest.get("format") != FORMAT or manifest.get("database") not in DUMPS:
                raise BackupError("无法识别的备份文件格式")
            if manifest["database"] != kind:
                raise BackupError(f"备份来自 {manifest['database']} 数据库，当前数据库为 {kind}，不能直接恢复")
            if DUMPS[kind] not in names:
                raise BackupError(f"备份文件不完整：缺少数据库文件 {DUMPS[kind]}")
            # filter="data": no absolute paths, no "..", no links out of `work`.
            archive.extractall(work, filter="data")
    except (tarfile.TarError, OSError, ValueError, KeyError) as exc:
        raise BackupError(f"备份文件无法读取或含有不安全的内容，未做任何修改：{exc}") from exc
    return manifest


def _put_back_uploads(source, uploads, force):
    os.makedirs(uploads, mode=0o700, exist_ok=True)
    if force:
        for entry in os.listdir(uploads):
            shutil.rmtree(os.path.join(uploads, entry), ignore_errors=True)
    files = 0
    for folder, _, names in os.walk(source):
        target = os.path.join(uploads, os.path.relpath(folder, source))
        os.makedirs(target, mode=0o700, exist_ok=True)
        for name in names:
            shutil.copyfile(os.path.join(folder, name), os.path.join(target, name))
            os.chmod(os.path.join(target, name), 0o600)
            files += 1
    return files


def _compare(database, manifest, files):
    with database.connection_context():
        found = _counts(database.cursor())
    if found != manifest["tables"]:
        differing = {t: (manifest["tables"].get(t), n) for t, n in found.items() if manifest["tables"].get(t) != n}
        raise BackupError(f"恢复后的行数与备份清单不符：{differing}")
    if files != manifest.get("uploads"):
        raise BackupError(f"恢复的申请材料为 {files} 个文件，备份清单为 {manifest.get('uploads')} 个")


def _run(command):
    try:
        subprocess.run(command, check=True, capture_output=True, text=True)
    except FileNotFoundError as exc:
        raise BackupError(f"找不到 {command[0]}：请安装 PostgreSQL 客户端工具（与服务器同一主版本）") from exc
    except subprocess.CalledProcessError as exc:
        raise BackupError(f"{command[0]} 失败：{exc.stderr.strip()[:500]}") from exc
