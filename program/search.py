"""Substring search that stays fast at a million rows, for Chinese of any
length (one and two characters included).

Each indexed record's searchable text is cut into overlapping two-character
grams (with an end mark, so every character starts a gram). A word of two or
more characters is a substring exactly when its grams stand consecutively:
a phrase query. A one-character word is a prefix query on the grams. Both
databases keep positions: SQLite in an FTS5 table, PostgreSQL in a tsvector
with a GIN index. Grams are written as hex so no tokenizer can split them.

Codes (project code, credit code) are ASCII of a fixed length: a word of that
length matches by equality on their unique index, a shorter one by a scan.

The index follows every save and delete (peewee signals); bulk loads call
rebuild(); `flask --app app reindex` rebuilds everything.
"""
import unicodedata
from dataclasses import dataclass
from typing import Any, Callable, Optional

from peewee import SQL

from models import Enterprise, Project, db, is_postgres

END = "\u0001"  # cannot be typed into a search box
# Each word is one condition; a thousand of them nested past Python's
# recursion limit. Nobody searches with more than a few.
MAX_WORDS = 10
MAX_LENGTH = 100


def clean_term(term: Optional[str]) -> str:
    """A search box's text as it is searched: control and invisible
    characters (NUL included, which PostgreSQL refuses) become spaces, and
    at most MAX_LENGTH characters in MAX_WORDS words are kept."""
    text = "".join(" " if unicodedata.category(ch)[0] in "CZ" else ch for ch in (term or "")[:MAX_LENGTH * 4])
    return " ".join(text[:MAX_LENGTH].split()[:MAX_WORDS])


@dataclass(frozen=True)
class Spec:
    model: Any
    text_fields: tuple      # free text: through the gram index
    code_fields: tuple = ()  # fixed-length ASCII codes: equality, else scan
    code_length: int = 0

    @property
    def table(self):
        return f"{self.model._meta.table_name}_search"


SPECS = {
    Project: Spec(Project, ("title",), ("code",), 13),
    Enterprise: Spec(Enterprise, ("name", "contact_name"), ("credit_code",), 18),
}


def _hex(ch):
    return f"{ord(ch):06x}"


def grams(text: Optional[str]) -> list[str]:
    """The gram tokens of a text, in order."""
    text = (text or "").lower() + END
    return [_hex(a) + _hex(b) for a, b in zip(text, text[1:])]


def document(spec: Spec, record: Any) -> str:
    # The end mark between fields keeps a gram from spanning two of them.
    return " ".join(" ".join(grams(getattr(record, name))) for name in spec.text_fields)


def _postgres():
    return is_postgres()


# --- schema ----------------------------------------------------------------------

def create(database: Any = None) -> None:
    database = database or db.obj
    for spec in SPECS.values():
        if is_postgres(database):
            database.execute_sql(
                f'CREATE TABLE IF NOT EXISTS "{spec.table}" (id integer PRIMARY KEY, grams tsvector NOT NULL)')
            database.execute_sql(
                f'CREATE INDEX IF NOT EXISTS "{spec.table}_grams" ON "{spec.table}" USING gin (grams)')
        else:
            # prefix='6': one-character searches read a prefix index of their own.
            database.execute_sql(
                f'CREATE VIRTUAL TABLE IF NOT EXISTS "{spec.table}" '
                f"USING fts5(grams, tokenize='ascii', prefix='6')")


# --- writes ------------------------------------------------------------------------

def _write(spec, pairs):
    if _postgres():
        db.obj.execute_sql(
            f'INSERT INTO "{spec.table}" (id, grams) SELECT v.id, to_tsvector(\'simple\', v.doc) '
            f"FROM (VALUES {', '.join(['(%s, %s)'] * len(pairs))}) AS v(id, doc) "
            f"ON CONFLICT (id) DO UPDATE SET grams = EXCLUDED.grams",
            [x for pair in pairs for x in pair])
    else:
        ids = [p[0] for p in pairs]
        db.obj.execute_sql(f'DELETE FROM "{spec.table}" WHERE rowid IN ({", ".join("?" * len(ids))})', ids)
        db.obj.execute_sql(
            f'INSERT INTO "{spec.table}" (rowid, grams) VALUES {", ".join(["(?, ?)"] * len(pairs))}',
            [x for pair in pairs for x in pair])


def index_record(record: Any) -> None:
    spec = SPECS[type(record)]
    _write(spec, [(record.id, document(spec, record))])


def index_many(model: Any, records: list) -> None:
    """Index records written in bulk (an import), a few hundred at a time."""
    spec = SPECS[model]
    for start in range(0, len(records), 500):
        _write(spec, [(r.id, document(spec, r)) for r in records[start:start + 500]])


def unindex_many(model: Any, ids: list) -> None:
    spec = SPECS[model]
    key, mark = ("id", "%s") if _postgres() else ("rowid", "?")
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        db.obj.execute_sql(f'DELETE FROM "{spec.table}" WHERE {key} IN ({", ".join([mark] * len(chunk))})', chunk)


