"""The working-day calendar: filled from the Russian production calendar, edited by hand, counted everywhere."""

from __future__ import annotations

import calendar as pycal
from datetime import date, timedelta
from functools import lru_cache

import holidays
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts import services as accounts
from crm.features.accounts.models import User
from crm.features.calendar.models import CalendarDay

MIN_YEAR, MAX_YEAR = 2000, 2100


def default_year(year: int) -> list[dict[str, object]]:
    """Weekends and the official RU holidays (with their transfers, as the `holidays` package knows them)."""
    ru = holidays.country_holidays("RU", years=year, language="en_US")
    days = []
    current = date(year, 1, 1)
    while current.year == year:
        name = ru.get(current)
        days.append(
            {
                "day": current,
                "is_working": current.weekday() < 5 and name is None,
                "holiday_name": name,
                "edited": False,
            }
        )
        current += timedelta(days=1)
    return days


@lru_cache(maxsize=32)
def holiday_names(year: int, locale: str) -> dict[date, str]:
    """The official holidays of a year named in the reader's language (the stored name is English)."""
    language = "ru" if locale == "ru" else "en_US"
    return dict(holidays.country_holidays("RU", years=year, language=language).items())


async def ensure_year(session: AsyncSession, year: int) -> None:
    """Fill a year once; days already present (maybe edited by hand) are kept."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(year)
    have = await session.scalar(
        select(func.count())
        .select_from(CalendarDay)
        .where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
    )
    if have == (366 if pycal.isleap(year) else 365):
        return
    stmt = insert(CalendarDay).values(default_year(year)).on_conflict_do_nothing(index_elements=["day"])
    await session.execute(stmt)


async def year_days(session: AsyncSession, year: int) -> dict[date, CalendarDay]:
    await ensure_year(session, year)
    rows = await session.scalars(
        select(CalendarDay).where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
    )
    return {row.day: row for row in rows}


async def toggle_day(session: AsyncSession, day: date, actor: User) -> CalendarDay:
    await ensure_year(session, day.year)
    row = await session.get(CalendarDay, day, with_for_update=True)
    assert row is not None
    row.is_working = not row.is_working
    row.edited = True
    await accounts.record(
        session,
        actor,
        "calendar",
        day.isoformat(),
        "toggle",
        {"is_working": [not row.is_working, row.is_working]},
        summary=day.isoformat(),
    )
    return row


async def is_working_day(session: AsyncSession, day: date) -> bool:
    await ensure_year(session, day.year)
    return bool(await session.scalar(select(CalendarDay.is_working).where(CalendarDay.day == day)))


async def working_days(session: AsyncSession, start: date, end: date) -> list[date]:
    """Working days in ``[start, end]`` (inclusive), in order."""
    for year in range(start.year, end.year + 1):
        await ensure_year(session, year)
    rows = await session.scalars(
        select(CalendarDay.day)
        .where(CalendarDay.day >= start, CalendarDay.day <= end, CalendarDay.is_working)
        .order_by(CalendarDay.day)
    )
    return list(rows)


def month_weeks(year: int, month: int) -> list[list[date | None]]:
    """Weeks of a month, Monday first, ``None`` outside the month."""
    return [
        [d if d.month == month else None for d in week] for week in pycal.Calendar(0).monthdatescalendar(year, month)
    ]
