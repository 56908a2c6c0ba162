"""Redemption (兑付) and lapsed vouchers (DOMAIN.md §6): the project's
redemption fields, who asked for it (separation of duties), and the reason a
voucher was voided; the work queue's index for requests waiting."""
from peewee import CharField, DateField, DecimalField, ForeignKeyField, Model, TextField
from playhouse.migrate import migrate

NAME = "project redemption fields (兑付), void_reason, index status+redemption_requested_on"


class _User(Model):
    """The user table as this step refers to it."""

    class Meta:
        table_name = "user"


def apply(migrator, database):
    _User._meta.set_database(database)
    columns = {
        "redemption_amount": DecimalField(max_digits=14, decimal_places=2, auto_round=False, null=True),
        "invoice_no": CharField(max_length=60, null=True),
        "redemption_requested_on": DateField(null=True),
        "redemption_requested_by_id": ForeignKeyField(_User, field=_User.id, null=True, on_delete="RESTRICT"),
        "redeemed_on": DateField(null=True),
        "payment_ref": CharField(max_length=60, null=True),
        "void_reason": TextField(null=True),
    }
    migrate(*(migrator.add_column("project", name, field) for name, field in columns.items()))
    migrate(migrator.add_index("project", ("status", "redemption_requested_on"), False))
    # Fresh statistics: without them SQLite's planner took the new index for
    # every "status = … ORDER BY id" list, sorting the state's whole set
    # (7 ms → 40 ms for a page of 已签合同 at a million projects).
    database.execute_sql('ANALYZE "project"')
