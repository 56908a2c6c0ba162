"""Who submitted each application and project (separation of duties reads
it from the record, not the audit trail); when a project was submitted; and
the users' session generation (logging out ends a session on the server)."""
from peewee import SQL, DateTimeField, ForeignKeyField, IntegerField, Model
from playhouse.migrate import migrate

NAME = "submitted_by, project.submitted_at, user.session_generation"
SUBMITTED = ("recommending_institution", "service_institution", "domain_center_member", "lab", "project")


class _User(Model):
    """The user table as this step refers to it."""

    class Meta:
        table_name = "user"


def apply(migrator, database):
    _User._meta.set_database(database)
    # NOT NULL with a DEFAULT in the column itself: both databases add it in
    # place (without the default, SQLite would rebuild the table).
    generation = IntegerField(default=0, constraints=[SQL("DEFAULT 0")])
    operations = [migrator.add_column("user", "session_generation", generation, allow_not_null=True)]
    operations.append(migrator.add_column("project", "submitted_at", DateTimeField(null=True)))
    for table in SUBMITTED:
        operations.append(migrator.add_column(
            table, "submitted_by_id",
            ForeignKeyField(_User, field=_User.id, null=True, on_delete="RESTRICT")))
    migrate(*operations)
    # Until now the submitter was read from the audit trail: copy the last
    # submission of each record onto it.
    for table in SUBMITTED:
        latest = ('(SELECT a.{column} FROM audit_log a WHERE a.model = \'{table}\' AND a.object_id = "{table}".id '
                  "AND a.action = 'submit' ORDER BY a.id DESC LIMIT 1)")
        assignments = [f'submitted_by_id = {latest.format(column="user_id", table=table)}']
        if table == "project":
            assignments.append(f'submitted_at = {latest.format(column="at", table=table)}')
        database.execute_sql(f'UPDATE "{table}" SET {", ".join(assignments)}')
