"""Every use of a private name of the libraries underneath, in one place.

Written for (requirements.txt pins them): Flask-Admin 2.2.1, wtf-peewee 3.2.1,
WTForms 3.3.2, peewee 4.5.3, Flask 3.1. After upgrading any of them, read this module
against the new source first; tests/test_compat.py pins the behaviour and
markup the rest of the code relies on, so a change fails loudly there.

The rest of the code calls the public functions and hooks below and never
names a private attribute itself.
"""
from typing import Any, Optional

from flask import flash, session
from wtforms.fields.core import UnboundField
from wtfpeewee.orm import ValueRequired

# --- Flask-Admin 2.2.1: ModelView's private state -----------------------------------

def list_columns(view: Any) -> list:
    """(name, label) of the list's columns (`_list_columns`)."""
    return view._list_columns


def sortable_column(view: Any, name: str) -> Any:
    """The sortable column of this name (`_sortable_columns`), or None when
    the column cannot be sorted on."""
    return view._sortable_columns.get(name)


def column_by_index(view: Any, index: Optional[int]) -> Optional[tuple]:
    return view._get_column_by_idx(index)


def default_order(view: Any) -> Optional[list]:
    return view._get_default_order()


def list_arguments(view: Any) -> Any:
    """The list's search, filters, sort and page from the query string."""
    return view._get_list_extra_args()


def filter_url_arguments(view: Any, filters: Any) -> dict:
    return view._get_filters(filters)


def filters(view: Any) -> list:
    """The view's filter objects (`_filters`), empty when it has none."""
    return list(view._filters or ())


def search_supported(view: Any) -> bool:
    return bool(view._search_supported)


def search_fields(view: Any) -> list:
    return list(view._search_fields or ())


def export_columns(view: Any) -> list:
    """(name, label) of the exported columns (`_export_columns`)."""
    return view._export_columns


def order_by(view: Any, query: Any, joins: Any, order: list) -> tuple:
    """flask-admin's peewee backend adds the joins a sort needs (`_order_by`)."""
    return view._order_by(query, joins, order)


def ajax_loaders(view: Any) -> dict:
    """The view's ajax lookups by field name (`_form_ajax_refs`)."""
    return getattr(view, "_form_ajax_refs", None) or {}


def loader_fields(loader: Any) -> list:
    """The fields a QueryAjaxModelLoader searches (`_cached_fields`)."""
    return loader._cached_fields


def form_record(form: Any) -> Any:
    """The record an edit form was opened for (flask-admin's `form._obj`),
    or None on a create form."""
    return getattr(form, "_obj", None)


def add_action(view: Any, name: str, text: str, handler: Any) -> None:
    """A bulk action of the list's menu, made at start-up from data rather
    than a decorated method (`_actions`, `_actions_data` of ActionsMixin)."""
    view._actions.append((name, text))
    view._actions_data[name] = (handler, text, None)


def registered_views(admin: Any) -> list:
    """The views added to an Admin (`_views`)."""
    return admin._views


class ModelViewHooks:
    """flask-admin's private hooks, each handed to a public method of ours:
    `_handle_view` -> check_access, `_get_filter_groups` -> filter_groups,
    `_get_list_url` -> list_url, `_create_ajax_loader` -> ajax_loader."""

    check_access: Any
    filter_groups: Any
    list_url: Any
    ajax_loader: Any
    join_for: Any

    def _handle_view(self, name: str, **kwargs: Any) -> Any:
        denied = super()._handle_view(name, **kwargs)  # type: ignore[misc, attr-defined]
        return denied if denied is not None else self.check_access(name, **kwargs)

    def _get_filter_groups(self) -> Any:
        return self.filter_groups(super()._get_filter_groups)  # type: ignore[misc, attr-defined]

    def _get_list_url(self, view_args: Any) -> str:
        return self.list_url(view_args)

    def _create_ajax_loader(self, name: str, options: dict) -> Any:
        return self.ajax_loader(name, options)

    def _handle_join(self, query: Any, field: Any, joins: Any) -> Any:
        # flask-admin's peewee backend joins by its own rules; ours joins by
        # this table's own foreign key, once (admin/reading.py).
        return self.join_for(query, field, joins)


# --- Flask 3.1 ------------------------------------------------------------------------

def replace_last_flash(category: str, message: str, new_category: str) -> None:
    """Put `message` in place of the last flashed message if it is of
    `category` (flask-admin flashes its own success after every save;
    flash() keeps the list in the session under "_flashes")."""
    flashes = session.get("_flashes") or []
    if flashes and flashes[-1][0] == category:
        session["_flashes"] = flashes[:-1]
    flash(message, new_category)


# --- wtf-peewee 3.2.1 and WTForms 3.3.2 ------------------------------------------------

def is_value_required(validator: Any) -> bool:
    """wtf-peewee's own "required" validator, which flask-admin's required
    marker cannot see."""
    return isinstance(validator, ValueRequired)


def place_field(form_class: Any, name: str, position: int) -> None:
    """Put a generated form's field at `position` (WTForms orders unbound
    fields by their `creation_counter`)."""
    unbound = form_class.__dict__.get(name)
    if isinstance(unbound, UnboundField):
        unbound.creation_counter = -10_000 + position


# --- peewee 4.5.3 -----------------------------------------------------------------------

def stored(record: Any, name: str) -> Any:
    """A field's value as stored (`__data__`): for a foreign key, the id,
    without reading the related row."""
    return record.__data__.get(name)


def store(record: Any, name: str, value: Any) -> None:
    record.__data__[name] = value


def stored_values(record: Any) -> dict:
    """Every stored value of the record, by field name (`__data__`)."""
    return dict(record.__data__)


def copy_stored(source: Any, target: Any) -> None:
    """Every stored value of `source` onto `target` (a scratch copy)."""
    target.__data__ = dict(source.__data__)


class VersionedSave:
    """The primary-key condition of a model's UPDATE (`_pk_expr`) also
    requires the version the row was read at, when the model says which
    (`_expected_version`): optimistic locking in the UPDATE itself."""

    def _pk_expr(self) -> Any:
        expression = super()._pk_expr()  # type: ignore[misc]
        expected: Optional[int] = getattr(self, "_expected_version", None)
        model: Any = type(self)
        if expected is not None:
            expression = expression & (model.version == expected)
        return expression

