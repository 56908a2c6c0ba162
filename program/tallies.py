"""Counts kept in step with the data: the work queue and the 工作台 read a
few rows of `tally` instead of counting a million projects on every request.

Database triggers keep them, in the same transaction as each write, on
SQLite and PostgreSQL alike: a form's save, a transition's conditional
UPDATE, a bulk action, the command line and a restore all count, since no
write goes around the table's own triggers. Per tally (TALLIES):

- `status:<table>` — rows per state (key: the state);
- `rows:<table>` — rows, and every write as `changes`: the version that
  the dashboard's cached figures (R3 laggards, missing evaluations, the
  oldest wait of each kind) are keyed on, so they are recomputed after any
  write and never before;
- `granted_month` — projects granted per month of voucher_granted_on, with
  their voucher amounts in fen;
- `~submitter` — per user, table and state, what they submitted (key
  `<user id>:<table>:<state>`): the queue leaves a user's own submissions
  out of what they may decide. Its kind sorts after the others, so the
  dashboard reads the rest in one range and a user's own in another.

A change of TALLIES needs a migration step that calls install() and
recount() again (migrations/m0002_work_queue.py is the first, m0003 the next).
"""
import contextlib
import time
from dataclasses import dataclass
from typing import Any

import models
from models import Tally


@dataclass(frozen=True)
class Spec:
    kind: str
    table: str
    key: Any  # SQL over the row R, or per dialect {dialect: SQL}
    condition: Any = "TRUE"
    amount: Any = "0"  # fen
    versioned: bool = False

    def sql(self, text, dialect, row):
        part = text[dialect] if isinstance(text, dict) else text
        return part.replace("R.", f"{row}.")


STATUS_TABLES = ("recommending_institution", "service_institution", "domain_center_member", "lab", "project")
ROW_TABLES = ("enterprise", "promotion_event", "performance_evaluation", "recommending_institution",
              "service_institution", "domain_center_member", "lab", "project")
MONTH = {"sqlite": "strftime('%Y-%m', R.voucher_granted_on)", "postgres": "to_char(R.voucher_granted_on, 'YYYY-MM')"}
FEN = {"sqlite": "CAST(round(R.voucher_amount * 100) AS INTEGER)", "postgres": "round(R.voucher_amount * 100)::bigint"}

SUBMITTER = "~submitter"


def _mine(table):
    return Spec(SUBMITTER, table, {"sqlite": f"CAST(R.submitted_by_id AS TEXT) || ':{table}:' || R.status",
                                   "postgres": f"R.submitted_by_id::text || ':{table}:' || R.status"},
                condition="R.submitted_by_id IS NOT NULL")


TALLIES = (
    *(Spec(f"status:{t}", t, {"sqlite": "R.status", "postgres": "R.status"}) for t in STATUS_TABLES),
    *(_mine(t) for t in STATUS_TABLES),
    *(Spec(f"rows:{t}", t, {"sqlite": "'*'", "postgres": "'*'"}, versioned=True) for t in ROW_TABLES),
    Spec("granted_month", "project", MONTH, condition="R.voucher_granted_on IS NOT NULL", amount=FEN),
)


def _dialect(database):
    return "postgres" if models.is_postgres(database) else "sqlite"


def _tables():
    return sorted({spec.table for spec in TALLIES})


# --- SQLite: a trigger per table and event ------------------------------------------

def _sqlite_add(spec, row, sign):
    d = "sqlite"
    changes = 1 if spec.versioned else 0
    return (f"INSERT INTO tally (kind, key, n, amount, changes) "
            f"SELECT '{spec.kind}', {spec.sql(spec.key, d, row)}, {sign}, {sign} * ({spec.sql(spec.amount, d, row)}), "
            f"{changes} WHERE {spec.sql(spec.condition, d, row)} "
            "ON CONFLICT (kind, key) DO UPDATE SET n = n + excluded.n, amount = amount + excluded.amount, "
            "changes = changes + excluded.changes;")


def _sqlite_touch(spec):
    return (f"UPDATE tally SET changes = changes + 1 WHERE kind = '{spec.kind}' AND key = '*';")


