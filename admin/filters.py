"""The lists' filters: field names become filters a clerk can use, each
value from the URL is checked before a query sees it, and the filter menu
is built once."""
import unicodedata

from flask import request, url_for
from flask_login import current_user
from flask_admin.contrib.peewee.filters import (
    BooleanEqualFilter,
    DateNotBetweenFilter,
    DateTimeNotBetweenFilter,
    FilterEmpty,
    FilterEqual,
    FilterGreater,
    FilterInList,
    FilterLike,
    FilterNotInList,
    FilterSmaller,
)
from flask_admin.model.filters import (
    BaseBooleanFilter,
    BaseDateBetweenFilter,
    BaseDateFilter,
    BaseDateTimeBetweenFilter,
    BaseDateTimeFilter,
    BaseIntFilter,
)
from peewee import BooleanField, ForeignKeyField, IntegerField

import compat
import models
from models import MultiChoiceField
from program import policy


def filter_for(model, spec):
    """A field name as a filter: a dropdown of Chinese names for an
    enumeration, yes/no for a flag, equality for a key (#2417); anything
    else is left to flask-admin."""
    if not isinstance(spec, str):
        return spec
    field = model._meta.fields[spec]
    label = field.verbose_name or spec
    if field.choices:
        return FilterEqual(field, label, options=field.choices)
    if isinstance(field, BooleanField):
        return BooleanEqualFilter(field, label)
    if isinstance(field, ForeignKeyField):
        return RelatedFilter(field, label)
    if isinstance(field, MultiChoiceField):
        return ContainsWordFilter(field, label, options=field.options)
    return spec


def guard_filter(flt):
    """A filter value from the URL is checked before any query sees it: no
    control characters, a sane length, and for a number or a related
    record's id, an integer that fits the column (flask-admin flashes its
    "invalid value" message and leaves the filter out)."""
    check = flt.validate
    column = getattr(flt, "column", None)
    integer = isinstance(flt, BaseIntFilter) or (
        isinstance(column, (IntegerField, ForeignKeyField)) and not isinstance(flt, BaseBooleanFilter)
        and not getattr(flt, "options", None))

    def validate(value):
        if not isinstance(value, str) or len(value) > 200:
            return False
        if any(unicodedata.category(ch)[0] == "C" for ch in value):
            return False
        if integer and not all(_small_int(part) for part in value.split(",")):
            return False
        return check(_range(flt, value))

    flt.validate = validate
    _in_office_words(flt)
    return flt


RANGE_SEPARATOR = " 至 "  # static/js/zh.js writes date ranges so


def _range(flt, value):
    """A date range as the Chinese picker writes it ("2026-01-01 至
    2026-03-31"), in the form flask-admin's range filters read."""
    if isinstance(flt, (BaseDateBetweenFilter, BaseDateTimeBetweenFilter)):
        return value.replace(RANGE_SEPARATOR, " to ")
    return value


# Operation names in the words of an office form. flask-admin's own Chinese
# catalog says 之间/不是之间/空/在列表中, and Flask-Babel lets the library's
# catalog win over the app's for a message both hold, so the words are set
# here, by filter class (most specific first).
OPERATIONS = (
    (DateNotBetweenFilter, "不介于"),
    (DateTimeNotBetweenFilter, "不介于"),
    (BaseDateBetweenFilter, "介于"),
    (BaseDateTimeBetweenFilter, "介于"),
    (FilterEmpty, "为空"),
    (FilterNotInList, "不属于"),
    (FilterInList, "属于"),
)


def _in_office_words(flt):
    """Dates are later or earlier than a day, not greater or smaller; a
    range's value is read in either separator."""
    dated = isinstance(flt, (BaseDateFilter, BaseDateTimeFilter))
    words = next((text for kind, text in OPERATIONS if isinstance(flt, kind)), None)
    if dated and isinstance(flt, FilterGreater):
        words = "晚于"
    elif dated and isinstance(flt, FilterSmaller):
        words = "早于"
    if words:
        flt.operation = lambda: words
    clean = flt.clean
    flt.clean = lambda value: clean(_range(flt, value))


def _small_int(text):
    text = text.strip()
    digits = text[1:] if text[:1] == "-" else text
    return bool(digits) and digits.isascii() and digits.isdigit() and len(digits) <= 10 \
        and abs(int(text)) <= models.MAX_ID


