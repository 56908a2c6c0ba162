"""The command line (`flask --app app …`) and the data generators behind it.

- setup.py — init-db, migrate, create-user (and the six domain centers);
- data.py — seed-demo, seed-scale, reindex (generators in demo.py, scale.py);
- operations.py — backup, restore, check-deploy (backup.py, deploy_check.py);
- importing.py — import (program/importing).
"""
from commands import data, importing, operations, setup


def register(app):
    for module in (setup, data, operations, importing):
        for command in module.COMMANDS:
            app.cli.add_command(command)
