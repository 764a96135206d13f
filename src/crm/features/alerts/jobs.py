"""Jobs of the alerts slice: the functions the worker runs and their cron schedule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from litestar_saq import CronJob
from sqlalchemy import delete

from crm.config import get_settings
from crm.features.alerts import services
from crm.features.alerts.exports import TASKS as EXPORT_TASKS
from crm.features.alerts.models import OperationFailure
from crm.features.system.settings import effective_smtp
from crm.lib import export_jobs
from crm.lib.i18n import local_today


async def send_daily_alerts(ctx: dict[str, Any]) -> str:
    """Every morning: the users who turned the daily mail on and have alerts get one mail each. Failure notices
    older than a month are dropped on the way (the bell shows a day of them)."""
    async with ctx["db"].get_session() as session:
        await session.execute(
            delete(OperationFailure).where(OperationFailure.first_at < datetime.now(UTC) - timedelta(days=30))
        )
        await session.commit()
        export_jobs.purge()  # exports past CRM_EXPORT_KEEP_HOURS
        smtp = await effective_smtp(session)
        if not smtp.configured:
            return "mail not configured"
        sent, failed = await services.send_daily(session, smtp, get_settings().base_url, local_today())
    return f"sent {sent}, failed {failed}"


TASKS: list[str] = ["crm.features.alerts.jobs.send_daily_alerts", *EXPORT_TASKS]
# 04:00 UTC is 07:00 in Moscow, before the working day
CRON: list[CronJob] = [
    CronJob(function="crm.features.alerts.jobs.send_daily_alerts", cron="0 4 * * *", timeout=600, retries=2)
]
