"""Import batches (program/importing): one row per imported file, one per
record it created or changed, so that a batch can be traced and undone."""
from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField, Model, TextField

import models

NAME = "import_batch and import_batch_item (spreadsheet imports, their records, undo)"


def _tables(database):
    # The tables as they were at this step (models.py moves on).
    class Base(Model):
        class Meta:
            database = models.db
            legacy_table_names = False

    class ImportBatch(Base):
        created_at = DateTimeField(default=models.now, index=True)
        updated_at = DateTimeField(default=models.now)
        version = IntegerField(default=1)
        table_name = CharField(max_length=60, index=True)
        user = ForeignKeyField(models.User, null=True, backref="+", on_delete="RESTRICT")
        username = CharField(max_length=60, null=True)
        institution = ForeignKeyField(models.RecommendingInstitution, null=True, backref="+",
                                      on_delete="RESTRICT")
        file_name = CharField(max_length=255)
        sha256 = CharField(max_length=64)
        row_count = IntegerField(default=0)
        created_count = IntegerField(default=0)
        updated_count = IntegerField(default=0)
        unchanged_count = IntegerField(default=0)
        status = CharField(max_length=20, default="committed", index=True)
        undone_at = DateTimeField(null=True)
        undone_by = ForeignKeyField(models.User, null=True, backref="+", on_delete="RESTRICT")

        class Meta:
            table_name = "import_batch"

    class ImportBatchItem(Base):
        batch = ForeignKeyField(ImportBatch, backref="items", on_delete="CASCADE")
        table_name = CharField(max_length=60)
        record_id = IntegerField()
        created = BooleanField(default=False)
        version = IntegerField()
        before = TextField(null=True)

        class Meta:
            table_name = "import_batch_item"
            indexes = ((("table_name", "record_id"), False),)

    return [ImportBatch, ImportBatchItem]


def apply(migrator, database):
    # Made on the database being migrated (models.db stands for it).
    database.create_tables(_tables(database), safe=True)
