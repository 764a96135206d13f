"""Filters of the client-communication report: what each URL (and API) parameter means, read with a 422 naming
the parameter for a value that makes no sense (never a 500, never silently ignored)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from litestar.exceptions import ValidationException

from crm.lib.lists import yes_no_all
from crm.lib.web import parse_int


@dataclass
class CommFilter:
    """What a person may filter by; every field has the URL parameter of the same meaning (see ``PARAMS``)."""

    inn: str = ""
    q: str = ""
    responsible_ids: list[int] = field(default_factory=list)
    department_id: int | None = None
    turnover_from: Decimal | None = None
    turnover_to: Decimal | None = None
    employees_from: int | None = None
    employees_to: int | None = None
    industry: str = ""
    region: str = ""
    pipeline_id: int | None = None
    has_active: bool | None = None
    last_before: date | None = None
    last_after: date | None = None
    stale: bool = False

    @property
    def in_use(self) -> int:
        """How many of the filters behind "More filters" are set (the bar says so when it is closed)."""
        return sum(
            bool(v)
            for v in (
                self.responsible_ids,
                self.department_id,
                self.turnover_from is not None or self.turnover_to is not None,
                self.employees_from is not None or self.employees_to is not None,
                self.industry,
                self.region,
                self.pipeline_id is not None,
                self.has_active is not None,
                self.last_before or self.last_after,
            )
        )


PARAMS = (
    "inn",
    "q",
    "responsible",
    "department",
    "turnover_from",
    "turnover_to",
    "employees_from",
    "employees_to",
    "industry",
    "region",
    "pipeline",
    "has_active",
    "last_before",
    "last_after",
    "stale",
    "sort",
)


def bad(name: str, message: str) -> ValidationException:
    """A 422 naming the parameter (the API answers ``{"detail", "errors": [{"field", "message"}]}``)."""
    return ValidationException(detail=f"{name}: {message}", extra=[{"key": name, "message": message}])


def _number(query: Mapping[str, Any], name: str) -> Decimal | None:
    raw = str(query.get(name) or "").strip().replace(" ", "").replace("\u00a0", "").replace(",", ".")
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise bad(name, "expected a number") from None
    if not value.is_finite() or value < 0 or value >= Decimal(10) ** 12:
        raise bad(name, "expected a number from 0 to 999999999999")
    return value


def _whole(query: Mapping[str, Any], name: str, hi: int = 10**9) -> int | None:
    raw = str(query.get(name) or "").strip()
    if not raw:
        return None
    value = parse_int(raw, 0, hi)
    if value is None:
        raise bad(name, f"expected a whole number from 0 to {hi}")
    return value


def _day(query: Mapping[str, Any], name: str) -> date | None:
    raw = str(query.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise bad(name, "expected a date YYYY-MM-DD") from None


def parse_filter(query: Any) -> CommFilter:
    """The filter from a query string (a MultiDict); a value that makes no sense is a 422 naming its parameter.
    ``responsible_id``, ``department_id`` and ``pipeline_id`` are accepted as other names of the same filters."""
    getall = getattr(query, "getall", None)
    raw_people = [*(getall("responsible", []) if getall else []), *(getall("responsible_id", []) if getall else [])]
    people: list[int] = []
    for raw in raw_people:
        text = str(raw).strip()
        if not text:
            continue
        value = parse_int(text, 1, 2**62)
        if value is None:
            raise bad("responsible", "expected employee ids")
        people.append(value)
    inn = str(query.get("inn") or "").strip()
    if inn and (not inn.isascii() or not inn.isdigit() or len(inn) > 12):
        raise bad("inn", "expected up to 12 digits")
    flt = CommFilter(
        inn=inn,
        q=str(query.get("q") or "").strip()[:200],
        responsible_ids=people,
        department_id=_whole(query, "department", 2**62) or _whole(query, "department_id", 2**62),
        turnover_from=_number(query, "turnover_from"),
        turnover_to=_number(query, "turnover_to"),
        employees_from=_whole(query, "employees_from"),
        employees_to=_whole(query, "employees_to"),
        industry=str(query.get("industry") or "").strip()[:64],
        region=str(query.get("region") or "").strip()[:255],
        pipeline_id=_whole(query, "pipeline", 2**62)
        if str(query.get("pipeline") or "").strip()
        else _whole(query, "pipeline_id", 2**62),
        has_active=yes_no_all("has_active", query.get("has_active")),
        last_before=_day(query, "last_before"),
        last_after=_day(query, "last_after"),
        stale=bool(yes_no_all("stale", query.get("stale"))),
    )
    for lo, hi in (("turnover_from", "turnover_to"), ("employees_from", "employees_to"), ("last_after", "last_before")):
        a, b = getattr(flt, lo), getattr(flt, hi)
        if a is not None and b is not None and a > b:
            raise bad(hi, f"must not be less than {lo}")
    return flt
