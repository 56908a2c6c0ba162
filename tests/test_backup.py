"""Backups an office can restore: a copy taken while the app runs, the
uploaded materials with it, restored into an empty database with every
table's rows, and a full database left alone unless --force."""
import models
from tests import factories
from tests.support import PASSWORD, fresh_database, login, other_app
from tests.test_materials import PDF, ri_form, upload

TABLES = [m._meta.table_name for m in models.ALL_MODELS]


def snapshot(database):
    """Every table's rows, as text, in id order."""
    return {table: [tuple(str(v) for v in row) for row in
                    database.execute_sql(f'SELECT * FROM "{table}" ORDER BY id').fetchall()]
            for table in TABLES}


def test_backup_and_restore_round_trip(app, client, as_role, tmp_path):
    w = factories.world()
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
