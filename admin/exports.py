"""Exports streamed to the browser: rows are read in batches and written out
as they come, so a million rows start arriving at once and the server's
memory stays flat. CSV (UTF-8 with BOM, for Excel) and XLSX (a minimal
workbook written through a streaming zip)."""
import csv
import io
import zipfile
from xml.sax.saxutils import escape

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


def _cell(value):
    text = safe(value)
    # Characters XML 1.0 cannot carry are dropped rather than break the file.
    text = "".join(ch for ch in text if ch in "\t\n\r" or ord(ch) >= 0x20)
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
