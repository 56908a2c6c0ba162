"""Backups an office can restore: a copy taken while the app runs, the
uploaded materials with it, restored into an empty database with every
table's rows, and a full database left alone unless --force."""
import os

import models
from tests import factories
from tests.support import PASSWORD, fresh_database, login, other_app
from tests.test_materials import PDF, ri_form, upload

TABLES = [m._meta.table_name for m in models.ALL_MODELS]


def snapshot(database):
    """Every table's rows, as text, in id order (the tally by its key)."""
    return {table: [tuple(str(v) for v in row) for row in database.execute_sql(
                f'SELECT * FROM "{table}" ORDER BY {"kind, key" if table == "tally" else "id"}').fetchall()]
            for table in TABLES}


def test_backup_and_restore_round_trip(app, client, as_role, tmp_path):
    w = factories.world()
    factories.reopened(w["recommending_institution"])
    as_role("clerk")
    assert upload(client, "recommending_institution", w["recommending_institution"].id, "application_form",
                  PDF, "申请表.pdf", ri_form(w)).status_code == 302
    clerk = models.User.select().order_by(models.User.id.desc()).get().username
    archive = tmp_path / "office-backup.tar.gz"
    result = app.test_cli_runner().invoke(args=["backup", str(archive)])
    assert result.exit_code == 0, result.output
    assert "申请材料 1 个文件" in result.output
    original = snapshot(models.db.obj)
    assert all(original[t] for t in ("user", "project", "lab", "audit_log", "stored_file"))

    with fresh_database(tmp_path) as url, other_app(url, str(tmp_path / "restored-uploads")) as restored:
        runner = restored.test_cli_runner()
        result = runner.invoke(args=["restore", str(archive)])
        assert result.exit_code == 0, result.output
        assert "行数与备份清单一致" in result.output
        assert snapshot(models.db.obj) == original

        # The restored office works, its materials included.
        browser = restored.test_client()
        assert login(browser, clerk, PASSWORD).status_code == 302
        ri = w["recommending_institution"].id
        download = browser.get(f"/admin/recommending_institution/material/application_form/?id={ri}")
        assert download.status_code == 200 and download.data == PDF

        # A database with data is left alone unless the operator insists.
        again = runner.invoke(args=["restore", str(archive)])
        assert again.exit_code != 0 and "已有数据" in again.output
        forced = runner.invoke(args=["restore", str(archive), "--force"])
        assert forced.exit_code == 0, forced.output
        assert snapshot(models.db.obj) == original


def _archive(path, members):
    """A hand-made archive: {name: bytes}."""
    import io
    import tarfile

    with tarfile.open(path, "w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))


def test_a_backup_taken_while_clerks_write_restores_exactly(app, tmp_path):
    import threading

    factories.world()
    stop = threading.Event()

    def busy():
        while not stop.is_set():
            models.AuditLog.create(action="export", model="project")

    writer = threading.Thread(target=busy)
    writer.start()
    try:
        archives = []
        for n in range(3):
            archive = tmp_path / f"busy-{n}.tar.gz"
            assert app.test_cli_runner().invoke(args=["backup", str(archive)]).exit_code == 0
            archives.append(archive)
    finally:
        stop.set()
        writer.join()
    for n, archive in enumerate(archives):
        with fresh_database(tmp_path) as url, other_app(url, str(tmp_path / f"up-{n}")) as restored:
            result = restored.test_cli_runner().invoke(args=["restore", str(archive)])
            assert result.exit_code == 0, result.output


def test_a_backup_is_owner_only_and_never_overwrites(app, tmp_path):
    archive = tmp_path / "office.tar.gz"
    assert app.test_cli_runner().invoke(args=["backup", str(archive)]).exit_code == 0
    assert os.stat(archive).st_mode & 0o077 == 0
    before = archive.read_bytes()
    again = app.test_cli_runner().invoke(args=["backup", str(archive)])
    assert again.exit_code != 0 and "已存在" in again.output
    assert archive.read_bytes() == before


def test_restore_refuses_an_archive_that_is_not_whole_or_not_safe(app, tmp_path, upload_dir):
    good = tmp_path / "good.tar.gz"
    factories.world()
    os.makedirs(os.path.join(upload_dir, "ab"), exist_ok=True)
    with open(os.path.join(upload_dir, "ab", "abcdef.pdf"), "wb") as fh:
        fh.write(PDF)
    assert app.test_cli_runner().invoke(args=["backup", str(good)]).exit_code == 0
    import tarfile

    with tarfile.open(good) as archive:
        manifest = archive.extractfile("manifest.json").read()
        dump = next(m for m in archive.getnames() if m.startswith("database."))
        dump_bytes = archive.extractfile(dump).read()
    cases = {
        "no-uploads.tar.gz": ({"manifest.json": manifest, dump: dump_bytes}, "申请材料"),
        "no-database.tar.gz": ({"manifest.json": manifest}, "缺少数据库文件"),
        "no-manifest.tar.gz": ({dump: dump_bytes}, "缺少 manifest.json"),
        "escape.tar.gz": ({"manifest.json": manifest, dump: dump_bytes, "../../escaped.txt": b"x"}, "不安全"),
    }
    for name, (members, message) in cases.items():
        _archive(tmp_path / name, members)
        with fresh_database(tmp_path) as url, other_app(url, str(tmp_path / f"up-{name}")) as restored:
            result = restored.test_cli_runner().invoke(args=["restore", str(tmp_path / name), "--force"])
            assert result.exit_code != 0 and message in result.output, (name, result.output)
            assert "Traceback" not in result.output
    assert not (tmp_path.parent / "escaped.txt").exists()
