"""The work queue: counts kept in step by triggers (`tally`, program/
tallies.py), users' saved list filters (`saved_filter`), and the indexes
that find what has waited longest in each state."""
from peewee import (
    SQL,
    AutoField,
    BigIntegerField,
    CharField,
    CompositeKey,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
)

import models
from program import tallies

NAME = "tally (counts kept by triggers), saved_filter, work-queue indexes on project"

INDEXES = (
    ("project_status_submitted_at", ("status", "submitted_at")),
    ("project_status_voucher_granted_on", ("status", "voucher_granted_on")),
    ("project_status_contract_signed_on", ("status", "contract_signed_on")),
    ("project_submitted_at", ("submitted_at",)),
    ("project_voucher_granted_on", ("voucher_granted_on",)),
)


class _User(Model):
    class Meta:
        table_name = "user"


class _SavedFilter(Model):
    """saved_filter as this step creates it."""

    id = AutoField()
    created_at = DateTimeField()
    updated_at = DateTimeField()
    version = IntegerField(default=1, constraints=[SQL("DEFAULT 1")])
    user = ForeignKeyField(_User, on_delete="CASCADE")
    table_name = CharField(max_length=60)
    name = CharField(max_length=40)
    query = CharField(max_length=1000)

    class Meta:
        table_name = "saved_filter"
        indexes = ((("user", "table_name", "name"), True),)


class _Tally(Model):
    kind = CharField(max_length=60)
    key = CharField(max_length=60)
    n = BigIntegerField(default=0)
    amount = BigIntegerField(default=0)
    changes = BigIntegerField(default=0)

    class Meta:
        table_name = "tally"
        primary_key = CompositeKey("kind", "key")


def apply(migrator, database):
    for model in (_User, _SavedFilter, _Tally):
        model._meta.set_database(database)
    database.create_tables([_SavedFilter, _Tally], safe=True)
    for name, columns in INDEXES:
        quoted = ", ".join(f'"{c}"' for c in columns)
        database.execute_sql(f'CREATE INDEX IF NOT EXISTS "{name}" ON "project" ({quoted})')
    tallies.install(database)
    tallies.recount(database)
    # The planner's statistics for the new indexes (without them SQLite may
    # sort a state's rows where its own index gives them in order).
    database.execute_sql("ANALYZE project" if models.is_postgres(database) else "ANALYZE")
