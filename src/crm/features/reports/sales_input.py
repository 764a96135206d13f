"""Won deals from a CSV or XLSX file for ``crm report sales --input``: columns closed_at, amount, manager, source,
type (names mapped by the command's options); CSV in UTF-8 or Windows-1251, ``;`` or ``,``, decimal comma,
DD.MM.YYYY or ISO dates; XLSX values (never formulas). Bad input stops with a message naming the column or row."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from crm.features.reports.sales import SaleRow, local_day

REQUIRED = ("closed_at", "amount")
OPTIONAL = ("manager", "source", "type")
DATE_FORMATS = ("%d.%m.%Y", "%d.%m.%Y %H:%M", "%d.%m.%Y %H:%M:%S", "%d.%m.%y", "%d/%m/%Y")


class SalesInputError(ValueError):
    """The file cannot be read as sales; the message names the column or the row."""


@dataclass(frozen=True)
class Columns:
    """The file's header for each of the report's columns; an explicitly named one must exist."""

    closed_at: str = "closed_at"
    amount: str = "amount"
    manager: str = "manager"
    source: str = "source"
    type: str = "type"
    explicit: frozenset[str] = frozenset()


def read_sales(path: str | Path, columns: Columns, zone: tzinfo) -> list[SaleRow]:
    path = Path(path)
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise SalesInputError(f"cannot read {path}: {exc.strerror or exc}") from None
    if not content.strip():
        raise SalesInputError(f"{path} is empty")
    table = _xlsx_rows(content, path) if content[:2] == b"PK" else _csv_rows(content)
    return list(_sales(table, columns, zone))


def _csv_rows(content: bytes) -> Iterator[list[Any]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("cp1251", errors="strict") if _cp1251(content) else ""
        if not text:
            raise SalesInputError("the file is neither UTF-8 nor Windows-1251 text") from None
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") and ";" in first else ","
    yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)


def _cp1251(content: bytes) -> bool:
    try:
        content.decode("cp1251")
    except UnicodeDecodeError:
        return False
    return True


def _xlsx_rows(content: bytes, path: Path) -> Iterator[list[Any]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise SalesInputError(f"{path.name} is not a readable XLSX workbook ({exc})") from None
    try:
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield list(row)
    finally:
        workbook.close()


def _sales(table: Iterator[list[Any]], columns: Columns, zone: tzinfo) -> Iterator[SaleRow]:
    header = next(table, None)
    if not header:
        raise SalesInputError("the file has no header row")
    names = {str(h).strip().lstrip("\ufeff").casefold(): i for i, h in enumerate(header) if h is not None}
    index: dict[str, int | None] = {}
    for key in (*REQUIRED, *OPTIONAL):
        name = getattr(columns, key)
        found = names.get(name.strip().casefold())
        if found is None and (key in REQUIRED or key in columns.explicit):
            present = ", ".join(str(h) for h in header if h not in (None, "")) or "none"
            raise SalesInputError(f'column "{name}" ({key}) is missing; the file has: {present}')
        index[key] = found
    for number, row in enumerate(table, start=2):
        if not any(v not in (None, "") and str(v).strip() for v in row):
            continue

        def cell(key: str, row: list[Any] = row) -> Any:
            i = index[key]
            return row[i] if i is not None and i < len(row) else None

        closed = parse_day(cell("closed_at"), zone)
        if closed is None:
            raise SalesInputError(
                f'row {number}: "{cell("closed_at")}" in column "{columns.closed_at}" is not a date '
                "(DD.MM.YYYY or YYYY-MM-DD)"
            )
        amount = parse_amount(cell("amount"))
        if amount is None:
            raise SalesInputError(f'row {number}: "{cell("amount")}" in column "{columns.amount}" is not an amount')
        yield SaleRow(
            closed_on=closed,
            amount=amount,
            manager=_text(cell("manager")),
            source=_text(cell("source")),
            type=_text(cell("type")),
        )


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def parse_day(value: Any, zone: tzinfo) -> date | None:
    """A date or a moment (naive = the organisation's local time, so 00:00:00 stays on its day)."""
    if isinstance(value, datetime | date):
        return local_day(value, zone)
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    # the two shapes of nearly every export first (a million rows: strptime's failed attempts cost 40 µs a row)
    if len(text) >= 10 and text[4] == "-" and text[:4].isdigit():
        try:
            return local_day(datetime.fromisoformat(text.replace("Z", "+00:00")), zone)
        except ValueError:
            pass
    elif len(text) == 10 and text[2] == "." and text[5] == ".":
        try:
            return date(int(text[6:]), int(text[3:5]), int(text[:2]))
        except ValueError:
            return None
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            pass
    try:
        return local_day(datetime.fromisoformat(text.replace("Z", "+00:00")), zone)
    except ValueError:
        return None


def parse_amount(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(str(value))
    if value is None:
        return None
    text = re.sub(r"[\s\u00a0\u202f₽]|руб\.?|RUB", "", str(value), flags=re.IGNORECASE)
    if "," in text and "." in text:
        text = text.replace(",", "")  # 1,234.50
    text = text.replace(",", ".")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None
