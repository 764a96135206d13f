"""Shared pieces of the emulator: errors, tables, faults, PHP's JSON quirks."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any

PAGE = 50


class RestError(Exception):
    def __init__(self, status: int, code: str, description: str, **extra: Any) -> None:
        super().__init__(code)
        self.status, self.code, self.description, self.extra = status, code, description, extra

    def body(self) -> dict[str, Any]:
        return {"error": self.code, "error_description": self.description, **self.extra}


def NOT_FOUND() -> RestError:
    return RestError(400, "", "Not found")


@dataclass
class Table:
    key: str = "ID"
    rows: dict[int, dict[str, Any]] = field(default_factory=dict)
    ids: list[int] = field(default_factory=list)

    def put(self, row: dict[str, Any]) -> None:
        k = int(row[self.key])
        if k not in self.rows:
            bisect.insort(self.ids, k)
        self.rows[k] = row

    def remove(self, k: int) -> dict[str, Any] | None:
        row = self.rows.pop(k, None)
        if row is not None:
            i = bisect.bisect_left(self.ids, k)
            if i < len(self.ids) and self.ids[i] == k:
                self.ids.pop(i)
        return row


@dataclass
class Fault:
    kind: str  # 400 503 429 500 502 slow timeout drop expired_token
    method: str | None = None
    remaining: int = 1
    delay: float = 0.0
    skip: int = 0  # matching requests let through first


# entity → (table, event prefix, date-modify field)
CRM_ENTITIES = {
    "company": ("companies", "ONCRMCOMPANY", "DATE_MODIFY"),
    "deal": ("deals", "ONCRMDEAL", "DATE_MODIFY"),
    "contact": ("contacts", "ONCRMCONTACT", "DATE_MODIFY"),
    "lead": ("leads", "ONCRMLEAD", "DATE_MODIFY"),
    "activity": ("activities", "ONCRMACTIVITY", "LAST_UPDATED"),
}
METHOD_SCOPES = {
    "crm": "crm",
    "user": "user",
    "department": "department",
    "voximplant": "telephony",
    "im": "im",
    "disk": "disk",
    "log": "log",
}


def php_map(d: dict[str, Any]) -> Any:
    """PHP's JSON: an empty array is ``[]``; keys "0".."n-1" make a list."""
    if not d:
        return []
    keys = list(d)
    if all(k.isdigit() for k in keys) and [int(k) for k in keys] == list(range(len(keys))):
        return [d[k] for k in keys]
    return d


def _start(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _sort_key(value: Any) -> Any:
    try:
        return (0, float(value), "")
    except (TypeError, ValueError):
        return (1, 0.0, str(value))
