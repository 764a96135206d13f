"""The state of the running service read at request time from the database and the queue (so any web process sees
what the workers did): queue depth, the worker's heartbeat, the Bitrix24 sync lag and requests, the mailbox check,
the lead desk's unassigned queue, job outcomes and failed mail. Used by ``/metrics`` and ``/health?detail=1``."""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from litestar.connection import ASGIConnection
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.alerts.models import JobStat
from crm.features.clients.sync_models import SyncRun
from crm.lib.auth import client_address

log = logging.getLogger("crm.operations")

MAIL_JOBS = ("send_password_reset", "send_mail_test", "tariffs_send_detail", "send_daily_alerts", "report", "mail")
LOOPBACK = {"127.0.0.1", "::1", "localhost"}
ADMIN = "integrations.manage"


def metrics_token() -> str:
    return os.environ.get("CRM_METRICS_TOKEN", "").strip()


def has_metrics_token(connection: ASGIConnection) -> bool:
    token = metrics_token()
    given = connection.headers.get("authorization", "")
    return bool(token) and given.lower().startswith("bearer ") and hmac.compare_digest(given[7:].strip(), token)


def is_loopback(connection: ASGIConnection) -> bool:
    """A client on this machine itself, not a proxy forwarding someone else's request."""
    forwarded = any(connection.headers.get(h) for h in ("x-forwarded-for", "forwarded", "x-real-ip"))
    return not forwarded and client_address(connection) in LOOPBACK


def may_read_metrics(connection: ASGIConnection) -> bool:
    """CRM_METRICS_TOKEN set: only a request bearing it; unset: only loopback clients."""
    return has_metrics_token(connection) if metrics_token() else is_loopback(connection)


def may_read_detail(connection: ASGIConnection) -> bool:
    """The health check's detail: the metrics token, or an admin's bearer token (``/health`` has no session)."""
    user = connection.scope.get("user")
    return has_metrics_token(connection) or bool(user is not None and user.can(ADMIN))


@dataclass
class Snapshot:
    queue: dict[str, int] = field(default_factory=dict)  # queued, active
    heartbeat: datetime | None = None
    sync_last_success: datetime | None = None
    sync_running: int = 0
    bitrix24_requests_24h: int = 0
    mailbox: dict[str, Any] | None = None  # last_check_at, state; None when there is no mailbox
    unassigned_leads: int | None = None
    jobs: list[tuple[str, str, int, float]] = field(default_factory=list)  # job, status, count, seconds_sum
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def sync_lag_seconds(self) -> float | None:
        return (self.now - self.sync_last_success).total_seconds() if self.sync_last_success else None

    @property
    def mail_failed(self) -> int:
        return sum(n for job, status, n, _s in self.jobs if status == "failed" and _mail_job(job))


def _mail_job(job: str) -> bool:
    name = job.rsplit(".", 1)[-1]
    return any(part in name for part in MAIL_JOBS)


async def _optional(session: AsyncSession, sql: str) -> Any:
    """A row from another slice's table that may not exist yet (a release without it): None then."""
    try:
        async with session.begin_nested():
            return (await session.execute(text(sql))).first()
    except Exception:
        return None


async def queue_depth(queue: Any) -> dict[str, int]:
    result: dict[str, int] = {}
    if queue is None:
        return result
    for kind in ("queued", "active"):
        try:
            result[kind] = int(await asyncio.wait_for(queue.count(kind), timeout=3))
        except Exception:
            log.warning("queue count %s failed", kind)
    return result


async def snapshot(session: AsyncSession, queue: Any, *, jobs: bool = True) -> Snapshot:
    shot = Snapshot(queue=await queue_depth(queue))
    shot.heartbeat = await session.scalar(select(func.max(JobStat.last_at)))
    shot.sync_last_success = await session.scalar(
        select(func.max(SyncRun.finished_at)).where(SyncRun.status == "done", SyncRun.kind.in_(("incremental", "full")))
    )
    shot.sync_running = int(await session.scalar(select(func.count()).where(SyncRun.status == "running")) or 0)
    shot.bitrix24_requests_24h = int(
        await session.scalar(
            select(func.coalesce(func.sum(SyncRun.requests), 0)).where(
                SyncRun.created_at > func.now() - text("interval '24 hours'")
            )
        )
        or 0
    )
    row = await _optional(session, "SELECT last_check_at, last_state, enabled FROM sales_mailbox ORDER BY id LIMIT 1")
    if row is not None:
        shot.mailbox = {"last_check_at": row[0], "state": row[1] or "", "enabled": bool(row[2])}
    row = await _optional(session, "SELECT count(*) FROM lead_contacts WHERE status = 'open' AND operator_id IS NULL")
    shot.unassigned_leads = int(row[0]) if row is not None else None
    if jobs:
        rows = await session.execute(select(JobStat.job, JobStat.status, JobStat.count, JobStat.seconds_sum))
        shot.jobs = [(j, s, int(n), float(t)) for j, s, n, t in rows.all()]
    return shot


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


async def detail(session: AsyncSession, queue: Any) -> dict[str, Any]:
    """What ``/health?detail=1`` adds: queue depth, the worker's last heartbeat, the sync lag, the mailbox."""
    shot = await snapshot(session, queue, jobs=False)
    lag = shot.sync_lag_seconds
    mailbox = shot.mailbox
    return {
        "queue_depth": shot.queue,
        "worker_heartbeat": _iso(shot.heartbeat),
        "worker_heartbeat_age_seconds": round((shot.now - shot.heartbeat).total_seconds()) if shot.heartbeat else None,
        "sync_lag_seconds": round(lag) if lag is not None else None,
        "sync_running": shot.sync_running,
        "mailbox": None
        if mailbox is None
        else {"enabled": mailbox["enabled"], "last_check": _iso(mailbox["last_check_at"]), "state": mailbox["state"]},
        "lead_desk_unassigned": shot.unassigned_leads,
    }
