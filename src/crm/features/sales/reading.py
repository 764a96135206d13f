"""Reading an ERP file into a header and rows of cells: CSV (UTF-8 with or without BOM, or Windows-1251; ``;`` or
``,``) or Excel (XLSX, or an ``.xls`` that is really XLSX, read by calamine: cached values, formulas never
evaluated). A file that is hostile or unreadable is refused as a whole with a reason, before any row is used."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from crm.config import get_settings
from crm.lib.i18n import N_
from crm.lib.i18n import gettext as _
from crm.lib.uploads import UnsafeUpload, check_xlsx

DEFAULT_MAX_MB = 100
SNIFF = 64 * 1024
XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
BOM = b"\xef\xbb\xbf"


def max_bytes() -> int:
    """The size limit of one file: ``CRM_SALES_IMPORT_MAX_MB`` (read with the other settings), 100 MB by default."""
    get_settings()  # loads .env into the environment
    raw = os.environ.get("CRM_SALES_IMPORT_MAX_MB", "")
    try:
        mb = int(raw) if raw.strip() else DEFAULT_MAX_MB
    except ValueError:
        mb = DEFAULT_MAX_MB
    return max(1, mb) * 1024 * 1024


class FileRejected(Exception):
    """The whole file is refused; ``message`` is an English msgid, ``params`` its values."""

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message % params if params else message)
        self.message, self.params = message, params

    def text(self) -> str:
        return _(self.message) % self.params if self.params else _(self.message)


TOO_BIG = N_("The file is larger than %(limit)s MB; split it or ask an administrator to raise the limit.")
EMPTY = N_("The file is empty.")
HEADER_ONLY = N_("The file has a header row but no data rows.")
NOT_TEXT = N_("The file is not a CSV text file (it looks binary); export it from the ERP as CSV or XLSX.")
NOT_EXCEL = N_("The file is not a readable Excel workbook.")
UNSAFE = N_("The Excel file was refused as unsafe: %(reason)s.")
ENCODING = N_("The file is neither UTF-8 nor Windows-1251 text.")
NO_SHEET = N_("The workbook has no sheet with data.")


@dataclass
class Table:
    """The header row (texts) and an iterator over the data rows (cells as str, or date/number from Excel)."""

    kind: str  # csv | xlsx
    headers: list[str]
    rows: Iterator[list[Any]]
    size: int = 0
    details: dict[str, str] = field(default_factory=dict)


def check_size(size: int) -> None:
    limit = max_bytes()
    if size > limit:
        raise FileRejected(TOO_BIG, limit=limit // (1024 * 1024))


def cell_text(value: Any) -> str:
    """A cell as text: whole floats without ``.0`` (codes and INNs typed as numbers), dates in ISO."""
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e17 else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def read_table(content: bytes, file_name: str = "") -> Table:
    check_size(len(content))
    if not content.strip():
        raise FileRejected(EMPTY)
    head = content[:8]
    suffix = os.path.splitext(file_name.lower())[1]
    if head.startswith(XLSX_MAGIC):
        table = _read_xlsx(content)
    elif head.startswith(OLE_MAGIC):
        table = _read_calamine(content, "xls")
    elif suffix in (".xlsx", ".xls"):
        raise FileRejected(NOT_EXCEL)
    else:
        table = _read_csv(content)
    table.size = len(content)
    return table


def _read_xlsx(content: bytes) -> Table:
    try:
        check_xlsx(content)
    except UnsafeUpload as exc:
        raise FileRejected(UNSAFE, reason=str(exc)) from None
    return _read_calamine(content, "xlsx")


def _read_calamine(content: bytes, kind: str) -> Table:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(content))
        if not book.sheet_names:
            raise FileRejected(NO_SHEET)
        sheet = book.get_sheet_by_index(0)
        rows = iter(sheet.iter_rows())
        headers = _first_row(rows)
    except FileRejected:
        raise
    except Exception:  # calamine raises its own error types for broken parts
        raise FileRejected(NOT_EXCEL) from None
    return Table(kind=kind, headers=[cell_text(v) for v in headers], rows=_non_empty(rows))


def _first_row(rows: Iterator[list[Any]]) -> list[Any]:
    for row in rows:
        if any(cell_text(v) for v in row):
            return row
    raise FileRejected(EMPTY)


def _non_empty(rows: Iterator[list[Any]]) -> Iterator[list[Any]]:
    for row in rows:
        if any(v not in ("", None) for v in row):
            yield row


def _decode(content: bytes) -> str:
    sniff = content[:SNIFF]
    if b"\x00" in sniff:
        raise FileRejected(NOT_TEXT)
    if content.startswith(BOM):
        content = content[len(BOM) :]
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = content.decode("cp1251")
        except UnicodeDecodeError:
            raise FileRejected(ENCODING) from None
    sample = text[:SNIFF]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\r\n\t")
    if controls > max(2, len(sample) // 200):
        raise FileRejected(NOT_TEXT)
    return text


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ";"


def _read_csv(content: bytes) -> Table:
    text = _decode(content)
    stream = io.StringIO(text, newline="")
    first = text[: text.find("\n")] if "\n" in text else text
    reader = csv.reader(stream, delimiter=_delimiter(first))
    try:
        headers = _first_row(reader)
    except csv.Error:
        raise FileRejected(NOT_TEXT) from None
    return Table(kind="csv", headers=[h.strip().lstrip("\ufeff") for h in headers], rows=_csv_rows(reader))


def _csv_rows(reader: Any) -> Iterator[list[Any]]:
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                yield row
    except csv.Error:
        raise FileRejected(NOT_TEXT) from None
