"""Alerts of scheduled reports: runs of the last 7 days of a person's own schedules that were not delivered to
every destination (after the retries), with a link to the archive where the reasons are."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from crm.features.alerts.registry import Alert
from crm.features.reports.models import ReportRun, ReportSchedule
from crm.lib.i18n import gettext as _

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from crm.features.accounts.models import User

WINDOW = timedelta(days=7)
LIMIT = 20


async def alerts(session: AsyncSession, user: User) -> list[Alert]:
    rows = (
        await session.execute(
            select(
                ReportSchedule.id, ReportSchedule.name, ReportRun.status, ReportRun.finished_at, ReportRun.created_at
            )
            .join(ReportRun, ReportRun.schedule_id == ReportSchedule.id)
            .where(
                ReportSchedule.owner_id == user.id,
                ReportRun.status.in_(("failed", "partial")),
                ReportRun.created_at >= datetime.now(UTC) - WINDOW,
            )
            .order_by(ReportRun.id.desc())
            .limit(LIMIT)
        )
    ).all()
    return [
        Alert(
            kind="report_not_delivered",
            message=(
                _("Scheduled report %(name)s failed", name=r.name)
                if r.status == "failed"
                else _("Scheduled report %(name)s was not delivered everywhere", name=r.name)
            ),
            link=f"/reports/schedules/{r.id}/runs",
            created_at=r.finished_at or r.created_at,
        )
        for r in rows
    ]
