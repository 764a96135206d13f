"""What the worker records after each job: the outcome counters per job name (metrics, and the worker's heartbeat
for the health check) and, for a job that failed for good, the admins' notice (``failures``)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert

from crm.features.alerts import failures
from crm.features.alerts.models import JobStat
from crm.features.system.settings import effective_smtp

log = logging.getLogger("crm.worker")

FINAL_FAILURES = {"failed", "aborted"}
# jobs that catch their own errors and answer "failed" (the sync records the error on its run, a detail sheet on
# its sending, an import on its record) or "error: …" (the mailbox check, on the mailbox): a failure for good too
FAILED_RESULTS = ("failed", "error")


def outcome(status: str, result: Any) -> str:
    """The job's outcome for the counters: complete, failed, aborted, or retried (it will run again)."""
    if status in ("queued", "active"):
        return "retried"
    if status == "complete" and isinstance(result, str) and result.startswith(FAILED_RESULTS):
        return "failed"
    return status


async def after_job(sessions: Any, function: str, status: str, seconds: float, result: Any, error: str | None) -> None:
    """Counts the outcome; raises the admins' notice (mailed when new and mail is set up) for a failure of a kind
    people must know about. ``sessions``: the worker's SQLAlchemy config."""
    now = datetime.now(UTC)
    state = outcome(status, result)
    async with sessions.get_session() as session:
        stmt = insert(JobStat).values(job=function, status=state, count=1, seconds_sum=seconds, last_at=now)
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=[JobStat.job, JobStat.status],
                set_={
                    "count": JobStat.count + 1,
                    "seconds_sum": JobStat.seconds_sum + seconds,
                    "last_at": func.greatest(JobStat.last_at, now),
                },
            )
        )
        kind = failures.kind_of(function) if state in FINAL_FAILURES else None
        row, new = None, False
        if kind is not None:
            row, new = await failures.record(session, kind, function, failures.short_error(error), now)
        await session.commit()
        if row is not None and new:
            await failures.mail_admins(session, await effective_smtp(session), row)
            row.mailed = True
            await session.commit()
