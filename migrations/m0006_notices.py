"""Notices that are never lost (program/notices.py): the outbox table."""
from peewee import CharField, DateTimeField, IntegerField, Model, TextField

import models

NAME = "notice (the outbox of e-mails, sent by send-notices)"


def _table():
    # The table as it was at this step (models.py moves on).
    class Notice(Model):
        created_at = DateTimeField(default=models.now, index=True)
        updated_at = DateTimeField(default=models.now)
        version = IntegerField(default=1)
        key = CharField(max_length=120, unique=True)
        kind = CharField(max_length=40)
        table_name = CharField(max_length=60, null=True)
        object_id = IntegerField(null=True)
        recipient = CharField(max_length=120)
        subject = CharField(max_length=200)
        body = TextField()
        status = CharField(max_length=20, default="pending", index=True)
        attempts = IntegerField(default=0)
        next_attempt_at = DateTimeField(default=models.now, index=True)
        sent_at = DateTimeField(null=True)
        last_error = TextField(null=True)

        class Meta:
            database = models.db
            table_name = "notice"

    return Notice


def apply(migrator, database):
    database.create_tables([_table()], safe=True)
