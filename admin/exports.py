"""Exports streamed to the browser: rows are read in batches and written out
as they come, so a million rows start arriving at once and the server's
memory stays flat. CSV (UTF-8 with BOM, for Excel) and XLSX (a minimal
workbook written through a streaming zip). ExportMixin is the screens' side:
the list's own rows, in the list's order."""
import csv
import io
import urllib.parse
import zipfile
from xml.sax.saxutils import escape

from flask import Response, abort, request, stream_with_context
from flask_admin import expose
from flask_login import current_user

import compat
import models
from program import audit

BATCH = 2000

# A cell that starts with one of these is a formula to Excel (and to LibreOffice
# and WPS): "=cmd|' /C calc'!A0" typed as a login name would run when the
# audit log is opened. Such text is written with a leading apostrophe, which
# the spreadsheet shows as plain text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe(value):
    """A cell's text as it may be written to a spreadsheet: never a formula."""
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_stream(headers, rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(headers)
    for n, row in enumerate(rows, 1):
        writer.writerow([safe(v) for v in row])
        if n % BATCH == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


class _Sink:
    """A write-only file for zipfile whose bytes the generator hands on."""

    def __init__(self):
        self.parts = []

    def write(self, data):
        self.parts.append(bytes(data))
        return len(data)

    def flush(self):
        pass

    def take(self):
        data, self.parts = b"".join(self.parts), []
        return data


_STATIC_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="数据" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
    ),
}


# Excel holds at most this many characters in a cell.
CELL_LIMIT = 32_767


def _xml_char(ch):
    """A character XML 1.0 can carry (the rest would make the file unreadable)."""
    code = ord(ch)
    return ch in "\t\n\r" or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or code >= 0x10000


def _cell(value):
    text = "".join(ch for ch in safe(value) if _xml_char(ch))
    if len(text) > CELL_LIMIT:
        text = text[:CELL_LIMIT - 7] + "…（已截断）"
    return f'<c t="inlineStr"><is><t xml:space="preserve">{escape(text)}</t></is></c>'


def xlsx_stream(headers, rows):
    sink = _Sink()
    archive = zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED)
    for name, content in _STATIC_PARTS.items():
        archive.writestr(name, content)
    yield sink.take()
    with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
        sheet.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
        sheet.write(("<row>" + "".join(_cell(h) for h in headers) + "</row>").encode("utf-8"))
        batch = []
        for n, row in enumerate(rows, 1):
            batch.append("<row>" + "".join(_cell(v) for v in row) + "</row>")
            if n % BATCH == 0:
                sheet.write("".join(batch).encode("utf-8"))
                batch = []
                yield sink.take()
        sheet.write(("".join(batch) + "</sheetData></worksheet>").encode("utf-8"))
    archive.close()
    yield sink.take()


MIMETYPES = {"csv": "text/csv",  # Flask adds "; charset=utf-8" to a text type
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


class ExportMixin:
    export_types = ["csv", "xlsx"]

    def export_rows(self):
        """The list's rows as the list shows them (search, filters, sort), read
        in batches of ids so memory stays flat whatever the size."""
        view_args = compat.list_arguments(self)
        query, joins = self.filtered_ids(self.clean_search(view_args.search), view_args.filters)
        sort = compat.column_by_index(self, view_args.sort)
        order = self.list_order(sort[0] if sort else None, view_args.sort_desc)
        columns = [c for c, _ in compat.export_columns(self)]
        for chunk in self._id_batches(query, joins, order):
            for row in self.rows(chunk):
                yield [self.get_export_value(row, c) for c in columns]

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
            chunk = [i for (i,) in page.tuples()]
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
        quoted = urllib.parse.quote(f"{self.name}_{stamp}.{export_type}")
        return Response(
            stream_with_context(stream(headers, self.export_rows())),
            mimetype=MIMETYPES[export_type],
            headers={"Content-Disposition": f"attachment; filename={self.table}_{stamp}.{export_type}; "
                                            f"filename*=UTF-8''{quoted}",
                     "Cache-Control": "no-store"},
        )
