"""Exports: the list's own rows (search, filters, sort) streamed as CSV or
XLSX (admin/writers.py), with the record's full field set, every field a
details page shows, related records by name and values typed (amounts,
dates, counts stay numbers and dates; enumerations read as their Chinese
names). ExportMixin is the screens' side."""

from flask import abort, request
from flask_admin import expose
from flask_login import current_user

import compat
import models
from admin import typed_rows
from admin.writers import BATCH, csv_stream, download, safe, xlsx_stream
from program import audit

__all__ = ["ExportMixin", "csv_stream", "xlsx_stream", "safe"]


class ExportMixin:
    export_types = ["csv", "xlsx"]

    def export_names(self):
        """The exported columns: those the view names, else every field of
        its details page (the record as a clerk reads it, in that order)."""
        return [c for c, _ in compat.export_columns(self)]

    def export_rows(self, for_csv=False):
        """The list's rows as the list shows them (search, filters, sort), read
        in batches of ids so memory stays flat whatever the size."""
        view_args = compat.list_arguments(self)
        query, joins = self.filtered_ids(self.clean_search(view_args.search), view_args.filters)
        sort = compat.column_by_index(self, view_args.sort)
        order = self.list_order(sort[0] if sort else None, view_args.sort_desc)
        columns = self.export_names()
        if self.export_typed_fast(columns):
            read = typed_rows.Reader(self.model, columns, BATCH, for_csv)
            if not order or order == [("id", True)]:
                yield from read.pages(query)
                return
            for chunk in self._id_batches(query, joins, order):
                yield from read(chunk)
            return
        for chunk in self._id_batches(query, joins, order):
            for row in self.rows(chunk):
                yield [self.get_export_value(row, c) for c in columns]

    def export_typed_fast(self, columns):
        """Every column a stored field with no formatter of the view's own:
        read as tuples, without building a record per row."""
        return (all(c in self.model._meta.fields for c in columns)
                and not set(columns) & set(getattr(self, "own_export_formatters", ())))

    def _id_batches(self, query, joins, order):
        if not order or order == [("id", True)]:
            yield from self._newest_first(query)
            return
        query, joins = compat.order_by(self, query, joins, order)
        chunk = []
        for (i,) in query.tuples().iterator():
            chunk.append(i)
            if len(chunk) == BATCH:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    def _newest_first(self, query):
        """The list's own order: walk the primary key, a batch at a time."""
        last = None
        while True:
            page = query.order_by(self.model.id.desc()).limit(BATCH)
            if last is not None:
                page = page.where(self.model.id < last)
            chunk = [i for (i,) in models.db.execute(page).fetchall()]
            if not chunk:
                return
            yield chunk
            last = chunk[-1]

    @expose("/export/<export_type>/")
    def export(self, export_type):
        if export_type not in self.export_types:
            abort(404)
        audit.record(current_user._get_current_object(), "export", self.table,
                     extra={"format": export_type,
                            "query": request.query_string.decode("utf-8", "replace")[:500]})
        headers = [label for _, label in compat.export_columns(self)]
        stream = csv_stream if export_type == "csv" else xlsx_stream
        stamp = f"{models.now():%Y%m%d_%H%M%S}"
        return download(stream(headers, self.export_rows(for_csv=export_type == "csv")),
                        f"{self.table}_{stamp}.{export_type}", f"{self.name}_{stamp}.{export_type}")
