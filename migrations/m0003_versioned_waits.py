"""Writes to projects, labs and member units counted as versions too (the
`rows:` tallies of program/tallies.py): the work queue keeps each kind's
oldest wait until one of them changes, instead of asking on every request."""
from program import tallies

NAME = "rows tallies of project, lab and domain_center_member (the work queue's cached oldest waits)"


def apply(migrator, database):
    tallies.install(database)
    tallies.recount(database)
