"""The command line (`flask --app app …`) and the data generators behind it.

- setup.py — init-db, migrate, create-user (and the six domain centers);
- data.py — seed-demo, seed-scale, reindex (generators in demo.py, scale.py);
- operations.py — backup, restore, check-deploy (backup.py, deploy_check.py).
"""
from commands import data, operations, setup


def register(app):
    for module in (setup, data, operations):
        for command in module.COMMANDS:
            app.cli.add_command(command)
