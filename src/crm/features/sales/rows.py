"""One data row of an ERP file checked and typed, or rejected with a reason (a code with the offending value)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from crm.features.sales.reading import cell_text
from crm.lib.i18n import N_

REASONS = {
    "date_missing": N_("no date"),
    "date_invalid": N_("the date %(value)s does not exist or is not DD.MM.YYYY / YYYY-MM-DD"),
    "invoice_missing": N_("no invoice number"),
    "client_missing": N_("no client code, INN or name"),
    "amount_missing": N_("no amount"),
    "amount_invalid": N_("the amount %(value)s is not a number"),
    "quantity_invalid": N_("the quantity %(value)s is not a number"),
    "too_long": N_("a value is longer than 500 characters"),
}
MAX_TEXT = 500

_DOTTED = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][0-9:.+Z-]*)?$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_SEPARATORS = str.maketrans("", "", " \u00a0\u202f\u2009'")
# the usual ERP amount once the thousands separators are gone: digits, a decimal comma, digits (what the general
# rules below would turn into the same text with a point)
_COMMA_DECIMAL = re.compile(r"^0*\d{1,13},\d*$")
DAY_CACHE = 50_000  # distinct date texts remembered per file (a file spans a few hundred days)


class Rejected(Exception):
    def __init__(self, code: str, value: str = "") -> None:
        super().__init__(code)
        self.code, self.value = code, value[:200]


def parse_day(value: Any) -> date:
    if type(value) is str and len(value) == 10 and value[2] == "." and value[5] == ".":  # the usual DD.MM.YYYY
        try:
            return date(int(value[6:]), int(value[3:5]), int(value[:2]))
        except ValueError:
            pass
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = cell_text(value)
    if not text:
        raise Rejected("date_missing")
    match = _DOTTED.match(text)
    try:
        if match:
            return date(int(match[3]), int(match[2]), int(match[1]))
        match = _ISO.match(text)
        if match:
            return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        pass
    raise Rejected("date_invalid", text)


def number_text(value: Any, code: str) -> str:
    """A number written the ERP's way, as plain digits with a point (what PostgreSQL's numeric reads): decimal
    comma or point, spaces or no-break spaces between thousands; with both a comma and a point the last one is the
    decimal mark. Below 10^13 in size; raises ``Rejected``."""
    if type(value) is str:
        raw = value.strip()
        if raw.isdigit() and len(raw) <= 13:  # the usual whole number
            return raw
    elif isinstance(value, bool):
        raise Rejected(code, str(value))
    elif isinstance(value, (int, float)):
        if not abs(value) < 1e13 or value != value:
            raise Rejected(code, str(value))
        return str(value) if isinstance(value, int) else repr(value)
    else:
        raw = cell_text(value)
    text = raw.translate(_SEPARATORS)
    if _COMMA_DECIMAL.match(text):
        return text.replace(",", ".")
    text = text.replace("\u2212", "-")
    commas, points = text.count(","), text.count(".")
    if commas and points:
        mark = "," if text.rfind(",") > text.rfind(".") else "."
        other = "." if mark == "," else ","
        text = text.replace(other, "").replace(mark, ".")
    elif commas == 1:
        text = text.replace(",", ".")
    elif commas > 1:
        text = text.replace(",", "")
    elif points > 1:
        text = text.replace(".", "")
    if not _NUMBER.match(text) or len(text.lstrip("+-").split(".")[0].lstrip("0")) > 13:
        raise Rejected(code, raw)
    return text


def parse_number(value: Any, code: str) -> Decimal:
    """``number_text`` as a Decimal."""
    return Decimal(number_text(value, code))


def name_key(name: str) -> str:
    return " ".join(name.lower().split())


FIELD_ORDER = ("date", "invoice", "client_code", "client_name", "client_inn", "family", "product", "quantity",
               "amount", "salesperson")  # fmt: skip
Checked = tuple[date, str, str, str, str, str, str, str, str, str]


def checker(mapping: dict[str, int]) -> Callable[[list[Any]], Checked]:
    """A function checking one row of a file with this column mapping: (day, invoice, product, family, quantity,
    amount, salesperson, client_code, client_inn, client_name); raises ``Rejected``. Compiled once per file: the
    column positions are bound and the common cells (plain strings) take the short way."""
    get = mapping.get
    i_date, i_invoice, i_code, i_name, i_inn = (get(f, -1) for f in FIELD_ORDER[:5])
    i_family, i_product, i_quantity, i_amount, i_person = (get(f, -1) for f in FIELD_ORDER[5:])

    def cell(row: list[Any], index: int) -> str:
        if index < 0 or index >= len(row):
            return ""
        value = row[index]
        text = value.strip() if type(value) is str else cell_text(value)
        if len(text) > MAX_TEXT:
            raise Rejected("too_long")
        return text

    days: dict[str, date] = {}  # date text → day: a file has a few hundred distinct dates

    def check(row: list[Any]) -> Checked:
        invoice = cell(row, i_invoice)
        client_code = cell(row, i_code)
        client_inn = cell(row, i_inn)
        client_name = cell(row, i_name)
        if "  " in client_name:
            client_name = " ".join(client_name.split())
        salesperson = cell(row, i_person)
        if "  " in salesperson:
            salesperson = " ".join(salesperson.split())
        raw_day = row[i_date] if 0 <= i_date < len(row) else ""
        day = days.get(raw_day) if type(raw_day) is str else None
        if day is None:
            day = parse_day(raw_day)
            if type(raw_day) is str and len(days) < DAY_CACHE:
                days[raw_day] = day
        if not invoice:
            raise Rejected("invoice_missing")
        if not (client_code or client_inn or client_name):
            raise Rejected("client_missing")
        raw = row[i_amount] if 0 <= i_amount < len(row) else ""
        if raw is None or raw == "" or (type(raw) is str and not raw.strip()):
            raise Rejected("amount_missing")
        amount = number_text(raw, "amount_invalid")
        raw = row[i_quantity] if 0 <= i_quantity < len(row) else ""
        if raw is None or raw == "" or (type(raw) is str and not raw.strip()):
            quantity = "0"
        else:
            quantity = number_text(raw, "quantity_invalid")
        return (day, invoice, cell(row, i_product), cell(row, i_family), quantity, amount, salesperson,
                client_code, client_inn, client_name)  # fmt: skip

    return check


def check_row(row: list[Any], mapping: dict[str, int]) -> Checked:
    """One row checked (see ``checker``); for tests and single rows."""
    return checker(mapping)(row)
