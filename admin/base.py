"""The one base view every screen inherits: access, row scope, labels,
joins, safe deletes and the audit trail live here and nowhere else.

A view in admin/<area>.py only describes its screen (columns, filters,
searches, related lists), the way a Django ModelAdmin does.
"""
import logging
import os
import unicodedata
import urllib.parse

from flask import Response, abort, current_app, flash, g, redirect, request, send_file, stream_with_context, url_for
from flask_admin import expose
from flask_wtf.csrf import generate_csrf
from flask_admin.actions import action
from flask_admin.contrib.peewee import ModelView
from flask_admin.contrib.peewee.ajax import QueryAjaxModelLoader
from flask_admin.contrib.peewee.filters import BooleanEqualFilter, FilterEqual, FilterLike
from flask_admin.contrib.peewee.form import CustomModelConverter
from flask_admin.contrib.peewee.form import get_form
from flask_admin.helpers import get_form_data, get_redirect_target
from flask_admin.model import typefmt
from flask_admin.model.filters import BaseBooleanFilter, BaseIntFilter
from flask_login import current_user
from peewee import (JOIN, BooleanField, CharField, DatabaseError, DecimalField, ForeignKeyField, IntegerField,
                    IntegrityError, TextField)
from wtforms.validators import InputRequired, Length
from wtforms.widgets import HiddenInput
from wtfpeewee.orm import ValueRequired

from program import audit
from admin import exports
from program import materials
import models
from program import search as searching
from program import workflow
from admin import listing
from admin.errors import database_error_message
from program import policy
from program.policy import allows
from admin.transitions import TransitionsMixin
from forms.fields import AmountField, MaterialUploadField, MultiCheckboxField, SafeModelSelectField, ordered, strip_text
from forms.validators import Printable, Unique, apply_record_rules
from program.checks import RuleViolation
from models import ALL_MODELS, AuditLog, LongTextField, MaterialField, MultiChoiceField, StaleRecord, db

log = logging.getLogger(__name__)

# flask-admin's view functions -> the operation of the access table.
OPERATIONS = {
    "index_view": "list",
    "details_view": "details",
    "material_view": "details",
    "create_view": "create",
    "edit_view": "edit",
    "delete_view": "delete",
    "export": "export",
    "ajax_update": "edit",
    "unlock_view": "edit",
}

YES_NO = {True: "是", False: "否", None: ""}

# Past this many matches a list says 超过 10,000 条 instead of counting on.
# A text search says 超过 200 条: its newest 201 matches are read in the one
# query that also gives its first pages, at about the cost of the page itself
# (PostgreSQL's GIN index cannot stop early, so counting to 1,000 there cost
# five times the page).
COUNT_BOUND = 10_000
SEARCH_COUNT_BOUND = 200
# Deeper than any clerk pages (and a 30-digit page number never becomes an
# OFFSET the database cannot take).
MAX_PAGE = 100_000


def bounded_count(query, bound=None):
    """Exact up to the bound; past it, an honest lower bound rather than a
    count that costs more than the page it heads."""
    bound = COUNT_BOUND if bound is None else bound
    n = query.order_by().limit(bound + 1).count()
    return BoundedCount(min(n, bound), bounded=n > bound)


class BoundedCount(int):
    """A row count that may be a lower bound (the list shows 超过 …)."""

    def __new__(cls, value, bounded=False):
        count = super().__new__(cls, value)
        count.bounded = bounded
        return count


