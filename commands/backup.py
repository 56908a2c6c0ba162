"""Backups an office can restore: `flask --app app backup FILE` and
`flask --app app restore FILE [--force]`.

A backup is one .tar.gz: the database as a consistent copy taken while the
app runs (SQLite's online backup API; `pg_dump -Fc` on PostgreSQL, one
snapshot), then the uploaded materials (copied after the database, so every
row's file is already in place), and manifest.json with the row count of
every table. A restore goes into an empty database (or, with --force, over
a full one), puts the files back and checks the counts against the manifest.
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

import migrations
import models

FORMAT = 1
TABLES = [m._meta.table_name for m in models.ALL_MODELS]


class BackupError(Exception):
    """A refusal with the Chinese message the operator reads."""


def _kind(database):
    return "postgresql" if models.is_postgres(database) else "sqlite"


def _counts(database):
    return {table: database.execute_sql(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0] for table in TABLES}


def _postgres_url(app):
    url = app.config["DATABASE_URL"]
    return "postgresql://" + url.split("://", 1)[1]


def backup(app, path):
    """Write the backup; returns its manifest."""
    database = models.db.obj
    with tempfile.TemporaryDirectory() as work:
        if _kind(database) == "sqlite":
            dump = os.path.join(work, "database.sqlite3")
            copy = sqlite3.connect(dump)
            with database.connection_context():
                database.connection().backup(copy)
            copy.close()
            counts = _counts_of_sqlite_file(dump)
        else:
            dump = os.path.join(work, "database.pgdump")
            _run(["pg_dump", "-Fc", "--no-owner", "--no-privileges", "-f", dump, _postgres_url(app)])
            counts = _counts(database)  # pg_dump's snapshot may be a moment older; the restore re-counts
        manifest = {
            "format": FORMAT, "database": _kind(database), "schema_version": migrations.current(database),
            "created_at": datetime.datetime.now().isoformat(timespec="seconds"), "tables": counts,
        }
        uploads = app.config["UPLOAD_DIR"]
        with tarfile.open(path, "w:gz") as archive:
            archive.add(dump, arcname=os.path.basename(dump))
            files = 0
            for folder, _, names in os.walk(uploads):
                for name in sorted(names):
                    if name.endswith(".part"):
                        continue  # a save still in progress
                    full = os.path.join(folder, name)
                    archive.add(full, arcname=os.path.join("uploads", os.path.relpath(full, uploads)))
                    files += 1
            manifest["uploads"] = files
            data = json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8")
            info = tarfile.TarInfo("manifest.json")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    os.chmod(path, 0o600)
    return manifest


def _counts_of_sqlite_file(path):
    connection = sqlite3.connect(path)
    try:
        return {t: connection.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in TABLES}
    finally:
        connection.close()


def is_empty(database):
    tables = set(database.get_tables())
    return all(database.execute_sql(f'SELECT 1 FROM "{t}" LIMIT 1').fetchone() is None
               for t in TABLES if t in tables)


def restore(app, path, force=False):
    """Restore the backup into this app's database and upload folder;
    returns the manifest."""
    database = models.db.obj
    with tarfile.open(path, "r:gz") as archive, tempfile.TemporaryDirectory() as work:
        manifest = json.load(archive.extractfile("manifest.json"))
        if manifest.get("format") != FORMAT:
            raise BackupError("无法识别的备份文件格式")
        if manifest["database"] != _kind(database):
            raise BackupError(f"备份来自 {manifest['database']} 数据库，当前数据库为 {_kind(database)}，不能直接恢复")
        if not is_empty(database) and not force:
            raise BackupError("当前数据库中已有数据，未做任何修改。确认要用备份覆盖时，请加 --force")
        archive.extractall(work, filter="data")
        if manifest["database"] == "sqlite":
            source = sqlite3.connect(os.path.join(work, "database.sqlite3"))
            with database.connection_context():
                source.backup(database.connection())
            source.close()
        else:
            # Nothing of ours may hold the tables pg_restore replaces.
            database.close()
            if hasattr(database, "close_all"):
                database.close_all()
            _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
                  "-d", _postgres_url(app), os.path.join(work, "database.pgdump")])
        _put_back_uploads(os.path.join(work, "uploads"), app.config["UPLOAD_DIR"], force)
    with database.connection_context():
        found = _counts(database)
    if found != manifest["tables"]:
        differing = {t: (manifest["tables"].get(t), n) for t, n in found.items() if manifest["tables"].get(t) != n}
        raise BackupError(f"恢复后的行数与备份清单不符：{differing}")
    return manifest


def _put_back_uploads(source, uploads, force):
    os.makedirs(uploads, mode=0o700, exist_ok=True)
    if force:
        for entry in os.listdir(uploads):
            shutil.rmtree(os.path.join(uploads, entry), ignore_errors=True)
    if not os.path.isdir(source):
        return
    for folder, _, names in os.walk(source):
        target = os.path.join(uploads, os.path.relpath(folder, source))
        os.makedirs(target, mode=0o700, exist_ok=True)
        for name in names:
            shutil.copyfile(os.path.join(folder, name), os.path.join(target, name))
            os.chmod(os.path.join(target, name), 0o600)


def _run(command):
    try:
        subprocess.run(command, check=True, capture_output=True, text=True)
    except FileNotFoundError as exc:
        raise BackupError(f"找不到 {command[0]}：请安装 PostgreSQL 客户端工具（与服务器同一主版本）") from exc
    except subprocess.CalledProcessError as exc:
        raise BackupError(f"{command[0]} 失败：{exc.stderr.strip()[:500]}") from exc