def _sqlite_triggers(table):
    specs = [s for s in TALLIES if s.table == table]
    inserted = " ".join(_sqlite_add(s, "NEW", 1) for s in specs)
    deleted = " ".join(_sqlite_add(s, "OLD", -1) for s in specs)
    updated = []
    for s in specs:
        if s.versioned:
            updated.append(_sqlite_touch(s))
            continue
        changed = " OR ".join(f"({s.sql(x, 'sqlite', 'OLD')}) IS NOT ({s.sql(x, 'sqlite', 'NEW')})"
                              for x in (s.key, s.amount, s.condition))
        updated.append(_sqlite_add(s, "OLD", -1).replace(" WHERE ", f" WHERE ({changed}) AND ", 1))
        updated.append(_sqlite_add(s, "NEW", 1).replace(" WHERE ", f" WHERE ({changed}) AND ", 1))
    return [
        f'CREATE TRIGGER tally_{table}_insert AFTER INSERT ON "{table}" BEGIN {inserted} END',
        f'CREATE TRIGGER tally_{table}_delete AFTER DELETE ON "{table}" BEGIN {deleted} END',
        f'CREATE TRIGGER tally_{table}_update AFTER UPDATE ON "{table}" BEGIN {" ".join(updated)} END',
    ]


# --- PostgreSQL: a function per table ------------------------------------------------

PG_ADD = """
CREATE OR REPLACE FUNCTION tally_add(k text, v text, dn bigint, da bigint, dc bigint) RETURNS void
LANGUAGE sql AS $$
  INSERT INTO tally (kind, key, n, amount, changes) VALUES (k, v, dn, da, dc)
  ON CONFLICT (kind, key) DO UPDATE
  SET n = tally.n + EXCLUDED.n, amount = tally.amount + EXCLUDED.amount, changes = tally.changes + EXCLUDED.changes
$$"""


def _pg_body(table):
    """The function's statements: old rows out, new rows in, each pair of
    tally rows touched in the order of their keys (two writers never wait
    for each other crosswise)."""
    lines = ["DECLARE ok text; nk text; oa bigint := 0; na bigint := 0; BEGIN"]
    for s in (s for s in TALLIES if s.table == table):
        key, cond, amount = (lambda row, x=x: s.sql(x, "postgres", row) for x in (s.key, s.condition, s.amount))
        lines += [
            "ok := NULL; nk := NULL; oa := 0; na := 0;",
            f"IF TG_OP <> 'INSERT' AND ({cond('OLD')}) THEN ok := {key('OLD')}; oa := {amount('OLD')}; END IF;",
            f"IF TG_OP <> 'DELETE' AND ({cond('NEW')}) THEN nk := {key('NEW')}; na := {amount('NEW')}; END IF;",
        ]
        if s.versioned:
            lines.append(f"PERFORM tally_add('{s.kind}', '*', (nk IS NOT NULL)::int - (ok IS NOT NULL)::int, 0, 1);")
            continue
        lines += [
            "IF ok IS NOT DISTINCT FROM nk THEN",
            f"  IF nk IS NOT NULL AND na <> oa THEN PERFORM tally_add('{s.kind}', nk, 0, na - oa, 0); END IF;",
            "ELSIF nk IS NULL OR (ok IS NOT NULL AND ok < nk) THEN",
            f"  IF ok IS NOT NULL THEN PERFORM tally_add('{s.kind}', ok, -1, -oa, 0); END IF;",
            f"  IF nk IS NOT NULL THEN PERFORM tally_add('{s.kind}', nk, 1, na, 0); END IF;",
            "ELSE",
            f"  PERFORM tally_add('{s.kind}', nk, 1, na, 0);",
            f"  IF ok IS NOT NULL THEN PERFORM tally_add('{s.kind}', ok, -1, -oa, 0); END IF;",
            "END IF;",
        ]
    lines.append("RETURN NULL; END")
    return "\n".join(lines)


def _pg_statements(table):
    return [
        f"CREATE OR REPLACE FUNCTION tally_{table}() RETURNS trigger LANGUAGE plpgsql AS $$\n{_pg_body(table)}\n$$",
        f'CREATE TRIGGER tally_{table} AFTER INSERT OR UPDATE OR DELETE ON "{table}" '
        f"FOR EACH ROW EXECUTE FUNCTION tally_{table}()",
    ]


# --- install, remove, recount, read -------------------------------------------------

