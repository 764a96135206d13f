"""CSV and XLSX of any list: exactly the filtered rows, with spreadsheet formulas neutralised."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from litestar import Response
from openpyxl import Workbook

from crm.lib.i18n import get_locale, local_tz

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


def _csv_field(value: Any) -> str:
    """Text is quoted when it holds either separator (``,`` or ``;``), a quote or a line break, whichever the file
    uses: an importer that guesses the separator is not misled by the text."""
    text = str(value)
    if any(ch in text for ch in ',;"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def csv_bytes(
    rows: Iterable[Any], columns: Sequence[ExportColumn], *, delimiter: str = ",", decimal_comma: bool = False
) -> bytes:
    """UTF-8 with a byte-order mark (Excel reads it as UTF-8), CRLF line ends."""
    lines = [delimiter.join(_csv_field(neutralise(c.label)) for c in columns)]
    for row in rows:
        out = []
        for column in columns:
            value = _cell(column.value(row))
            if isinstance(value, datetime):
                value = value.strftime("%Y-%m-%d %H:%M")
            elif isinstance(value, Decimal | float):  # a number is never quoted: a spreadsheet reads it as a number
                out.append(str(value).replace(".", ",") if decimal_comma else str(value))
                continue
            out.append(_csv_field(value))
        lines.append(delimiter.join(out))
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def csv_dialect() -> dict[str, Any]:
    """The separators a spreadsheet of the user's language expects: ``;`` and a decimal comma in Russian."""
    if get_locale() == "ru":
        return {"delimiter": ";", "decimal_comma": True}
    return {"delimiter": ",", "decimal_comma": False}


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
        # Litestar adds "; charset=utf-8" to the media type.
        body, media, ext = csv_bytes(rows, columns, **csv_dialect()), "text/csv", "csv"
    return Response(
        content=body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{filename}.{ext}"'},
    )
