"""The sales report's rules (spec/reports.md "Sales report"): won deals of a period by manager, by source and by a
deal field, with sum, count, share and average, sorted by sum; the total; daily sums; the previous period of the
same length. One pure function from rows to the figures, shared by the screen, the API and ``crm report sales``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal

UNKNOWN = "unknown"
PERIODS = ("yesterday", "day", "week", "month", "quarter", "custom")
TREND_MIN_DAYS = 8  # a daily trend line for periods longer than a week
KOPECK = Decimal("0.01")


@dataclass(frozen=True)
class SaleRow:
    """A won deal as the report needs it: the local day it closed, its amount, who, where from, what kind."""

    closed_on: date
    amount: Decimal
    manager: str = ""
    manager_id: int | None = None
    source: str = ""
    fallback_source: str = ""
    type: str = ""
    count: int = 1  # deals this row stands for: a group summed in the database is one row
    # "" a deal (or a group) counted in every table; else the one table a partial sum counts in: "manager" (which
    # also makes the total), "source", "type" or "day"
    only: str = ""


@dataclass
class Line:
    """One row of a table: a manager, a source or a type."""

    name: str
    sum: Decimal = Decimal("0")
    count: int = 0
    id: int | None = None
    share: Decimal = Decimal("0")  # of the total sum, 0..1
    previous_sum: Decimal | None = None

    @property
    def unknown(self) -> bool:
        return self.name == UNKNOWN

    @property
    def average(self) -> Decimal:
        return money(self.sum / self.count) if self.count else Decimal("0")

    @property
    def change(self) -> Decimal | None:
        """Relative change against the previous period (0.25 = +25 %); None when there was nothing before."""
        if not self.previous_sum:
            return None
        return (self.sum - self.previous_sum) / self.previous_sum


@dataclass
class DayLine:
    date: date
    sum: Decimal = Decimal("0")
    count: int = 0


@dataclass
class Figures:
    day_from: date
    day_to: date
    total: Line
    by_manager: list[Line] = field(default_factory=list)
    by_source: list[Line] = field(default_factory=list)
    by_type: list[Line] = field(default_factory=list)
    by_day: list[DayLine] = field(default_factory=list)
    previous: Line | None = None
    previous_from: date | None = None
    previous_to: date | None = None

    @property
    def days(self) -> int:
        return (self.day_to - self.day_from).days + 1

    @property
    def trend(self) -> bool:
        """A daily trend line says something only for periods over a week."""
        return self.days >= TREND_MIN_DAYS

    @property
    def by_day_sorted(self) -> list[DayLine]:
        """Days by sum, descending (the API's order); ``by_day`` itself is in calendar order for the chart."""
        return sorted(self.by_day, key=lambda d: (-d.sum, d.date))


def money(value: Decimal) -> Decimal:
    return value.quantize(KOPECK, rounding=ROUND_HALF_UP)


def local_day(moment: datetime | date, zone: tzinfo) -> date:
    """The organisation's day of a closing moment: aware instants are converted to the zone; naive ones are local
    already, so a deal closed at 00:00:00 belongs to that day, not the one before."""
    if isinstance(moment, datetime):
        if moment.tzinfo is not None:
            moment = moment.astimezone(zone)
        return moment.date()
    return moment


def source_of(row: SaleRow) -> str:
    """UTM source, then the deal's own source, then "unknown"."""
    return (row.source or "").strip() or (row.fallback_source or "").strip() or UNKNOWN


def _sorted(lines: Iterable[Line], total: Decimal) -> list[Line]:
    result = sorted(lines, key=lambda x: (-x.sum, -x.count, x.unknown, x.name.casefold()))
    for line in result:
        line.share = line.sum / total if total else Decimal("0")
    return result


def aggregate(rows: Iterable[SaleRow], day_from: date, day_to: date) -> Figures:
    """The figures of won deals closed on the days ``day_from``..``day_to`` (inclusive); other rows are ignored.

    A row is a deal, or a group of ``count`` deals summed elsewhere (the database): a group with ``only`` set counts
    in that table alone, dated by any day of its period (the period's first), so that sums by manager, by source,
    by type and by day can come as separate groups and still meet the same rules here."""
    total = Line(name="total")
    managers: dict[tuple[int | None, str], Line] = {}
    sources: dict[str, Line] = {}
    types: dict[str, Line] = {}
    days = {
        day_from + timedelta(days=i): DayLine(day_from + timedelta(days=i)) for i in range((day_to - day_from).days + 1)
    }
    for row in rows:
        if not day_from <= row.closed_on <= day_to:
            continue
        amount, count, only = row.amount or Decimal("0"), row.count, row.only
        targets: tuple[Line | DayLine, ...] = ()
        if only in ("", "manager"):
            name = (row.manager or "").strip()
            key = (row.manager_id, name) if name else (None, UNKNOWN)
            targets += (managers.get(key) or managers.setdefault(key, Line(name=key[1], id=key[0])), total)
        if only in ("", "source"):
            source = source_of(row)
            targets += (sources.get(source) or sources.setdefault(source, Line(name=source)),)
        if only in ("", "type"):
            kind = (row.type or "").strip() or UNKNOWN
            targets += (types.get(kind) or types.setdefault(kind, Line(name=kind)),)
        if only in ("", "day"):
            targets += (days[row.closed_on],)
        for line in targets:
            line.sum += amount
            line.count += count
    total.share = Decimal("1") if total.sum else Decimal("0")
    return Figures(
        day_from=day_from,
        day_to=day_to,
        total=total,
        by_manager=_sorted(managers.values(), total.sum),
        by_source=_sorted(sources.values(), total.sum),
        by_type=_sorted(types.values(), total.sum),
        by_day=list(days.values()),
    )


def previous_period(day_from: date, day_to: date) -> tuple[date, date]:
    """The period of the same length right before."""
    length = (day_to - day_from).days + 1
    return day_from - timedelta(days=length), day_from - timedelta(days=1)


def report(rows: Iterable[SaleRow], day_from: date, day_to: date, compare: bool = True) -> Figures:
    """``aggregate`` of the period, each line and the total carrying the previous period's sum when ``compare``
    (the rows may then span both periods)."""
    rows = list(rows)
    figures = aggregate(rows, day_from, day_to)
    if not compare:
        return figures
    prev_from, prev_to = previous_period(day_from, day_to)
    before = aggregate(rows, prev_from, prev_to)
    figures.previous, figures.previous_from, figures.previous_to = before.total, prev_from, prev_to
    figures.total.previous_sum = before.total.sum
    for current, old in (
        (figures.by_manager, before.by_manager),
        (figures.by_source, before.by_source),
        (figures.by_type, before.by_type),
    ):
        sums = {(x.id, x.name): x.sum for x in old}
        for line in current:
            line.previous_sum = sums.get((line.id, line.name), Decimal("0"))
    return figures


# --------------------------------------------------------------------------- periods


def period_range(kind: str, anchor: date, today: date) -> tuple[date, date]:
    """Days of a named period around ``anchor``: the day, its ISO week, month or quarter; yesterday of ``today``."""
    if kind == "yesterday":
        day = today - timedelta(days=1)
        return day, day
    if kind == "day":
        return anchor, anchor
    if kind == "week":
        start = anchor - timedelta(days=anchor.weekday())
        return start, start + timedelta(days=6)
    if kind == "month":
        start = anchor.replace(day=1)
        return start, _next_month(start) - timedelta(days=1)
    if kind == "quarter":
        start = date(anchor.year, 3 * ((anchor.month - 1) // 3) + 1, 1)
        end = _next_month(_next_month(_next_month(start)))
        return start, end - timedelta(days=1)
    raise ValueError(f"unknown period {kind!r}")


def shift(kind: str, anchor: date, steps: int) -> date:
    """The anchor of the period ``steps`` periods away (the arrows of the screen)."""
    if kind in ("day", "yesterday"):
        return anchor + timedelta(days=steps)
    if kind == "week":
        return anchor + timedelta(weeks=steps)
    months = 3 if kind == "quarter" else 1
    month = anchor.year * 12 + anchor.month - 1 + months * steps
    return date(month // 12, month % 12 + 1, 1)


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def parse_period(text: str, today: date) -> tuple[date, date]:
    """The command line's ``--period``: yesterday, today, week, month, quarter (the current one), last-week,
    last-month, last-quarter, or one explicit: 2026-11-05, 2026-W45, 2026-11, 2026-Q4."""
    text = text.strip().lower()
    if text in ("yesterday",):
        return period_range("yesterday", today, today)
    if text in ("today", "day"):
        return today, today
    if text in ("week", "month", "quarter"):
        return period_range(text, today, today)
    if text.startswith("last-") and text[5:] in ("week", "month", "quarter"):
        kind = text[5:]
        return period_range(kind, shift(kind, period_range(kind, today, today)[0], -1), today)
    try:
        if "-w" in text:
            year, week = text.split("-w")
            return period_range("week", date.fromisocalendar(int(year), int(week), 1), today)
        if "-q" in text:
            year, quarter = text.split("-q")
            if not 1 <= int(quarter) <= 4:
                raise ValueError(text)
            return period_range("quarter", date(int(year), 3 * int(quarter) - 2, 1), today)
        if len(text) == 7:
            return period_range("month", date.fromisoformat(text + "-01"), today)
        day = date.fromisoformat(text)
        return day, day
    except ValueError:
        raise ValueError(
            f"unknown period {text!r}: use yesterday, today, week, month, quarter, last-week, last-month, "
            "last-quarter, or 2026-11-05, 2026-W45, 2026-11, 2026-Q4"
        ) from None