def uninstall(database=None):
    database = database or models.db.obj
    for table in _tables():
        if _dialect(database) == "postgres":
            database.execute_sql(f'DROP TRIGGER IF EXISTS tally_{table} ON "{table}"')
        else:
            for event in ("insert", "delete", "update"):
                database.execute_sql(f"DROP TRIGGER IF EXISTS tally_{table}_{event}")


def install(database=None):
    """(Re)create the triggers; safe to run again."""
    database = database or models.db.obj
    uninstall(database)
    if _dialect(database) == "postgres":
        database.execute_sql(PG_ADD)
    for table in _tables():
        statements = _pg_statements(table) if _dialect(database) == "postgres" else _sqlite_triggers(table)
        for statement in statements:
            database.execute_sql(statement)


def recount(database=None):
    """Every tally counted afresh from the tables (after a migration or a
    bulk load that ran without the triggers)."""
    database = database or models.db.obj
    d = _dialect(database)
    # A version never seen before: figures cached against the old count go.
    epoch = int(time.time() * 1000)
    with database.atomic():
        database.execute_sql("DELETE FROM tally")
        for s in TALLIES:
            # GROUP BY its position: PostgreSQL refuses a constant key ('*') named as such.
            database.execute_sql(
                f"INSERT INTO tally (key, kind, n, amount, changes) "
                f"SELECT {s.sql(s.key, d, 'R')}, '{s.kind}', COUNT(*), COALESCE(SUM({s.sql(s.amount, d, 'R')}), 0), "
                f'{epoch} FROM "{s.table}" R WHERE {s.sql(s.condition, d, "R")} GROUP BY 1')
            if s.versioned:
                database.execute_sql(f"INSERT INTO tally (kind, key, n, amount, changes) SELECT '{s.kind}', '*', 0, 0, "
                                     f"{epoch} WHERE NOT EXISTS (SELECT 1 FROM tally WHERE kind = '{s.kind}')")


@contextlib.contextmanager
def suspended(database=None):
    """For a bulk load: no trigger per row while it runs, one recount after."""
    database = database or models.db.obj
    uninstall(database)
    try:
        yield
    finally:
        install(database)
        recount(database)


def read() -> dict:
    """{kind: {key: (n, amount in fen, changes)}} in one query (all but
    the per-user tallies)."""
    found: dict[str, Any] = {}
    for kind, key, n, amount, changes in Tally.select().where(Tally.kind < SUBMITTER).tuples():
        found.setdefault(kind, {})[key] = (n, amount, changes)
    return found


def submitted_by(user_id: int) -> dict:
    """{(table, state): n} of what this user submitted, in one range of keys."""
    prefix = f"{int(user_id)}:"
    query = (Tally.select(Tally.key, Tally.n)
             .where(Tally.kind == SUBMITTER, Tally.key >= prefix, Tally.key < f"{int(user_id)};"))
    found = {}
    for key, n in query.tuples():
        _user, table, state = key.split(":", 2)
        found[(table, state)] = n
    return found


def counted(database=None) -> dict:
    """The same figures counted from the tables (the tests compare the two)."""
    database = database or models.db.obj
    d = _dialect(database)
    found: dict[str, Any] = {}
    for s in TALLIES:
        rows = database.execute_sql(
            f"SELECT {s.sql(s.key, d, 'R')}, COUNT(*), COALESCE(SUM({s.sql(s.amount, d, 'R')}), 0) "
            f'FROM "{s.table}" R WHERE {s.sql(s.condition, d, "R")} GROUP BY 1').fetchall()
        found[s.kind] = {key: (int(n), int(amount)) for key, n, amount in rows}
    return found


def differences(database=None) -> dict:
    """Where the kept counts and the tables disagree ({} when in step)."""
    everything: dict = {}
    for kind, key, n, amount, changes in Tally.select().tuples():
        everything.setdefault(kind, {})[key] = (n, amount, changes)
    kept = {kind: {key: (n, amount) for key, (n, amount, _) in rows.items() if n or amount}
            for kind, rows in everything.items()}
    found = counted(database)
    return {kind: (kept.get(kind, {}), found.get(kind, {}))
            for kind in set(kept) | set(found) if kept.get(kind, {}) != found.get(kind, {})}