class AppModelConverter(CustomModelConverter):
    """Uploads for materials, check boxes for multi-valued enumerations, and a
    uniqueness check with a Chinese message for every unique column."""

    def __init__(self, view, additional=None):
        super().__init__(view, additional)
        # wtf-peewee tries converters in order; ours must come before the
        # generic ForeignKeyField one.
        self.converters = {
            MaterialField: self.handle_material,
            MultiChoiceField: self.handle_multi_choice,
            **self.converters,
            DecimalField: self.handle_decimal,
        }

    def convert(self, model, field, field_args):
        field_args = dict(field_args or {})
        validators = list(field_args.get("validators", []))
        if isinstance(field, (CharField, TextField)) and not isinstance(field, MultiChoiceField):
            validators.insert(0, Printable(one_line=isinstance(field, CharField)))
        if field.unique and not field.primary_key:
            validators.append(Unique(field))
        if isinstance(field, LongTextField):
            validators.append(Length(max=field.max_length, message=f"最多 {field.max_length} 个字"))
        field_args["validators"] = validators
        if isinstance(field, (CharField, TextField)) and not isinstance(field, MultiChoiceField):
            field_args["filters"] = [strip_text, *field_args.get("filters", ())]
        name, form_field = super().convert(model, field, field_args)
        if form_field is not None:
            # wtf-peewee's ValueRequired is invisible to flask-admin's required
            # marker and speaks English; InputRequired shows the * and our words.
            form_field.kwargs["validators"] = [
                InputRequired(message="此项为必填项") if isinstance(v, ValueRequired) else v
                for v in form_field.kwargs.get("validators", [])
            ]
        return name, form_field

    def handle_foreign_key(self, model, field, **kwargs):
        if field.name in getattr(self.view, "_form_ajax_refs", {}):
            return super().handle_foreign_key(model, field, **kwargs)
        if field.null:
            kwargs["allow_blank"] = True
        return field.name, SafeModelSelectField(model=field.rel_model, **kwargs)

    def handle_decimal(self, model, field, **kwargs):
        return field.name, AmountField(**kwargs)

    def handle_material(self, model, field, **kwargs):
        kwargs.pop("filters", None)
        kwargs["validators"] = []
        return field.name, MaterialUploadField(**kwargs)

    def handle_multi_choice(self, model, field, **kwargs):
        kwargs["validators"] = [v for v in kwargs["validators"] if v.__class__.__name__ != "ValueRequired"]
        kwargs.pop("filters", None)
        return field.name, MultiCheckboxField(choices=list(field.options), **kwargs)


class BoundedAjaxLoader(QueryAjaxModelLoader):
    """flask-admin's lookup, bounded and ordered, and refusing unknown ids
    quietly instead of raising."""

    MAX_ROWS = 20
    MAX_OFFSET = 1000

    def __init__(self, name, model, **options):
        # where: a callable giving the condition the offered rows must meet.
        self.where = options.pop("where", None)
        super().__init__(name, model, **options)

    def get_one(self, pk):
        pk = models.parse_id(pk)
        return None if pk is None else self.model.get_or_none(self.model.id == pk)

    def get_list(self, term, offset=0, limit=10):
        limit = max(1, min(int(limit or 10), self.MAX_ROWS))
        # A lookup is typed, not paged through: past a few hundred rows the
        # clerk types more (and a 30-digit offset never reaches the database).
        offset = max(0, int(offset or 0))
        if offset > self.MAX_OFFSET:
            return []
        query = self.model.select()
        if self.where is not None:
            query = query.where(self.where())
        term = searching.clean_term(term)
        words = term.split()
        if self.where is None and searching.index_only(self.model, words):
            # Newest matches straight from the gram index.
            ids = searching.page_ids(self.model, words, limit, offset)
            rows = {r.id: r for r in self.model.select().where(self.model.id.in_(ids))}
            return [rows[i] for i in ids if i in rows]
        if term and self.model in searching.SPECS:
            for word in words:
                query = query.where(searching.condition(self.model, word))
        elif term:
            condition = None
            for field in self._cached_fields:
                clause = field.contains(term)
                condition = clause if condition is None else (condition | clause)
            query = query.where(condition)
        return list(
            query
            .order_by(self.model.id.desc())
            .offset(offset)
            .limit(limit)
        )


