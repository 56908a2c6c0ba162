"""The one base view every screen inherits, assembled from one mixin per
concern, each in its own file:

- access.py — the operations and rows the policy gives the user (and the
  one way a row is fetched);
- reading.py, filters.py, listing.py — the list: query, bounded count,
  search, filters, table and pager;
- exports.py — streamed CSV and XLSX; imports.py — spreadsheet import;
  lookups.py — ajax lookups;
- editing.py, converter.py — forms, optimistic locking, the save as one
  transaction; removal.py — deletes; downloads.py — materials;
- details.py — related records and history; transitions.py — the workflow.

A view in admin/<area>.py only describes its screen (columns, filters,
searches, related lists), the way a Django ModelAdmin does.
"""
from flask_admin.contrib.peewee import ModelView
from flask_admin.model import typefmt
from flask_login import current_user
from wtforms.widgets import HiddenInput

import compat
from admin import listing, present
from admin.access import AccessMixin
from admin.converter import AppModelConverter
from admin.details import DetailsMixin
from admin.downloads import DownloadsMixin
from admin.editing import EditingMixin
from admin.exports import ExportMixin
from admin.filters import (
    BooleanEqualFilter,
    FilterEqual,
    FilterLike,
    FiltersMixin,
    SubmitterFilter,
    filter_for,
    guard_filter,
)
from admin.imports import ImportMixin
from admin.layout import LayoutMixin
from admin.listing import ListingMixin
from admin.lookups import LookupsMixin
from admin.reading import ReadingMixin
from admin.removal import RemovalMixin
from admin.saved import SavedFiltersMixin
from admin.transitions import TransitionsMixin
from models import YES_NO, MaterialField, shown
from program import workflow


class SecureModelView(compat.ModelViewHooks, AccessMixin, ReadingMixin, FiltersMixin, SavedFiltersMixin,
                      ListingMixin, ExportMixin, ImportMixin, LookupsMixin, LayoutMixin, EditingMixin, RemovalMixin,
                      DownloadsMixin, DetailsMixin, TransitionsMixin, ModelView):
    # --- defaults every screen shares -------------------------------------
    page_size = 20
    can_set_page_size = True
    page_size_options = (20, 50, 100)
    can_view_details = True
    column_display_pk = False
    form_excluded_columns = ("created_at", "updated_at")
    column_default_sort = ("id", True)
    model_form_converter = AppModelConverter

    def __init__(self, model, **kwargs):
        self.table = model._meta.table_name
        kwargs.setdefault("name", model._meta.verbose_name)
        kwargs.setdefault("endpoint", self.table)
        self._labels_and_formatters(model)
        self.column_filters = [filter_for(model, f) for f in (self.column_filters or ())]
        if "submitted_by" in model._meta.fields:
            self.column_filters.append(SubmitterFilter(model.submitted_by))
        if "redemption_requested_by" in model._meta.fields:
            self.column_filters.append(SubmitterFilter(model.redemption_requested_by, "兑付申请人", verb="申请"))
        self._details_and_export(model)
        if self.form_columns:
            # A field belongs to the step that fills it: what a transition
            # asks for (a grant's date, a contract) is never on the edit form.
            filled = {name for t in workflow.for_table(self.table) for name in t.fields}
            self.form_columns = tuple(c for c in self.form_columns if c not in filled)
            self.form_rules = self.layout_rules()
        if self.form_columns and "version" not in self.form_columns:
            # Optimistic locking: the form carries the version it was opened at.
            self.form_columns = (*self.form_columns, "version")
        self.form_args = {**(self.form_args or {}), "version": {"widget": HiddenInput()}}
        if workflow.for_table(self.table) and self.column_list:
            self._transitions_column()
        super().__init__(model, **kwargs)

    def _details_and_export(self, model):
        if self.column_details_list is None:
            self.column_details_list = self._details_order(model)
        if self.column_export_list is None:
            # An export is the record in full, as its details page reads.
            hidden = set(self.column_export_exclude_list or ())
            self.column_export_list = tuple(c for c in self.column_details_list if c not in hidden)

    def get_filters(self):
        """Every filter checks its value from the URL and speaks the office's
        words (flask-admin caches the menu from this list)."""
        return [guard_filter(flt) for flt in super().get_filters() or ()] or None

    def _labels_and_formatters(self, model):
        """Labels from the fields' verbose names (one place per model); values
        as models.shown() gives them, materials as links; yes / no in words."""
        self.column_type_formatters = {**typefmt.BASE_FORMATTERS, bool: lambda view, value, name: YES_NO[value]}
        self.column_type_formatters_detail = {**typefmt.DETAIL_FORMATTERS,
                                              bool: lambda view, value, name: YES_NO[value]}
        labels = {name: f.verbose_name for name, f in model._meta.fields.items() if f.verbose_name}
        labels["id"] = "编号"
        labels.update(self.column_labels or {})
        self.column_labels = labels
        own = self.column_formatters or {}
        materials = {name: (lambda v, c, m, p: listing.material_link(m, p))
                     for name, field in model._meta.fields.items() if isinstance(field, MaterialField)}
        self.column_formatters = {**present.formatters(model, brief=True), **materials, **own}
        self.column_formatters_detail = {**present.formatters(model), **materials, **own,
                                         **(self.column_formatters_detail or {})}
        self.own_export_formatters = tuple(self.column_formatters_export or ())
        self.column_formatters_export = {**_export_formatters(model), **(self.column_formatters_export or {})}

    def _transitions_column(self):
        self.column_list = (*self.column_list, "transitions")
        self.column_labels["transitions"] = "办理"
        self.column_formatters["transitions"] = lambda v, c, m, p: listing.transition_links(v, m, current_user)
        self.column_export_exclude_list = (*(self.column_export_exclude_list or ()), "transitions")

    def _details_order(self, model):
        """The record's own fields in form order, then status and review, then
        the bookkeeping columns last."""
        hidden = set(self.column_details_exclude_list or ())
        bookkeeping = ["id", "created_at", "updated_at"]
        first = []
        for name in (*(self.column_list or ()), *(self.form_columns or ())):
            if name in model._meta.fields and name not in first and name not in bookkeeping:
                first.append(name)
        rest = [n for n in model._meta.fields if n not in first and n not in bookkeeping and n != "version"]
        return [n for n in first + rest + bookkeeping if n not in hidden]


def _export_formatters(model):
    """In exports, a formatter per enumerated, multi-valued, yes/no and
    material field: the words a clerk reads, numbers left as numbers."""
    formatters = {}
    for name, field in model._meta.fields.items():
        if isinstance(field, MaterialField):
            formatters[name] = lambda v, c, m, p: "已上传" if compat.stored(m, p) else ""
        elif field.choices or hasattr(field, "options") or field.field_type == "BOOL":
            formatters[name] = lambda v, c, m, p, f=field: shown(f, getattr(m, p))
    return formatters


__all__ = ["SecureModelView", "FilterEqual", "FilterLike", "BooleanEqualFilter"]
