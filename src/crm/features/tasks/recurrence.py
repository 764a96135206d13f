"""Recurrence rules of tasks: one pure module (no database), so every rule is unit-tested.

A rule: ``freq`` daily|weekly|monthly, every ``interval`` days/weeks/months, weekly on chosen ``weekdays``
(0 = Monday … 6 = Sunday), monthly on ``month_day`` (1..31; a month without that day takes its last day), ending
``until`` a date or after ``count`` occurrences, optionally moved past days off. The next occurrence is the first
date after the previous one that the rule allows, at the same local time of day in the organisation's zone.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

FREQS = ("daily", "weekly", "monthly")
MAX_INTERVAL = 366
MAX_COUNT = 10_000
MAX_SKIP = 60  # days off in a row that may be skipped (a longer run means the calendar is wrong)


class RuleError(ValueError):
    """A rule that cannot be used; ``field`` names the part (``recurrence.freq`` …)."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name
        self.message = message


@dataclass(frozen=True)
class Rule:
    freq: str
    interval: int = 1
    weekdays: tuple[int, ...] = ()
    month_day: int | None = None
    until: date | None = None
    count: int | None = None
    skip_days_off: bool = False
    after_due: bool = False  # the next one also comes when the due date passes, done or not

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"freq": self.freq, "interval": self.interval}
        if self.weekdays:
            out["weekdays"] = list(self.weekdays)
        if self.month_day is not None:
            out["month_day"] = self.month_day
        if self.until is not None:
            out["until"] = self.until.isoformat()
        if self.count is not None:
            out["count"] = self.count
        out["skip_days_off"] = self.skip_days_off
        if self.after_due:
            out["after_due"] = True
        return out


def _int(raw: Any, name: str, lo: int, hi: int) -> int:
    if isinstance(raw, bool):
        raise RuleError(name, f"a whole number from {lo} to {hi}")
    if isinstance(raw, str) and raw.strip().isdigit():
        raw = int(raw.strip())
    if not isinstance(raw, int) or not lo <= raw <= hi:
        raise RuleError(name, f"a whole number from {lo} to {hi}")
    return raw


def parse(raw: Mapping[str, Any]) -> Rule:
    """A rule from the API's JSON (or the form's values); RuleError names the first bad part."""
    if not isinstance(raw, Mapping):
        raise RuleError("recurrence", "an object with freq, interval, weekdays, month_day, until, count")
    unknown = set(raw) - {"freq", "interval", "weekdays", "month_day", "until", "count", "skip_days_off", "after_due"}
    if unknown:
        raise RuleError(f"recurrence.{sorted(unknown)[0]}", "unknown field")
    freq = raw.get("freq")
    if freq not in FREQS:
        raise RuleError("recurrence.freq", "one of daily, weekly, monthly")
    interval_raw = raw.get("interval")
    interval = _int(1 if interval_raw in (None, "") else interval_raw, "recurrence.interval", 1, MAX_INTERVAL)
    weekdays: tuple[int, ...] = ()
    if raw.get("weekdays") not in (None, []):
        items = raw["weekdays"]
        if not isinstance(items, list | tuple):
            raise RuleError("recurrence.weekdays", "a list of weekdays 0 (Monday) to 6 (Sunday)")
        weekdays = tuple(sorted({_int(d, "recurrence.weekdays", 0, 6) for d in items}))
        if freq != "weekly":
            raise RuleError("recurrence.weekdays", "weekdays are for a weekly rule")
    month_day = None
    if raw.get("month_day") not in (None, ""):
        month_day = _int(raw["month_day"], "recurrence.month_day", 1, 31)
        if freq != "monthly":
            raise RuleError("recurrence.month_day", "a day of the month is for a monthly rule")
    until = None
    if raw.get("until") not in (None, ""):
        try:
            until = date.fromisoformat(str(raw["until"]))
        except ValueError:
            raise RuleError("recurrence.until", "a date YYYY-MM-DD") from None
        if not 2000 <= until.year <= 2100:
            raise RuleError("recurrence.until", "a date from 2000 to 2100")
    count = None
    if raw.get("count") not in (None, ""):
        count = _int(raw["count"], "recurrence.count", 1, MAX_COUNT)
    skip = _flag(raw, "skip_days_off")
    return Rule(freq, interval, weekdays, month_day, until, count, skip, _flag(raw, "after_due"))


def _flag(raw: Mapping[str, Any], name: str) -> bool:
    value = raw.get(name, False)
    if isinstance(value, str):
        words = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "": False}
        value = words.get(value.strip().lower(), value)
    if value is None:
        value = False
    if not isinstance(value, bool):
        raise RuleError(f"recurrence.{name}", "true or false")
    return value


def _clamped(year: int, month: int, day: int) -> date:
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def next_date(rule: Rule, previous: date, anchor: date) -> date:
    """The first date after ``previous`` the rule allows, counting intervals from ``anchor`` (the series' first
    date), before any move past days off."""
    if rule.freq == "daily":
        return previous + timedelta(days=rule.interval)
    if rule.freq == "weekly":
        days = set(rule.weekdays or (anchor.weekday(),))
        start = _monday(anchor)
        candidate = previous + timedelta(days=1)
        for _ in range(7 * rule.interval + 7):
            weeks = (_monday(candidate) - start).days // 7
            if candidate.weekday() in days and weeks % rule.interval == 0:
                return candidate
            candidate += timedelta(days=1)
        raise AssertionError("a weekly rule always has a next date")  # pragma: no cover
    day = rule.month_day or anchor.day
    year, month = previous.year, previous.month
    for _ in range(rule.interval * 2 + 2):
        months = (year - anchor.year) * 12 + (month - anchor.month)
        candidate = _clamped(year, month, day)
        if months % rule.interval == 0 and candidate > previous:
            return candidate
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    raise AssertionError("a monthly rule always has a next date")  # pragma: no cover


def past_days_off(day: date, is_working: Callable[[date], bool]) -> date:
    """The day itself when it is a working day, else the next working day."""
    for _ in range(MAX_SKIP):
        if is_working(day):
            return day
        day += timedelta(days=1)
    return day


def next_due(
    rule: Rule,
    previous_due: datetime,
    anchor_due: datetime,
    occurrence: int,
    tz: ZoneInfo,
    is_working: Callable[[date], bool] | None = None,
) -> datetime | None:
    """The due time (UTC) of occurrence ``occurrence + 1`` after the one due ``previous_due``: the next date the
    rule allows, moved past days off when asked, at the same local time of day as the series' first occurrence
    (a change of summer time in the zone keeps the clock time). None past ``count`` or ``until``."""
    if rule.count is not None and occurrence + 1 > rule.count:
        return None
    previous_local = previous_due.astimezone(tz)
    anchor_local = anchor_due.astimezone(tz)
    day = next_date(rule, previous_local.date(), anchor_local.date())
    if rule.skip_days_off and is_working is not None:
        day = past_days_off(day, is_working)
    if rule.until is not None and day > rule.until:
        return None
    local = datetime.combine(day, anchor_local.time().replace(tzinfo=None), tzinfo=tz)
    return local.astimezone(UTC)