class SecureModelView(TransitionsMixin, ModelView):
    # --- what a screen declares -------------------------------------------
    # FK names whose related record is selected with the page (no N+1).
    list_joins = ()
    # Related lists on the details page: (backref field, columns).
    details_related = ()
    # Select fields offered (and accepted, on the server) from a narrower
    # query than the whole related table: {field name: callable -> query}.
    form_queries = {}

    # --- defaults every screen shares -------------------------------------
    page_size = 20
    can_set_page_size = True
    page_size_options = (20, 50, 100)
    can_view_details = True
    export_types = ["csv", "xlsx"]
    column_display_pk = False
    form_excluded_columns = ("created_at", "updated_at")
    column_default_sort = ("id", True)
    model_form_converter = AppModelConverter
    details_template = "admin/model/details_related.html"
    list_template = "admin/model/list_cn.html"

    def __init__(self, model, **kwargs):
        self.table = model._meta.table_name
        # Yes / no in words on every screen, never True / False.
        self.column_type_formatters = {**typefmt.BASE_FORMATTERS, bool: lambda view, value, name: YES_NO[value]}
        self.column_type_formatters_detail = {**typefmt.DETAIL_FORMATTERS, bool: lambda view, value, name: YES_NO[value]}
        kwargs.setdefault("name", model._meta.verbose_name)
        kwargs.setdefault("endpoint", self.table)
        # Labels come from the fields' verbose names: one place per model.
        labels = {name: f.verbose_name for name, f in model._meta.fields.items() if f.verbose_name}
        labels["id"] = "编号"
        labels.update(self.column_labels or {})
        self.column_labels = labels
        self.column_formatters = {**self._enum_formatters(model), **(self.column_formatters or {})}
        self.column_formatters_export = {
            **self._enum_formatters(model, export=True),
            **(self.column_formatters_export or {}),
        }
        self.column_filters = [self._filter_for(model, f) for f in (self.column_filters or ())]
        if self.column_details_list is None:
            self.column_details_list = self._details_order(model)
        if self.form_columns and "version" not in self.form_columns:
            # Optimistic locking: the form carries the version it was opened at.
            self.form_columns = (*self.form_columns, "version")
        self.form_args = {**(self.form_args or {}), "version": {"widget": HiddenInput()}}
        if any(t.table == self.table for t in workflow.TRANSITIONS) and self.column_list:
            self.column_list = (*self.column_list, "transitions")
            self.column_labels["transitions"] = "办理"
            self.column_formatters["transitions"] = (
                lambda v, c, m, p: listing.transition_links(v, m, current_user))
            self.column_export_exclude_list = (*(self.column_export_exclude_list or ()), "transitions")
        super().__init__(model, **kwargs)
        for flt in self._filters or ():
            guard_filter(flt)

    @staticmethod
    def clean_search(search):
        """The search box's text as searched (search.clean_term), saying so
        when it had to be shortened."""
        cleaned = searching.clean_term(search)
        if search and cleaned != " ".join(search.split()):
            flash(f"搜索内容过长或含有不可见字符，已按前 {searching.MAX_WORDS} 个词"
                  f"（{searching.MAX_LENGTH} 个字以内）搜索。", "warning")
        return cleaned

    def _details_order(self, model):
        """The record's own fields in form order, then status and review, then
        the bookkeeping columns last."""
        hidden = set(self.column_details_exclude_list or ())
        first = []
        for name in (*(self.column_list or ()), *(self.form_columns or ())):
            if name in model._meta.fields and name not in first:
                first.append(name)
        bookkeeping = ["id", "created_at", "updated_at"]
        rest = [n for n in model._meta.fields if n not in first and n not in bookkeeping and n != "version"]
        return [n for n in first + rest + bookkeeping if n not in hidden]

    # --- labels and filters ----------------------------------------------
    @staticmethod
    def _enum_formatters(model, export=False):
        formatters = {}
        for name, field in model._meta.fields.items():
            if isinstance(field, MultiChoiceField):
                names = dict(field.options)
                formatters[name] = (
                    lambda v, c, m, p, names=names: "、".join(names.get(x, x) for x in getattr(m, p))
                )
            elif isinstance(field, MaterialField):
                if export:
                    formatters[name] = lambda v, c, m, p: "已上传" if m.__data__.get(p) else ""
                else:
                    formatters[name] = lambda v, c, m, p: listing.material_link(m, p)
            elif field.choices:
                names = dict(field.choices)
                formatters[name] = lambda v, c, m, p, names=names: names.get(getattr(m, p), getattr(m, p))
            elif isinstance(field, BooleanField) and export:
                formatters[name] = lambda v, c, m, p: YES_NO[getattr(m, p)]
        return formatters

    def _filter_for(self, model, spec):
        """Field names become filters a clerk can use: a dropdown of Chinese
        names for enumerations, yes/no for flags, equality for keys (#2417)."""
        if not isinstance(spec, str):
            return spec
        field = model._meta.fields[spec]
        label = field.verbose_name or spec
        if field.choices:
            return FilterEqual(field, label, options=field.choices)
        if isinstance(field, BooleanField):
            return BooleanEqualFilter(field, label)
        if isinstance(field, ForeignKeyField):
            return FilterEqual(field, label)
        if isinstance(field, MultiChoiceField):
            return ContainsWordFilter(field, label, options=field.options)
        return spec

    def _get_filter_groups(self):
        # Options here are fixed lists (enumerations, yes/no), so the groups
        # are the same on every request; a filter whose options are computed
        # (a callable) keeps them fresh per request.
        if any(callable(getattr(f, "options", None)) for f in self._filters or ()):
            return super()._get_filter_groups()
        if getattr(self, "_filter_groups_once", None) is None:
            self._filter_groups_once = super()._get_filter_groups()
        return self._filter_groups_once

    def _get_list_url(self, view_args):
        """flask-admin's list URL (same arguments, same order, same encoding
        as url_for), with the path looked up once per request: a list page
        asks for some twenty of these (sort headers, pager, page sizes)."""
        path = self._list_path()
        args = dict(page=view_args.page or None, sort=view_args.sort,
                    desc=1 if view_args.sort_desc else None, search=view_args.search)
        args.update(view_args.extra_args)
        args["page_size"] = self.get_safe_page_size(view_args.page_size)
        args.update(self._get_filters(view_args.filters))
        query = urllib.parse.urlencode([(k, v) for k, v in args.items() if v is not None],
                                       safe="!$'()*,/:;?@")
        return f"{path}?{query}" if query else path

    def _list_path(self):
        """This list's path, looked up once per request."""
        key = f"list_path_{self.endpoint}"
        if key not in g:
            setattr(g, key, self.get_url(".index_view"))
        return g.get(key)

    def search_placeholder(self):
        names = []
        for spec in self.column_searchable_list or ():
            field = getattr(self.model, spec) if isinstance(spec, str) else spec
            label = field.verbose_name or field.name
            owner = field.model._meta.verbose_name
            if field.model is not self.model and not label.startswith(owner):
                label = owner + label
            names.append(label)
        return "搜索：" + "、".join(names) if names else "搜索"

    # --- access ----------------------------------------------------------
    def allowed(self, operation):
        return allows(current_user, self.table, operation)

    @property
    def can_create(self):
        return self.allowed("create")

    @property
    def can_edit(self):
        return self.allowed("edit")

    @property
    def can_delete(self):
        return self.allowed("delete")

    @property
    def can_export(self):
        return self.allowed("export")

    def is_accessible(self):
        return self.allowed("list")

    def inaccessible_callback(self, name, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        abort(403)

    def _handle_view(self, name, **kwargs):
        denied = super()._handle_view(name, **kwargs)
        if denied is not None:
            return denied
        operation = OPERATIONS.get(name)
        if name == "ajax_lookup":
            allowed = self.allowed("create") or self.allowed("edit")
        elif name == "action_view":
            allowed = self.is_action_allowed(request.form.get("action"))
        elif name == "transition_view":
            transition = self.transition_or_404(kwargs.get("transition"))
            allowed = self.allowed("details") and self.may_take(transition)
        elif name == "bulk_view":
            allowed = self.allowed("list") and self.bulk_allowed(kwargs.get("transition"))
        elif operation is None:
            allowed = False  # a view nobody mapped is closed, not open
        else:
            allowed = self.allowed(operation)
        if not allowed:
            abort(403)
        return None

    def is_action_allowed(self, name):
        if name == "delete":
            return self.allowed("delete")
        return self.bulk_allowed(name)

    # --- rows: joins and scope ----------------------------------------------
    def _joined_models(self):
        return [getattr(self.model, name).rel_model for name in self.list_joins]

    def is_scoped(self):
        return policy.is_scoped(current_user)

    def scope(self, query):
        """Narrow any query on this table to the rows the user may see."""
        if self.is_scoped():
            owner = policy.owner_field(current_user, self.table)
            if owner is None or current_user.institution_id is None:
                return query.where(False)
            return query.where(getattr(self.model, owner) == current_user.institution_id)
        return query

    def get_query(self):
        # The related records are read only as far as their name shows.
        related = [getattr(m, f) for m in self._joined_models() for f in ("id", *m.display_fields)]
        query = self.model.select(self.model, *related)
        for name in self.list_joins:
            fk = getattr(self.model, name)
            query = query.switch(self.model).join(fk.rel_model, JOIN.LEFT_OUTER, on=(fk == fk.rel_model.id))
        return self.scope(query.switch(self.model))

    # --- the list query ----------------------------------------------------
    def filtered_ids(self, search, filters):
        """The ids of the matching rows, scoped, searched and filtered: joins
        are added only where a search or filter needs another table."""
        query = self.scope(self.model.select(self.model.id))
        joins = set()
        if self._search_supported and search:
            query = self.apply_search(query, search, joins)
        for flt, _name, value in (filters or ()) if self._filters else ():
            f = self._filters[flt]
            query = self._handle_join(query, f.column, joins)
            query = f.apply(query, f.clean(value))
        return query, joins

    def apply_search(self, query, search, joins):
        """Every word must match one of the searchable columns (substring);
        large tables answer from their gram index (search.py)."""
        for word in search.split():
            if self.model in searching.SPECS:
                query = query.where(searching.condition(self.model, word))
                continue
            condition = None
            for field in self._search_fields:
                query = self._handle_join(query, field, joins)
                clause = field.contains(word)
                condition = clause if condition is None else (condition | clause)
            query = query.where(condition)
        return query

    def _handle_join(self, query, field, joins):
        """Join the table a search, filter or sort column lives in, once, by
        this table's own foreign key to it."""
        related = getattr(field, "model", None)
        if related is None or related is self.model or related.__name__ in joins:
            return query
        fk = next(f for f in self.model._meta.refs if f.rel_model is related)
        joins.add(related.__name__)
        return query.switch(self.model).join(related, JOIN.LEFT_OUTER, on=(fk == related.id)).switch(self.model)


    def _index_answers(self, search, filters, sort_column):
        """A plain text search, newest first, over every row the user may see:
        the gram index gives the page and the count by itself."""
        words = (search or "").split()
        return (self._search_supported and not filters and sort_column is None
                and self._get_default_order() in (None, [("id", True)])
                and searching.index_only(self.model, words)
                and not self.is_scoped())

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        if page_size is None:
            page_size = self.page_size
        if page and not 0 <= page <= MAX_PAGE:
            abort(404)
        search = self.clean_search(search)
        if page_size and self._index_answers(search, filters, sort_column):
            words = search.split()
            offset = (page or 0) * page_size
            # The newest matches up to the bound, newest first: the count and,
            # for the first pages, the page itself.
            newest = searching.page_ids(self.model, words, SEARCH_COUNT_BOUND + 1)
            count = BoundedCount(min(len(newest), SEARCH_COUNT_BOUND), bounded=len(newest) > SEARCH_COUNT_BOUND)
            if offset + page_size <= len(newest) or len(newest) <= SEARCH_COUNT_BOUND:
                ids = newest[offset:offset + page_size]
            else:
                ids = searching.page_ids(self.model, words, page_size, offset)
            return count, self._rows(ids)
        query, joins = self.filtered_ids(search, filters)
        bound = SEARCH_COUNT_BOUND if (search or "").strip() else COUNT_BOUND
        count = None if self.simple_list_pager else bounded_count(query, bound)
        if sort_column is not None:
            order = [(self._sortable_columns[sort_column], sort_desc)]
        else:
            order = self._get_default_order()
        if order:
            query, joins = self._order_by(query, joins, order)
        if page_size:
            query = query.limit(page_size)
        if page and page_size:
            query = query.offset(page * page_size)
        return count, self._page(query, order)

    def _page(self, ids_query, order):
        """Deferred join in one statement: the page's ids in a subquery (an
        index walk, even deep in the list) joined to their rows and related
        records, in the list's order."""
        page = ids_query.alias("page")
        outer = self.get_query().join(page, on=(self.model.id == page.c.id))
        if order:
            outer, _ = self._order_by(outer, {m.__name__ for m in self._joined_models()}, order)
        return list(outer)

    def _rows(self, ids):
        """Deferred join: the page's ids first (an index walk, even deep in
        the list), then their rows with the related records in one query."""
        rows = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            rows.update((r.id, r) for r in self.get_query().where(self.model.id.in_(chunk)))
        return [rows[i] for i in ids if i in rows]

    def get_one(self, id):
        """Every path that fetches one row (details, edit, delete, material)
        comes through here, so the scope holds for all of them (#1070)."""
        pk = models.parse_id(id)
        if pk is None:
            abort(404)
        record = self.scope(self.model.select()).where(self.model.id == pk).first()
        if record is None:
            # Not there, or not the user's to see: the same answer for both.
            abort(404)
        return record

    # --- forms ------------------------------------------------------------
    def scaffold_form(self):
        return ordered(super().scaffold_form(), self.form_columns)

    def _narrow(self, form):
        for name, make_query in self.form_queries.items():
            if hasattr(form, name):
                getattr(form, name).query = make_query()
        return form

    # --- writes: one transaction each, with its audit row ---------------------
    def create_model(self, form):
        model = self._save(form, self.model(), created=True)
        return model or False

    def update_model(self, form, model):
        return bool(self._save(form, model, created=False))

    def _save(self, form, model, created):
        """Populate, check, save, store the uploads and write the audit row in
        one transaction; the files are moved into place only after it has
        committed (materials.Staging), and nothing of a refused save stays."""
        user = current_user._get_current_object()
        before = None if created else audit.snapshot(model)
        try:
            with materials.Staging(current_app.config["UPLOAD_DIR"]) as stage, db.atomic():
                g.material_stage = stage
                form.populate_obj(model)
                self.on_model_change(form, model, created)
                model.save(force_insert=created)
                stage.delete_retired()
                audit.record(user, "create" if created else "edit", self.table, model.id,
                             before=before, after=audit.snapshot(model))
                workflow.follow_up(model, user)
        except Exception as exc:
            if not self.handle_view_exception(exc):
                raise
            return None
        finally:
            g.pop("material_stage", None)
        self.after_model_change(form, model, created)
        return model

    def create_form(self, obj=None):
        form = self._narrow(super().create_form(obj))
        # A new record starts at version 1, whatever a crafted form says.
        if "version" in form._fields:
            del form.version
        return self._owned(form)

    def edit_form(self, obj=None):
        fields = policy.editable_fields(current_user, self.table)
        if fields is not None:
            return self.restricted_form(fields)(get_form_data(), obj=obj)
        return self._owned(self._narrow(super().edit_form(obj)))

    def restricted_form(self, fields):
        """The form of only the fields the policy lets this user edit (and
        the version), made once per set of fields."""
        cache = self.__dict__.setdefault("_restricted_forms", {})
        if fields not in cache:
            names = (*fields, "version")
            cache[fields] = ordered(get_form(self.model, self.model_form_converter(self),
                                             base_class=self.form_base_class, only=names,
                                             field_args=self.form_args), names)
        return cache[fields]

    def _owned(self, form):
        """A scoped user's records belong to their institution: the field
        that says so is set by the server (on_model_change), never chosen."""
        owner = policy.owner_field(current_user, self.table) if self.is_scoped() else None
        if owner in form._fields:
            delattr(form, owner)
        return form

    def on_model_change(self, form, model, is_created):
        owner = policy.owner_field(current_user, self.table) if self.is_scoped() else None
        if owner and owner != "id":
            setattr(model, owner, current_user.institution_id)

    def validate_form(self, form):
        valid = super().validate_form(form)
        if valid and request.endpoint in (f"{self.endpoint}.create_view", f"{self.endpoint}.edit_view"):
            stored = getattr(form, "_obj", None)
            if stored is not None and self.posted_version() != stored.version:
                # An edit says which version it was opened at; a form that
                # does not say is refused like a stale one, never waved through.
                flash(StaleRecord.message, "error")
                return False
            valid = apply_record_rules(form, self.model, stored)
        return valid

    @staticmethod
    def posted_version():
        value = request.form.get("version", "")
        return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None

    def handle_view_exception(self, exc):
        if isinstance(exc, StaleRecord):
            flash(exc.args[0], "error")
            return True
        if isinstance(exc, RuleViolation):
            # The save-time backstop caught what the form check could not see.
            flash(exc.message, "error")
            return True
        message = database_error_message(exc)
        if message:
            flash(message, "error")
            return True
        return super().handle_view_exception(exc)

    def references(self, model):
        """What still refers to this record, as Chinese phrases."""
        found = []
        for fk, related in model._meta.backrefs.items():
            if related not in ALL_MODELS:
                continue  # the abstract Application base has no table
            count = related.select().where(fk == model.id).count()
            if count:
                found.append(f"{related._meta.verbose_name} {count} 条")
        return found

    def delete_record(self, model):
        """Delete one record with its audit row and its materials, never
        cascading to the records that refer to it. Returns None when done,
        else the Chinese reason it was not."""
        before = audit.snapshot(model)
        try:
            with materials.Staging(current_app.config["UPLOAD_DIR"]) as stage, db.atomic():
                # Counted inside the transaction: on SQLite it holds the
                # write lock, so nothing can start referring meanwhile.
                refs = self.references(model)
                if refs:
                    return f"“{model}”仍被以下记录引用，不能删除：" + "、".join(refs)
                for name in self.material_fields():
                    stage.retire(model.__data__.get(name))
                model.delete_instance()
                stage.delete_retired()
                audit.record(current_user._get_current_object(), "delete", self.table, model.id,
                             before=before, after={})
        except RuleViolation as exc:
            return exc.message
        except IntegrityError:
            return f"“{model}”仍被其他记录引用，不能删除。"
        except DatabaseError as exc:
            return database_error_message(exc)
        return None

    def delete_model(self, model):
        refusal = self.delete_record(model)
        if refusal:
            flash(refusal, "error")
            return False
        return True

    @action("delete", "删除", "确定要删除所选记录吗？被其他记录引用的记录不会被删除。")
    def action_delete(self, ids):
        records = self.scope(self.model.select()).where(self.model.id.in_(models.parse_ids(ids)))
        results = []
        for record in records.order_by(self.model.id):
            refusal = self.delete_record(record)
            results.append((str(record), refusal is None, refusal or "已删除"))
        return self.render("admin/bulk_result.html", title="批量删除", results=results,
                           return_url=get_redirect_target() or self.get_url(".index_view"))

    # --- exports: streamed ------------------------------------------------------
    def export_rows(self):
        """The list's rows as the list shows them (search, filters, sort), read
        in batches of ids so memory stays flat whatever the size."""
        view_args = self._get_list_extra_args()
        query, joins = self.filtered_ids(self.clean_search(view_args.search), view_args.filters)
        sort = self._get_column_by_idx(view_args.sort)
        order = [(self._sortable_columns[sort[0]], view_args.sort_desc)] if sort else self._get_default_order()
        columns = [c for c, _ in self._export_columns]
        for chunk in self._id_batches(query, joins, order):
            rows = {r.id: r for r in self.get_query().where(self.model.id.in_(chunk))}
            for i in chunk:
                if i in rows:
                    yield [self.get_export_value(rows[i], c) for c in columns]

    def _id_batches(self, query, joins, order):
        if not order or order == [("id", True)]:
            # The list's own order: walk the primary key, a batch at a time.
            last = None
            while True:
                page = query.order_by(self.model.id.desc()).limit(exports.BATCH)
                if last is not None:
                    page = page.where(self.model.id < last)
                chunk = [i for (i,) in page.tuples()]
                if not chunk:
                    return
                yield chunk
                last = chunk[-1]
        query, joins = self._order_by(query, joins, order)
        chunk = []
        for (i,) in query.tuples().iterator():
            chunk.append(i)
            if len(chunk) == exports.BATCH:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    @expose("/export/<export_type>/")
    def export(self, export_type):
        if export_type not in self.export_types:
            abort(404)
        audit.record(current_user._get_current_object(), "export", self.table,
                     extra={"format": export_type,
                            "query": request.query_string.decode("utf-8", "replace")[:500]})
        headers = [label for _, label in self._export_columns]
        stream = exports.csv_stream if export_type == "csv" else exports.xlsx_stream
        mimetype = {"csv": "text/csv; charset=utf-8",
                    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}[export_type]
        filename = f"{self.table}_{models.now():%Y%m%d_%H%M%S}.{export_type}"
        quoted = urllib.parse.quote(f"{self.name}_{models.now():%Y%m%d_%H%M%S}.{export_type}")
        return Response(
            stream_with_context(stream(headers, self.export_rows())),
            mimetype=mimetype,
            headers={"Content-Disposition": f"attachment; filename={filename}; filename*=UTF-8''{quoted}",
                     "Cache-Control": "no-store"},
        )

    # --- ajax lookups --------------------------------------------------------
    def _create_ajax_loader(self, name, options):
        remote = getattr(self.model, name).rel_model
        return BoundedAjaxLoader(name, remote, **options)

    # --- materials -----------------------------------------------------------
    def material_fields(self):
        return [n for n, f in self.model._meta.fields.items() if isinstance(f, MaterialField)]

    @expose("/material/<field>/")
    def material_view(self, field):
        if field not in self.material_fields():
            abort(404)
        record = self.get_one(request.args.get("id"))
        stored = getattr(record, field) if record is not None else None
        if stored is None:
            abort(404)
        path = materials.path_for(current_app.config["UPLOAD_DIR"], stored.stored_name)
        if not os.path.isfile(path):
            # The row without its file (a restore without the uploads, say).
            log.error("material file missing: %s", path)
            abort(404)
        response = send_file(
            path,
            mimetype=stored.content_type,
            as_attachment=True,
            download_name=materials.clean_name(stored.original_name),
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    # --- details page: related records -----------------------------------------
    def related_sections(self, model):
        sections = []
        for fk, columns in self.details_related:
            related = fk.model
            table = related._meta.table_name
            if not allows(current_user, table, "list"):
                continue
            query = related.select().where(fk == model.id)
            total = query.count()
            rows = list(query.order_by(related.id.desc()).limit(20))
            list_url = None
            view = self.admin_view_for(table)
            if view is not None:
                list_url = view.filtered_list_url(fk, model.id)
            sections.append(
                dict(
                    title=related._meta.verbose_name,
                    table=table,
                    columns=[(c, related.label(c)) for c in columns],
                    rows=rows,
                    total=total,
                    list_url=list_url,
                    can_open=allows(current_user, table, "details"),
                )
            )
        return sections

    def admin_view_for(self, table):
        for view in self.admin._views:
            if getattr(view, "table", None) == table:
                return view
        return None

    def filtered_list_url(self, fk, value):
        for index, flt in enumerate(self._filters or ()):
            if getattr(flt, "column", None) is fk and isinstance(flt, FilterEqual):
                return url_for(f"{self.endpoint}.index_view", **{f"flt0_{self.get_filter_arg(index, flt)}": value})
        return url_for(f"{self.endpoint}.index_view")

    def _cell_functions(self):
        """Per list column, a plain function from row to shown value (flask-
        admin's general path costs a formatter lookup per cell). Formatters
        are Python functions here, never template macros: the list is built
        in Python (admin/listing.py)."""
        if getattr(self, "_cells", None) is not None:
            return self._cells
        cells = {}
        for name, _label in self._list_columns:
            formatter = self.column_formatters.get(name)
            field = self.model._meta.fields.get(name)
            if formatter is not None:
                cells[name] = lambda row, f=formatter, n=name: f(self, None, row, n)
            elif isinstance(field, ForeignKeyField):
                cells[name] = lambda row, n=name: "" if row.__data__.get(n) is None else str(getattr(row, n))
            elif isinstance(field, BooleanField):
                cells[name] = lambda row, n=name: YES_NO[getattr(row, n)]
            elif field is not None:
                cells[name] = lambda row, n=name: getattr(row, n)
            else:
                cells[name] = lambda row, n=name: self.get_list_value(None, row, n)
        self._cells = cells
        return cells

    def history(self, model):
        """The record's audit trail, newest first, for the office's eyes."""
        if not policy.sees_office_records(current_user):
            return None
        rows = list(
            AuditLog.select()
            .where(AuditLog.model == self.table, AuditLog.object_id == model.id)
            .order_by(AuditLog.id.desc())
            .limit(50)
        )
        for row in rows:
            row.action_label = audit.action_label(row.action, self.table)
            row.change_list = [
                (self.model.label(k) if k != "opinion" else "意见", *(v if isinstance(v, list) else [None, v]))
                for k, v in row.changes_dict.items()
            ]
        return rows

    def render(self, template, **kwargs):
        if template == self.list_template:
            kwargs["list_table"] = self.list_table(kwargs)
            kwargs["list_pager"] = listing.pager(
                kwargs["page"], kwargs["count"], kwargs["page_size"],
                len(kwargs["data"]) == kwargs["page_size"], kwargs["pager_url"])
        if template == self.details_template and "model" in kwargs:
            kwargs["transition_links"] = listing.TransitionLinks(self, current_user._get_current_object(), "md")
            kwargs["related_sections"] = self.related_sections(kwargs["model"])
            kwargs["display_value"] = display_value
            kwargs["history"] = self.history(kwargs["model"])
        return super().render(template, **kwargs)

    def list_table(self, page):
        """The table of the list page (flask-admin's context `page`), in
        Python: row links from prefixes made once per page, not three URLs
        and a delete form per row."""
        user = current_user._get_current_object()
        prefix = self._list_path()
        back = urllib.parse.quote(page.get("return_url") or "", safe="")
        cells = self._cell_functions()
        if "transitions" in cells:
            cells = {**cells, "transitions": listing.TransitionLinks(self, user, prefix=prefix, back=back)}
        links = {
            "details": self.get_url(".details_view") + "?id=" if self.can_view_details else None,
            "edit": self.get_url(".edit_view") + "?id=" if self.can_edit else None,
            "delete": self.get_url(".delete_view") if self.can_delete else None,
            "back": back,
            "token": generate_csrf(),
        }
        return listing.list_table(
            self, page["data"], cells=cells, list_columns=page["list_columns"], actions=page["actions"],
            sort_column=page["sort_column"], sort_desc=page["sort_desc"], sort_url=page["sort_url"],
            return_url=page["return_url"], links=links)


def display_value(record, column):
    """A related row's value as a clerk reads it."""
    field = record._meta.fields.get(column)
    value = getattr(record, column)
    if field is not None and field.choices:
        return dict(field.choices).get(value, value)
    if isinstance(field, MultiChoiceField):
        names = dict(field.options)
        return "、".join(names.get(x, x) for x in value)
    if isinstance(value, bool):
        return YES_NO[value]
    return "" if value is None else value


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
        return check(value)

    flt.validate = validate
    return flt


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


__all__ = ["SecureModelView", "FilterEqual", "FilterLike", "BooleanEqualFilter"]
