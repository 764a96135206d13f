"""Demo scheduled reports: yesterday's sales every morning into the archive (the administrator's), and last week's
every Monday for the head of sales by email (paused, so a demo sends no mail until someone switches it on). A first
run of the daily one is queued, so the archive has a report as soon as the worker runs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts.models import User
from crm.features.reports.models import ReportRun, ReportSchedule
from crm.features.reports.schedules import timing_of
from crm.features.reports.schedules_timing import next_run
from crm.lib.i18n import local_tz

DEMO: tuple[tuple[Any, ...], ...] = (
    # name, owner, period, frequency, weekday, destinations, active
    ("Продажи за вчера", "admin@example.com", "yesterday", "daily", None, [], True),
    (
        "Продажи за неделю — руководителю",
        "head@example.com",
        "last-week",
        "weekly",
        0,
        [{"kind": "email", "target": "head@example.com"}],
        False,
    ),
)


async def load(session: AsyncSession, scale: str = "small") -> list[str]:
    existing = set(await session.scalars(select(ReportSchedule.name)))
    now = datetime.now(UTC)
    added = 0
    for name, email, period, frequency, weekday, destinations, active in DEMO:
        owner = await session.scalar(select(User).where(User.email == email))
        if name in existing or owner is None:
            continue
        schedule = ReportSchedule(
            name=name,
            owner_id=owner.id,
            report="sales",
            params={"period": period, "pipeline_id": None, "field": None},
            frequency=frequency,
            hour=9,
            minute=0,
            weekday=weekday,
            destinations=destinations,
            telegram_token_enc="",
            active=active,
        )
        schedule.next_run_at = next_run(timing_of(schedule), local_tz(), now) if active else None
        schedule.zone = local_tz().key
        session.add(schedule)
        await session.flush()
        if active:
            session.add(ReportRun(schedule_id=schedule.id, scheduled_for=now, kind="manual", destinations=[], texts={}))
        added += 1
    await session.flush()
    return [f"Scheduled reports: {added} new (/reports/schedules)."]
