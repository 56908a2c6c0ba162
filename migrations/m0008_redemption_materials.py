"""The materials of a redemption request (兑付材料: the invoice and the
completion papers), uploaded with 申请兑付 (issue 13 item 1)."""
from peewee import ForeignKeyField, Model
from playhouse.migrate import migrate

NAME = "project.redemption_materials (兑付材料)"


class _StoredFile(Model):
    """The stored_file table as this step refers to it."""

    class Meta:
        table_name = "stored_file"


def apply(migrator, database):
    _StoredFile._meta.set_database(database)
    field = ForeignKeyField(_StoredFile, field=_StoredFile.id, null=True, on_delete="RESTRICT")
    migrate(migrator.add_column("project", "redemption_materials_id", field))