def unindex_record(record: Any) -> None:
    spec = SPECS[type(record)]
    placeholder = "%s" if _postgres() else "?"
    key = "id" if _postgres() else "rowid"
    db.obj.execute_sql(f'DELETE FROM "{spec.table}" WHERE {key} = {placeholder}', (record.id,))


def after_save(sender: type, instance: Any, created: bool) -> None:
    """peewee's post_save receiver (program/signals.py): the index follows
    every save."""
    if type(instance) in SPECS:
        index_record(instance)


def after_delete(sender: type, instance: Any) -> None:
    if type(instance) in SPECS:
        unindex_record(instance)


def rebuild(model: Any, echo: Optional[Callable[[str], Any]] = None, batch: int = 2000) -> int:
    """Rebuild one model's index from its rows (bulk loads, `reindex`)."""
    spec = SPECS[model]
    db.obj.execute_sql(f'DELETE FROM "{spec.table}"')
    fields = [model.id] + [getattr(model, name) for name in spec.text_fields]
    last, done = 0, 0
    while True:
        rows = list(model.select(*fields).where(model.id > last).order_by(model.id).limit(batch * 5).tuples())
        if not rows:
            break
        with db.atomic():
            for start in range(0, len(rows), batch):
                chunk = rows[start:start + batch]
                pairs = [(row[0], " ".join(" ".join(grams(v)) for v in row[1:])) for row in chunk]
                _write(spec, pairs)
        last = rows[-1][0]
        done += len(rows)
    if echo:
        echo(f"  {spec.table}: {done}")
    return done


# --- reads ----------------------------------------------------------------------------

def _query(words):
    """One index query for all the words (each a phrase of its grams, or a
    prefix for a single character), joined by AND."""
    parts = []
    for word in words:
        # Lower case first: one character can lower to two ("İ" -> "i̇").
        lowered = word.lower()
        tokens = grams(lowered)[:-1] if len(lowered) > 1 else None
        if _postgres():
            parts.append("(" + " <-> ".join(tokens) + ")" if tokens else f"{_hex(lowered)}:*")
        else:
            parts.append(f'"{" ".join(tokens)}"' if tokens else f"{_hex(lowered)}*")
    return (" & " if _postgres() else " AND ").join(parts)


def _match(spec, word):
    if _postgres():
        return SQL(f'(SELECT id FROM "{spec.table}" WHERE grams @@ to_tsquery(\'simple\', %s))', [_query([word])])
    return SQL(f'(SELECT rowid FROM "{spec.table}" WHERE "{spec.table}" MATCH ?)', [_query([word])])


def index_only(model: Any, words: list[str]) -> bool:
    """True when the index alone answers these words: text that no code can
    hold (codes are ASCII), so no other column needs looking at."""
    return model in SPECS and bool(words) and not any(word.isascii() for word in words)


def page_ids(model: Any, words: list[str], limit: int, offset: int = 0) -> list[int]:
    """Newest first, straight from the index."""
    spec = SPECS[model]
    if _postgres():
        sql = (f'SELECT id FROM "{spec.table}" WHERE grams @@ to_tsquery(\'simple\', %s) '
               f"ORDER BY id DESC LIMIT %s OFFSET %s")
    else:
        sql = f'SELECT rowid FROM "{spec.table}" WHERE "{spec.table}" MATCH ? ORDER BY rowid DESC LIMIT ? OFFSET ?'
    return [i for (i,) in db.obj.execute_sql(sql, (_query(words), limit, offset)).fetchall()]


def condition(model: Any, word: str) -> Any:
    """The rows of `model` in which `word` is a substring of a searchable
    field, as a peewee expression: one IN over a UNION, which both databases
    answer from indexes (an OR across them would scan the table)."""
    spec = SPECS[model]
    if not word.isascii():
        return model.id.in_(_match(spec, word))
    index = "id" if _postgres() else "rowid"
    ph = "%s" if _postgres() else "?"
    parts = [f'SELECT {index} FROM "{spec.table}" WHERE ' + (
        f"grams @@ to_tsquery('simple', {ph})" if _postgres() else f'"{spec.table}" MATCH {ph}')]
    params = [_query([word])]
    table = model._meta.table_name
    for name in spec.code_fields:
        column = getattr(model, name).column_name
        if len(word) == spec.code_length:
            # Every code has this length: a substring this long is the code.
            parts.append(f'SELECT id FROM "{table}" WHERE "{column}" = {ph}')
            params.append(word.upper())
        else:
            operator = "ILIKE" if _postgres() else "LIKE"
            escape = "" if _postgres() else " ESCAPE '\\'"
            parts.append(f'SELECT id FROM "{table}" WHERE "{column}" {operator} {ph}{escape}')
            params.append("%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
    return model.id.in_(SQL("(" + " UNION ".join(parts) + ")", params))
