"""CSV and XLSX of any list: exactly the filtered rows, with spreadsheet formulas neutralised."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from litestar import Response
from openpyxl import Workbook

from crm.lib.i18n import local_tz

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\0")
XLSX_MEDIA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class ExportColumn:
    label: str
    value: Callable[[Any], Any]


def neutralise(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe (OWASP CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(local_tz()).replace(tzinfo=None)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return ""
    if isinstance(value, (int, float, Decimal, date)):
        return value
    return neutralise(str(value))


def csv_bytes(
    rows: Iterable[Any], columns: Sequence[ExportColumn], *, delimiter: str = ",", decimal_comma: bool = False
) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([neutralise(c.label) for c in columns])
    for row in rows:
        out = []
        for column in columns:
            value = _cell(column.value(row))
            if isinstance(value, datetime):
                value = value.strftime("%Y-%m-%d %H:%M")
            elif isinstance(value, Decimal | float) and decimal_comma:
                value = str(value).replace(".", ",")
            out.append(value)
        writer.writerow(out)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def xlsx_bytes(rows: Iterable[Any], columns: Sequence[ExportColumn], title: str = "Sheet") -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=re.sub(r"[\[\]:*?/\\]", " ", title)[:31] or "Sheet")
    sheet.append([c.label for c in columns])
    for row in rows:
        sheet.append([_cell(c.value(row)) for c in columns])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def safe_filename(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "export"


def export_response(rows: Iterable[Any], columns: Sequence[ExportColumn], name: str, fmt: str) -> Response[bytes]:
    filename = safe_filename(name)
    if fmt == "xlsx":
        body, media, ext = xlsx_bytes(rows, columns, title=name), XLSX_MEDIA, "xlsx"
    else:
        body, media, ext = csv_bytes(rows, columns), "text/csv", "csv"  # Litestar adds "; charset=utf-8"
    return Response(
        content=body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{filename}.{ext}"'},
    )
