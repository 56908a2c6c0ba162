"""An export's rows, typed and fast: each batch of ids read in one query
straight from the database driver (peewee builds the SQL; its per-value
conversion and record objects were most of an export's time), each column
turned into the cell a clerk reads by a converter chosen once per column,
related records named from a cache that asks only for ids not seen yet.

Raw values differ by database: SQLite gives dates and moments as text and
amounts as int or float; PostgreSQL gives date, datetime and Decimal. The
converters take both and give date, datetime and Decimal (two places)."""
import datetime
import decimal

from peewee import SQL, BooleanField, DateField, DateTimeField, DecimalField, ForeignKeyField

import models
from models import MaterialField, MultiChoiceField

# Related names kept between batches, per related table (a million projects
# name some hundred thousand enterprises; past this the cache starts over).
NAME_CACHE = 200_000
MEMO = 100_000


class _Memo(dict):
    """A converter that remembers: values of a column repeat (states, dates,
    amounts), and a dict lookup is the cheapest call Python has. Starts over
    past MEMO values."""

    def __init__(self, convert):
        super().__init__()
        self.convert = convert

    def __missing__(self, value):
        if len(self) > MEMO:
            self.clear()
        result = self[value] = self.convert(value)
        return result


def _amount(places):
    quantum = decimal.Decimal(1).scaleb(-places)

    def convert(value):
        if value is None:
            return None
        if type(value) is float:
            return decimal.Decimal(f"{value:.{places}f}")
        return decimal.Decimal(value).quantize(quantum)
    return convert


def _date(value):
    return datetime.date.fromisoformat(value[:10]) if type(value) is str else value


def _moment(value):
    return datetime.datetime.fromisoformat(value) if type(value) is str else value


def _multi(field):
    return lambda value: models.shown(field, field.python_value(value) if isinstance(value, str) else value)


def converter(field):
    """How a column's raw value becomes its cell (None: as it is): a
    dict's lookup where values repeat."""
    if isinstance(field, MaterialField):
        return _Memo(lambda v: "已上传" if v else "").__getitem__
    if isinstance(field, MultiChoiceField):
        return _Memo(_multi(field)).__getitem__
    if field.choices:
        names = dict(field.choices)
        return _Memo(lambda v: names.get(v, v)).__getitem__
    if isinstance(field, BooleanField):
        return _Memo(lambda v: "" if v is None else ("是" if v else "否")).__getitem__
    if isinstance(field, DecimalField):
        return _Memo(_amount(field.decimal_places)).__getitem__
    if isinstance(field, DateTimeField):
        return _moment
    if isinstance(field, DateField):
        return _Memo(_date).__getitem__
    return None


def ids_in(ids):
    """`IN (…)` of a batch of ids written out: ids read from the database,
    made ints again here. peewee's own in_() builds a parameter node per id,
    which was a third of an export's time."""
    return SQL("(" + ",".join(str(int(pk)) for pk in ids) + ")")


class _Names:
    """Related records' names by id, asked for only once each."""

    def __init__(self, model):
        self.model, self.known = model, {}
        self.columns = [model.id, *(getattr(model, name) for name in model.display_fields)]

    def __call__(self, ids):
        missing = [pk for pk in ids if pk not in self.known]
        if missing:
            if len(self.known) + len(missing) > NAME_CACHE:
                self.known = {}
            names = [c.name for c in self.columns]
            query = self.model.select(*self.columns).where(self.model.id.in_(ids_in(missing)))
            rows = models.db.execute(query).fetchall()
            if names[1:] == ["name"]:
                # __str__ reads the name alone (BaseModel.display_fields): no object needed.
                self.known.update(rows)
            else:
                self.known.update((row[0], str(self.model(**dict(zip(names, row))))) for row in rows)
        return self.known


def _name(rows, index, names):
    """The column's related ids replaced by their records' names."""
    known = names({row[index] for row in rows if row[index] is not None})
    for row in rows:
        if row[index] is not None:
            row[index] = known.get(row[index], row[index])


def reader(model, names):
    """A function from a batch of ids to their rows of cells, in the order
    of the ids."""
    fields = [model._meta.fields[name] for name in names]
    related = [(i, _Names(f.rel_model)) for i, f in enumerate(fields)
               if isinstance(f, ForeignKeyField) and not isinstance(f, MaterialField)]
    linked = {i for i, _ in related}
    plain = [(i, c) for i, c in enumerate(map(converter, fields)) if c is not None and i not in linked]
    columns = [model.id, *fields]

    def read(ids):
        cursor = models.db.execute(model.select(*columns).where(model.id.in_(ids_in(ids))))
        rows = {row[0]: list(row[1:]) for row in cursor.fetchall()}
        for index, names in related:
            _name(rows.values(), index, names)
        out = []
        for pk in ids:
            row = rows.get(pk)
            if row is not None:
                for i, convert in plain:
                    row[i] = convert(row[i])
                out.append(row)
        return out

    return read