class ContainsWordFilter(FilterEqual):
    """A multi-valued enumeration holds the chosen word."""

    def apply(self, query, value):
        return query.filter(self.column.holds(value))

    def operation(self):
        return "包含"


class RelatedFilter(FilterEqual):
    """A related record, e.g. the projects of one enterprise: reached from
    a link (查看全部, the work queue), shown by the record's name, and not
    offered in the filter menu, where a clerk would have to know an id
    (the name filters such as 企业名称 are there)."""

    def names(self, ids):
        """(id, name) of the related records with these ids that the user
        may see: a URL cannot make the filter name another's record."""
        model = self.column.rel_model
        wanted = [int(i) for i in ids if _small_int(i)]
        query = policy.rows_of(current_user, model, model.select().where(model.id.in_(wanted)))
        return [(str(record.id), str(record)) for record in query]


class SubmitterFilter(FilterEqual):
    """提交人 (or 兑付申请人): what others submitted (the work queue's 待审核:
    a clerk does not decide their own), or the user's own."""

    def __init__(self, column, name="提交人", verb="提交"):
        super().__init__(column, name, options=(("others", f"他人{verb}"), ("mine", f"本人{verb}")))

    def apply(self, query, value):
        if value == "mine":
            return query.where(self.column == current_user.id)
        return query.where((self.column != current_user.id) | self.column.is_null())

    def validate(self, value):
        return value in ("others", "mine")


class FiltersMixin:
    def filter_groups(self, build):
        """The filter menu (compat.ModelViewHooks). Options here are fixed
        lists (enumerations, yes/no), so it is the same on every request and
        built once; a related record's filter names the records the URL
        asks for."""
        if getattr(self, "_filter_groups_once", None) is None:
            self._filter_groups_once = build()
        groups = self._filter_groups_once
        related = self._related_in_request()
        if not groups or not related:
            return groups
        groups = {name: [dict(item) for item in items] for name, items in groups.items()}
        for items in groups.values():
            for item in items:
                if item["index"] in related:
                    item["options"] = related[item["index"]]
        return groups

    def _related_in_request(self):
        """{filter index: (id, name) options} for the related-record filters
        this request's URL uses."""
        wanted = {}
        for index, flt in enumerate(compat.filters(self)):
            if isinstance(flt, RelatedFilter):
                arg = self.get_filter_arg(index, flt)
                values = [v for key, v in request.args.items() if key.startswith("flt") and key.endswith(f"_{arg}")
                          and key[3:-len(arg) - 1].isdigit()]
                if values:
                    wanted[index] = flt.names(values[:10])
        return wanted

    def hidden_filter_groups(self):
        """The filter menu leaves out the groups a clerk cannot fill in."""
        return {str(flt.name) for flt in compat.filters(self) if isinstance(flt, RelatedFilter)}

    def list_url_with(self, sort=None, **values):
        """This list filtered by field values ({"status": "submitted"}) and
        sorted by a column, oldest first (the work queue's links)."""
        args, n = {}, 0
        for index, flt in enumerate(compat.filters(self)):
            name = getattr(getattr(flt, "column", None), "name", None)
            if name in values and isinstance(flt, FilterEqual) and not isinstance(flt, RelatedFilter):
                args[f"flt{n}_{self.get_filter_arg(index, flt)}"] = values.pop(name)
                n += 1
        columns = [name for name, _label in compat.list_columns(self)]
        if sort in columns and self.is_sortable(sort):
            args["sort"] = columns.index(sort)
        return url_for(f"{self.endpoint}.index_view", **args)

    def filtered_list_url(self, fk, value):
        """This list filtered to the rows whose `fk` is `value` (the details
        pages' 查看全部)."""
        for index, flt in enumerate(compat.filters(self)):
            if getattr(flt, "column", None) is fk and isinstance(flt, FilterEqual):
                return url_for(f"{self.endpoint}.index_view", **{f"flt0_{self.get_filter_arg(index, flt)}": value})
        return url_for(f"{self.endpoint}.index_view")


__all__ = ["FilterEqual", "FilterLike", "BooleanEqualFilter", "ContainsWordFilter", "FiltersMixin",
           "RelatedFilter", "filter_for", "guard_filter"]
