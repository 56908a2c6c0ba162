"""Spreadsheets read as the office's clerks write them: XLSX (streamed
through openpyxl's read-only reader, so a file of a hundred thousand rows
is never held whole) and CSV in UTF-8 (with or without BOM) or GB18030,
which Chinese Excel writes. Headers are matched by meaning: a label with
spaces, full-width letters or brackets names the same column."""
import codecs
import csv
import datetime
import unicodedata
import zipfile
from typing import Any, Iterator

import openpyxl


class SheetError(Exception):
    """The file cannot be read as a spreadsheet at all (a message a clerk reads)."""


def normalize(label: Any) -> str:
    """A header as it is compared: full-width folded to half-width (NFKC),
    every space gone, letters in one case, a leading required-mark (*)
    dropped."""
    text = unicodedata.normalize("NFKC", str(label or ""))
    text = "".join(ch for ch in text if not ch.isspace() and unicodedata.category(ch)[0] != "C")
    return text.lstrip("*").casefold()


def _csv_encoding(path: str) -> str:
    """UTF-8 (with or without BOM) when every byte of the file decodes as
    UTF-8, else GB18030; read in chunks, never the whole file at once."""
    with open(path, "rb") as handle:
        if handle.read(3) == codecs.BOM_UTF8:
            return "utf-8-sig"
        handle.seek(0)
        for encoding in ("utf-8", "gb18030"):
            handle.seek(0)
            if _decodes(handle, encoding):
                return encoding
    raise SheetError("无法识别文件编码：CSV 文件请以 UTF-8 或 GB18030（Excel 的“CSV（逗号分隔）”）保存")


def _decodes(handle: Any, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _csv_rows(path: str) -> Iterator[list]:
    encoding = _csv_encoding(path)
    with open(path, encoding=encoding, newline="") as handle:
        sample = handle.read(4096)
        if "\x00" in sample:
            raise SheetError("文件不是文本格式的 CSV；请另存为 CSV 或 XLSX 后再导入")
        try:
            dialect: Any = csv.Sniffer().sniff(sample, delimiters=",\t;")
        except csv.Error:
            dialect = csv.excel
        handle.seek(0)
        reader = csv.reader(handle, dialect)
        try:
            yield from reader
        except csv.Error:
            raise SheetError(f"CSV 文件格式有误（约第 {reader.line_num} 行：引号不成对或一格过长），"
                             "请用 Excel 另存为 CSV 或 XLSX 后重试") from None


# What an XLSX may unpack to. openpyxl's read-only reader streams the sheet
# but holds the shared strings whole: a small file whose strings unpack to
# gigabytes would take the server's memory with it.
MAX_SHARED_STRINGS = 100 * 1024 * 1024
MAX_UNPACKED = 2 * 1024 * 1024 * 1024
# Excel's last row: a file naming a row past it (openpyxl would yield every
# empty row up to it) is not a spreadsheet Excel wrote.
MAX_ROWS = 1_048_576


def _check_unpacked(path: str) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise SheetError("无法读取 XLSX 文件：文件已损坏或不是 Excel 工作簿，请用 Excel 打开后另存再试") from None
    strings = sum(e.file_size for e in entries if e.filename.lower().endswith("sharedstrings.xml"))
    if strings > MAX_SHARED_STRINGS or sum(e.file_size for e in entries) > MAX_UNPACKED:
        raise SheetError("XLSX 文件解压后的内容过大（文字总量超过 100 MB），请分成几个文件导入")


def _xlsx_rows(path: str) -> Iterator[list]:
    _check_unpacked(path)
    handle = open(path, "rb")
    try:
        # Any failure of the parser on an uploaded file means the file is
        # damaged (zip, XML, a cell reference, a number): said in words.
        try:
            book = openpyxl.load_workbook(handle, read_only=True, data_only=True)
        except Exception:
            raise SheetError("无法读取 XLSX 文件：文件已损坏或不是 Excel 工作簿，请用 Excel 打开后另存再试") from None
        try:
            if not book.worksheets:
                raise SheetError("XLSX 文件中没有工作表")
            sheet = book.worksheets[0]
            # The size the file declares may be stale (other tools write it
            # wrong, Excel ignores it): every row and column is read.
            sheet.reset_dimensions()
            for row in sheet.iter_rows(values_only=True):
                yield list(row)
        except SheetError:
            raise
        except Exception:
            raise SheetError("XLSX 文件内容有误，无法读完：文件已损坏，请用 Excel 打开后另存再试") from None
        finally:
            book.close()
    finally:
        handle.close()


def kind_of(filename: str) -> str:
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        return "xlsx"
    if name.endswith((".csv", ".txt")):
        return "csv"
    raise SheetError("只能导入 .xlsx 或 .csv 文件（旧版 .xls 请在 Excel 中另存为 .xlsx）")


def read(path: str, filename: str) -> Iterator[list]:
    """The rows of the file's first sheet, the header first; trailing
    empty cells dropped, empty rows skipped (but counted: the row numbers a
    clerk reads are the spreadsheet's own)."""
    rows = _xlsx_rows(path) if kind_of(filename) == "xlsx" else _csv_rows(path)
    for number, row in enumerate(rows, 1):
        if number > MAX_ROWS:
            raise SheetError(f"文件超过 {MAX_ROWS:,} 行（Excel 的最大行数），请分成几个文件导入")
        while row and (row[-1] is None or (isinstance(row[-1], str) and not row[-1].strip())):
            row.pop()
        yield row


def cell_text(value: Any) -> str:
    """A cell's value as text, for the fields that are text."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime) and value.time() == datetime.time():
        return value.date().isoformat()
    return str(value).strip()
