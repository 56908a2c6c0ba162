"""Schema changes that keep the data: `flask --app app migrate`.

Each step is a module of this package with NAME and apply(migrator,
database), applied in order, each in its own transaction with the row that
records it in `schema_version`. A new database is created at the latest
version by create_tables() and stamped so (`init-db`, or the first start of
the embedded database). A database made before migrations existed (tables,
no `schema_version`) is at version 0.

Write a step with playhouse.migrate's operations, and give it the fields as
they were at that step (never the current models' definitions, which move
on).
"""
import contextlib
import datetime

from peewee import CharField, DateTimeField, IntegerField, Model
from playhouse.migrate import SchemaMigrator

import models
from migrations import (
    m0001_submitted_by_and_sessions,
    m0002_work_queue,
    m0003_versioned_waits,
    m0004_import_batches,
    m0005_redemption,
    m0006_notices,
    m0007_policy_versions,
    m0008_redemption_materials,
    m0009_own_redemption_requests,
)
from program import search, tallies

STEPS = (m0001_submitted_by_and_sessions, m0002_work_queue, m0003_versioned_waits, m0004_import_batches,
         m0005_redemption, m0006_notices, m0007_policy_versions,
         m0008_redemption_materials, m0009_own_redemption_requests)
LATEST = len(STEPS)


class SchemaVersion(Model):
    version = IntegerField(primary_key=True)
    name = CharField(max_length=120)
    applied_at = DateTimeField(default=models.now)

    class Meta:
        database = models.db
        table_name = "schema_version"


def current(database=None):
    """The schema's version, or None for a database with no tables yet."""
    database = database or models.db.obj
    tables = set(database.get_tables())
    if "schema_version" in tables:
        return SchemaVersion.select(SchemaVersion.version).order_by(SchemaVersion.version.desc()).scalar() or 0
    return 0 if "user" in tables else None


def prepare(database=None):
    """A new database gets every table at the latest version; an existing
    one is left as it is (migrate() brings it up). Returns the version."""
    database = database or models.db.obj
    with database.connection_context():
        version = current(database)
        if version is not None:
            return version
        with database.atomic():
            models.create_schema(database)
            search.create(database)
            tallies.install(database)
            database.create_tables([SchemaVersion])
            for number, step in enumerate(STEPS, 1):
                SchemaVersion.create(version=number, name=step.NAME)
        return LATEST


def migrate(database=None, echo=print):
    """Apply the pending steps in order; safe to repeat. Returns the version."""
    database = database or models.db.obj
    version = current(database)
    if version is None:
        return prepare(database)
    database.create_tables([SchemaVersion], safe=True)
    migrator = SchemaMigrator.from_database(database)
    with _references_checked_after(database):
        for number, step in enumerate(STEPS, 1):
            if number <= version:
                continue
            with database.atomic():
                step.apply(migrator, database)
                SchemaVersion.create(version=number, name=step.NAME, applied_at=datetime.datetime.now())
            echo(f"  已应用 {number:04d} {step.NAME}")
            version = number
    return version


@contextlib.contextmanager
def _references_checked_after(database):
    """SQLite changes some columns by rebuilding the table, which its
    foreign keys would refuse midway: they are off during the steps (the
    pragma cannot change inside a transaction) and every reference is
    checked after them."""
    if models.is_postgres(database):
        yield
        return
    database.execute_sql("PRAGMA foreign_keys = OFF")
    try:
        yield
        broken = database.execute_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"迁移后有 {len(broken)} 处引用失效：{broken[:5]}")
    finally:
        database.execute_sql("PRAGMA foreign_keys = ON")
