"""Schema changes without losing data: a database made by the landed code
before migrations existed (tests/data/v0_*.sql.gz: `init-db` and
`seed-demo` of commit 3fae2ad, dumped) is brought up to date by
`flask --app app migrate`, every row still there."""
import datetime
import gzip
import os
import sqlite3
import subprocess
import uuid

import pytest

import migrations
import models
from program import tallies
from tests.support import (
    PASSWORD,
    is_postgres,
    login,
    make_user,
    other_app,
    postgres_server_url,
)

DATA = os.path.join(os.path.dirname(__file__), "data")
V0_TABLES = ("user", "stored_file", "recommending_institution", "promotion_event", "service_institution",
             "performance_evaluation", "domain_center_member", "lab", "enterprise", "new_tech_product",
             "project", "project_purchase", "policy_setting", "audit_log", "project_search", "enterprise_search")


def _v0_sql(kind):
    with gzip.open(os.path.join(DATA, f"v0_{kind}.sql.gz"), "rt", encoding="utf-8") as fh:
        return fh.read()


@pytest.fixture
def v0_database(tmp_path):
    """A database with the schema and demo data of the code before migrations."""
    if not is_postgres():
        path = tmp_path / "v0.db"
        connection = sqlite3.connect(path)
        connection.executescript(_v0_sql("sqlite"))
        connection.close()
        yield f"sqlite:///{path}"
        return
    name = f"voucher_v0_{uuid.uuid4().hex[:8]}"
    server = postgres_server_url()
    subprocess.run(["psql", server, "-q", "-c", f'CREATE DATABASE "{name}"'], check=True, capture_output=True)
    url = f"{server.rsplit('/', 1)[0]}/{name}"
    subprocess.run(["psql", url, "-q", "-v", "ON_ERROR_STOP=1"], input=_v0_sql("postgres"), text=True,
                   check=True, capture_output=True)
    yield url
    subprocess.run(["psql", server, "-q", "-c", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'],
                   check=True, capture_output=True)


def _rows(database, table):
    order = "rowid" if table.endswith("_search") and not models.is_postgres(database) else "id"
    cursor = database.execute_sql(f'SELECT * FROM "{table}" ORDER BY {order}')
    return [tuple(str(value) for value in row) for row in cursor.fetchall()]


def _submissions_as_the_old_code_wrote_them(database):
    """The demo data set has no audit trail; the old code wrote an audit
    row 'submit' each time a clerk submitted. Some, as it would have."""
    users = [u for (u,) in database.execute_sql('SELECT id FROM "user" ORDER BY id').fetchall()]
    projects = [p for (p,) in database.execute_sql(
        "SELECT id FROM project WHERE status <> 'draft' ORDER BY id LIMIT 12").fetchall()]
    expected = {}
    for n, project in enumerate(projects):
        for submitter in (users[n % len(users)], users[(n + 1) % len(users)]):  # resubmitted: the last one counts
            database.execute_sql(
                "INSERT INTO audit_log (created_at, updated_at, version, at, user_id, username, action, model, "
                "object_id) VALUES ('2026-03-01 09:00:00', '2026-03-01 09:00:00', 1, '2026-03-01 09:00:00', "
                f"{submitter}, 'clerk', 'submit', 'project', {project})")
            expected[project] = submitter
    return expected


def test_migrate_brings_an_older_database_up_to_date_with_every_row(v0_database, tmp_path):
    with other_app(v0_database, str(tmp_path / "uploads")) as app:
        database = models.db.obj
        expected_submitters = _submissions_as_the_old_code_wrote_them(database)
        before = {table: _rows(database, table) for table in V0_TABLES}
        assert migrations.current(database) == 0
        assert sum(len(rows) for rows in before.values()) > 500

        # Until it is migrated, the app says so instead of failing page by page.
        waiting = app.test_client().get("/login")
        assert waiting.status_code == 503 and "flask --app app migrate" in waiting.get_data(as_text=True)

        runner = app.test_cli_runner()
        result = runner.invoke(args=["migrate"])
        assert result.exit_code == 0, result.output
        assert f"升级到 {migrations.LATEST}" in result.output
        again = runner.invoke(args=["migrate"])
        assert again.exit_code == 0 and f"已是最新版本：{migrations.LATEST}" in again.output

        for table in V0_TABLES:
            after = _rows(database, table)
            # The parameters added since the old code get their first version.
            added = len(models.PolicySetting.NAMES) - len(before[table]) if table == "policy_setting" else 0
            assert len(after) == len(before[table]) + added, table
            if table in ("user", "project", "recommending_institution", "lab"):
                # The old columns keep their values; the new ones follow them.
                width = len(before[table][0])
                assert [row[:width] for row in after] == before[table], table

        # The submitter was copied from the audit trail onto each submitted record.
        found = {p.id: p.submitted_by_id for p in models.Project.select().where(
            models.Project.submitted_by.is_null(False))}
        assert found == expected_submitters
        assert models.Project.select().where(models.Project.submitted_at.is_null(False)).count() == len(found)
        assert {u.session_generation for u in models.User.select()} == {0}

        # Each policy value became its parameter's first version, in force
        # from the start, and a later version can be added beside it.
        assert {s.effective_from for s in models.PolicySetting.select()} == {models.POLICY_ORIGIN}
        assert not models.PolicySetting.select().where(models.PolicySetting.description.contains("下限（家）")).exists()
        ratio = models.PolicySetting.get(models.PolicySetting.key == "r11_purchase_cap_ratio")
        models.PolicySetting.insert(key=ratio.key, value="0.20", effective_from=datetime.date(2099, 1, 1)).execute()
        assert models.PolicySetting.in_force(ratio.key, datetime.date(2099, 1, 2)).value == "0.20"
        assert models.PolicySetting.in_force(ratio.key, datetime.date(2026, 1, 2)).value == ratio.value

        # The work queue's counts start equal to the tables, and stay so.
        assert tallies.differences(database) == {}
        assert sum(n for n, *_ in tallies.read()["status:project"].values()) == models.Project.select().count()
        models.Project.update(status="draft").where(models.Project.status == "submitted").execute()
        assert tallies.differences(database) == {}

        # And the back office works on it.
        make_user("after_migrate", "clerk")
        client = app.test_client()
        assert login(client, "after_migrate", PASSWORD).status_code == 302
        assert client.get("/admin/project/").status_code == 200
        assert client.get("/admin/project/", query_string={"search": "检测"}).status_code == 200


def test_init_db_leaves_a_new_database_at_the_latest_version(tmp_path):
    with other_app(f"sqlite:///{tmp_path}/new.db", str(tmp_path / "uploads")) as app:
        result = app.test_cli_runner().invoke(args=["init-db"])
        assert result.exit_code == 0, result.output
        assert migrations.current() == migrations.LATEST
        assert app.test_cli_runner().invoke(args=["migrate"]).output.startswith("数据库结构已是最新版本")
