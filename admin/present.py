"""How a stored value looks on the screens: the one home for money, dates,
states and links to related records, used by the lists, the details pages,
their related lists and the history. Exports keep their own, plainer forms
(admin/exports.py): a spreadsheet wants the number, not the text.

Every value here is escaped like any user data; only the markup around it
is ours.
"""
import datetime
import decimal

from flask import g, url_for
from flask_login import current_user
from markupsafe import Markup, escape
from peewee import DateTimeField, DecimalField, ForeignKeyField, IntegerField

import compat
from models import MaterialField, MoneyField, MultiChoiceField, shown
from program import policy


def money(value):
    """Yuan with thousands separators and two places: 146,400.00."""
    if not isinstance(value, decimal.Decimal) or not value.is_finite():
        return "" if value is None else str(value)
    return f"{value:,.2f}"


def day(value):
    return value.strftime("%Y-%m-%d") if isinstance(value, (datetime.date, datetime.datetime)) else value


def minute(value):
    """A moment as a clerk writes it: 2026-11-29 04:03."""
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return day(value)


def badge(field, value):
    """A state as a coloured label that does not wrap (colours: app.css,
    by the state's canonical name)."""
    if value is None:
        return ""
    return Markup(f'<span class="badge state state-{escape(value)}">{escape(shown(field, value))}</span>')


def details_url(table, record_id):
    """The related record's details page, if the signed-in user may open
    that table's details (the view checks the row's scope again)."""
    prefixes = g.setdefault("details_prefixes", {})
    if table not in prefixes:
        allowed = current_user.is_authenticated and policy.allows(current_user, table, "details")
        prefixes[table] = f"{url_for(f'{table}.details_view')}?id=" if allowed else None
    prefix = prefixes[table]
    return None if prefix is None or record_id is None else f"{prefix}{int(record_id)}"


def related(record, name):
    """A foreign key as the related record's name, linked to its details."""
    record_id = compat.stored(record, name)
    if record_id is None:
        return ""
    field = record._meta.fields[name]
    text = escape(str(getattr(record, name)))
    href = details_url(field.rel_model._meta.table_name, record_id)
    return Markup(f'<a href="{escape(href)}">{text}</a>') if href else text


def is_number(field):
    return isinstance(field, (DecimalField, IntegerField)) and not isinstance(field, ForeignKeyField) \
        and not getattr(field, "choices", None)


def formatter(field, brief=False):
    """The screen's formatter (view, context, record, name) for a field, or
    None where the value shows as it is. `brief` for a list's cell: a
    moment shows its day there."""
    if isinstance(field, MaterialField):
        return None  # a download link, through the record's own view (listing.material_link)
    if isinstance(field, ForeignKeyField):
        return lambda v, c, m, p: related(m, p)
    if field.name == "status" and field.choices:
        return lambda v, c, m, p, f=field: badge(f, getattr(m, p))
    if isinstance(field, MoneyField):
        return lambda v, c, m, p: money(getattr(m, p))
    if isinstance(field, DateTimeField):
        show = day if brief else minute
        return lambda v, c, m, p: show(getattr(m, p))
    if field.choices or isinstance(field, MultiChoiceField):
        return lambda v, c, m, p, f=field: shown(f, getattr(m, p))
    return None


def formatters(model, brief=False):
    found = {}
    for name, field in model._meta.fields.items():
        shows = formatter(field, brief)
        if shows is not None:
            found[name] = shows
    return found


def value(record, name):
    """A field of a record as the details pages' related lists show it."""
    field = record._meta.fields.get(name)
    shows = formatter(field, brief=True) if field is not None else None
    result = shows(None, None, record, name) if shows else shown(field, getattr(record, name))
    return "" if result is None else result
