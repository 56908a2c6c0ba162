"""Spreadsheet import (试导入, then one transaction, as a batch that can be
undone): specs.py says what each table takes, values.py reads a cell as a
field's value, plan.py makes the test run's report, apply.py writes and
undoes it, template.py makes the template a clerk fills in."""
