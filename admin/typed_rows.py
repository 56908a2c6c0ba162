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

from peewee import JOIN, SQL, BooleanField, DateField, DateTimeField, DecimalField, ForeignKeyField

import models
from models import MaterialField, MultiChoiceField

# Related names kept between batches, per related table (a million projects
# name some hundred thousand enterprises; past this the cache starts over).
NAME_CACHE = 50_000
MEMO = 20_000


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


def _amount_text(places):
    """An amount as CSV writes it ("50000.00"), straight from the raw value."""
    # SQLite keeps an amount it cannot hold exactly as a REAL as text.
    return lambda v: None if v is None else f"{decimal.Decimal(v) if type(v) is str else v:.{places}f}"


def converter(field, for_csv=False):
    """How a column's raw value becomes its cell (None: as it is): a
    dict's lookup where values repeat. For CSV, dates and moments stay as
    the database gives them (SQLite's ISO text is what CSV writes) and
    amounts become their text at once."""
    if for_csv and isinstance(field, DecimalField):
        return _Memo(_amount_text(field.decimal_places)).__getitem__
    if for_csv and isinstance(field, (DateField, DateTimeField)):
        return None
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


class Reader:
    """An export's rows of cells: by batches of ids (any order), or page by
    page straight from the list's own query, newest first (the default
    order: one query per page, no second look-up by id). A related record
    named by its name alone is joined in the same query (as a plain SQL
    loop would); others (an account's 姓名 or login) come from a cache."""

    def __init__(self, model, names, batch=2000, for_csv=False):
        self.model, self.batch = model, batch
        fields = [model._meta.fields[name] for name in names]
        related = [(i, f) for i, f in enumerate(fields)
                   if isinstance(f, ForeignKeyField) and not isinstance(f, MaterialField)]
        self.joined = [(i, f, f.rel_model.alias()) for i, f in related if f.rel_model.display_fields == ("name",)]
        self.cached = [(i, _Names(f.rel_model)) for i, f in related if f.rel_model.display_fields != ("name",)]
        linked = {i for i, _ in related}
        converters = [converter(f, for_csv) for f in fields]
        self.plain = [(i, c) for i, c in enumerate(converters) if c is not None and i not in linked]
        self.width = len(fields)
        self.columns = [model.id, *fields, *(alias.name for _, _, alias in self.joined)]

    def _select(self, query):
        query = query.select(*self.columns)
        for _, field, alias in self.joined:
            query = query.switch(self.model).join(alias, JOIN.LEFT_OUTER, on=(field == alias.id))
        return query

    def _cells(self, rows):
        width, joined = self.width, self.joined
        out = []
        for raw in rows:
            row = list(raw[1:width + 1])
            for position, (i, _, _) in enumerate(joined, width + 1):
                row[i] = raw[position]
            out.append(row)
        for index, names in self.cached:
            _name(out, index, names)
        for row in out:
            for i, convert in self.plain:
                row[i] = convert(row[i])
        return out

    def __call__(self, ids):
        """These rows, in the order of `ids`."""
        query = self._select(self.model.select()).where(self.model.id.in_(ids_in(ids)))
        found = {row[0]: row for row in models.db.execute(query).fetchall()}
        return self._cells([found[pk] for pk in ids if pk in found])

    def pages(self, query):
        """Every row `query` matches (its conditions and joins kept), newest
        first, a page at a time."""
        model, last = self.model, None
        while True:
            page = self._select(query).order_by(model.id.desc()).limit(self.batch)
            if last is not None:
                page = page.where(model.id < last)
            rows = models.db.execute(page).fetchall()
            if not rows:
                return
            last = rows[-1][0]
            yield from self._cells(rows)
