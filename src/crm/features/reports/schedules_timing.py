"""When a scheduled report runs next: daily at HH:MM, weekly on a weekday, monthly on a day (31 → the last day of
shorter months), as wall-clock times of the organisation's zone. DST-safe: a time that does not exist on the day
clocks spring forward runs at the same instant as the hour before the jump plus the gap (02:30 → 03:30); a time
that happens twice when they fall back runs once, at its first occurrence."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

FREQUENCIES = ("daily", "weekly", "monthly")
# the sales report's periods a schedule can name (``sales.parse_period`` understands each)
PERIOD_KINDS = ("yesterday", "today", "last-week", "week", "last-month", "month", "last-quarter", "quarter")


@dataclass(frozen=True)
class Timing:
    frequency: str
    hour: int
    minute: int
    weekday: int | None = None  # 0 = Monday
    month_day: int | None = None  # 1..31

    def runs_on(self, day: date) -> bool:
        if self.frequency == "daily":
            return True
        if self.frequency == "weekly":
            return day.weekday() == self.weekday
        last = calendar.monthrange(day.year, day.month)[1]
        return day.day == min(self.month_day or 1, last)


def next_run(timing: Timing, zone: tzinfo, after: datetime) -> datetime:
    """The first run strictly after ``after`` (an aware instant), as an aware UTC instant."""
    if after.tzinfo is None:
        raise ValueError("after must be aware")
    day = after.astimezone(zone).date() - timedelta(days=1)  # a gap day may put the instant before local midnight
    for _ in range(400):
        if timing.runs_on(day):
            local = datetime.combine(day, time(timing.hour, timing.minute), tzinfo=zone)  # fold=0: the first
            moment = local.astimezone(UTC)
            if moment > after:
                return moment
        day += timedelta(days=1)
    raise ValueError(f"no run within 400 days for {timing}")  # pragma: no cover - every timing has one
