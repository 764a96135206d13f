"""Bitrix24 values arrive as strings ("37", "19999.99", "2024-09-09T02:00:00+02:00", "Y"); parse them here."""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any


def _empty(value: Any) -> bool:
    return value is None or value == "" or value is False


def as_int(value: Any) -> int | None:
    if _empty(value) or isinstance(value, (list, dict)):
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        try:
            return int(Decimal(str(value).strip()))
        except (InvalidOperation, ValueError):
            return None


def as_decimal(value: Any) -> Decimal | None:
    if _empty(value) or isinstance(value, (list, dict)):
        return None
    try:
        return Decimal(str(value).strip())
    except InvalidOperation:
        return None


def as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().upper() in {"Y", "1", "TRUE"}


def as_datetime(value: Any) -> datetime | None:
    """An ISO 8601 string with offset → an aware UTC datetime; naive strings are taken as UTC."""
    if _empty(value):
        return None
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, tz=UTC)
    text = str(value).strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def as_date(value: Any, tz: tzinfo | None = None) -> date | None:
    """Bitrix "date" fields come back as datetimes: the date part in the portal's zone (the offset given)."""
    if _empty(value):
        return None
    text = str(value).strip()
    try:
        parsed = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError:
        try:
            return date.fromisoformat(text[:10])
        except ValueError:
            return None
    if tz is not None and parsed.tzinfo is not None:
        parsed = parsed.astimezone(tz)
    return parsed.date()


def iso(value: datetime | date) -> str:
    """A filter value Bitrix reads without guessing the zone."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.isoformat(timespec="seconds")
    return value.isoformat()
