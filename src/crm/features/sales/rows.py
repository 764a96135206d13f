"""One data row of an ERP file checked and typed, or rejected with a reason (a code with the offending value)."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
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
AMOUNT_LIMIT = Decimal("1e13")
CENT = Decimal("0.01")
MILLI = Decimal("0.001")

_DOTTED = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][0-9:.+Z-]*)?$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_SEPARATORS = str.maketrans("", "", " \u00a0\u202f\u2009'")


class Rejected(Exception):
    def __init__(self, code: str, value: str = "") -> None:
        super().__init__(code)
        self.code, self.value = code, value[:200]


def parse_day(value: Any) -> date:
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


def parse_number(value: Any, code: str) -> Decimal:
    """A number written the ERP's way: decimal comma or point, spaces or no-break spaces between thousands; with
    both a comma and a point the last one is the decimal mark."""
    if isinstance(value, bool):
        raise Rejected(code, str(value))
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    text = cell_text(value).translate(_SEPARATORS).replace("\u2212", "-")
    raw = cell_text(value)
    if "," in text and "." in text:
        mark = "," if text.rfind(",") > text.rfind(".") else "."
        other = "." if mark == "," else ","
        text = text.replace(other, "").replace(mark, ".")
    elif text.count(",") == 1:
        text = text.replace(",", ".")
    elif text.count(",") > 1:
        text = text.replace(",", "")
    elif text.count(".") > 1:
        text = text.replace(".", "")
    if not _NUMBER.match(text):
        raise Rejected(code, raw)
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise Rejected(code, raw) from None
    if abs(number) >= AMOUNT_LIMIT:
        raise Rejected(code, raw)
    return number


def _text(row: list[Any], index: int | None) -> str:
    if index is None or index >= len(row):
        return ""
    text = cell_text(row[index])
    if len(text) > MAX_TEXT:
        raise Rejected("too_long")
    return text


def name_key(name: str) -> str:
    return " ".join(name.lower().split())


def check_row(row: list[Any], mapping: dict[str, int], row_no: int, line_no: int) -> tuple[Any, ...]:
    """The staging record of a row: (row_no, day, invoice, product, line_no, family, quantity, amount, salesperson,
    client_code, client_inn, client_name, name_key); raises ``Rejected``."""
    get = mapping.get
    invoice = _text(row, get("invoice"))
    client_code = _text(row, get("client_code"))
    client_inn = _text(row, get("client_inn"))
    client_name = " ".join(_text(row, get("client_name")).split())
    product = _text(row, get("product"))
    family = _text(row, get("family"))
    salesperson = " ".join(_text(row, get("salesperson")).split())
    date_index = get("date")
    day = parse_day(row[date_index] if date_index is not None and date_index < len(row) else "")
    if not invoice:
        raise Rejected("invoice_missing")
    if not (client_code or client_inn or client_name):
        raise Rejected("client_missing")
    amount_index = get("amount")
    raw_amount = row[amount_index] if amount_index is not None and amount_index < len(row) else ""
    if cell_text(raw_amount) == "":
        raise Rejected("amount_missing")
    amount = parse_number(raw_amount, "amount_invalid").quantize(CENT, ROUND_HALF_UP)
    quantity_index = get("quantity")
    raw_quantity = row[quantity_index] if quantity_index is not None and quantity_index < len(row) else ""
    quantity = (
        parse_number(raw_quantity, "quantity_invalid").quantize(MILLI, ROUND_HALF_UP)
        if cell_text(raw_quantity)
        else Decimal(0)
    )
    return (
        row_no,
        day,
        invoice,
        product,
        line_no,
        family,
        quantity,
        amount,
        salesperson,
        client_code,
        client_inn,
        client_name,
        name_key(client_name),
    )
