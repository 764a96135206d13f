"""Sync runs: create one, run it under a PostgreSQL advisory lock (one sync at a time), record the outcome."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.clients import figures
from crm.features.clients.connection import Connection, make_client, resolve
from crm.features.clients.engine import SessionFactory, Sync
from crm.features.clients.sync_models import SyncRun
from crm.integrations.bitrix24 import Bitrix24Client, Bitrix24Error
from crm.lib.i18n import N_

log = logging.getLogger("crm.sync")
LOCK_KEY = 0x6231_3234  # "b124"
KINDS = ("full", "incremental", "period", "reconcile", "rebuild")
JOB_NAMES = {
    "full": "bitrix24_run",
    "period": "bitrix24_run",
    "incremental": "bitrix24_run",
    "reconcile": "bitrix24_run",
    "rebuild": "bitrix24_run",
}


async def create_run(
    session: AsyncSession, kind: str, params: dict[str, Any] | None = None, user_id: uuid.UUID | None = None
) -> SyncRun:
    run = SyncRun(kind=kind, status="queued", params=params or {}, counts={}, progress={}, user_id=user_id)
    session.add(run)
    await session.flush()
    return run


async def latest_runs(session: AsyncSession, limit: int = 20) -> list[SyncRun]:
    return list((await session.scalars(select(SyncRun).order_by(SyncRun.id.desc()).limit(limit))).all())


async def enqueue(queue: Any, run: SyncRun) -> bool:
    """Hand a run to the worker; False when the queue is unreachable (the run is then marked failed)."""
    try:
        await queue.enqueue(
            JOB_NAMES[run.kind],
            run_id=run.id,
            timeout=6 * 3600 if run.kind == "full" else 1800,
            retries=1,
            key=f"bitrix24-run-{run.id}",
        )
    except Exception as exc:
        log.warning("sync: could not enqueue run %s: %s", run.id, type(exc).__name__)
        return False
    return True


async def execute(
    sessions: SessionFactory,
    run_id: int,
    client: Bitrix24Client | None = None,
    hook: Any = None,
    wait: float = 1800.0,
) -> SyncRun:
    """Run a queued run to its end. ``client`` may be given (tests, benchmark); else built from the settings."""
    async with sessions() as lock_session:
        # one sync at a time: a run asked for by a person waits its turn; the every-minute cron just skips
        deadline = time.monotonic() + wait
        while not (got := await lock_session.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": LOCK_KEY})):
            if time.monotonic() >= deadline:
                break
            await asyncio.sleep(min(2.0, max(0.05, deadline - time.monotonic())))
        try:
            return await _execute(sessions, run_id, client, hook, locked=bool(got))
        finally:
            if got:
                await lock_session.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
            await lock_session.commit()


async def _execute(
    sessions: SessionFactory, run_id: int, client: Bitrix24Client | None, hook: Any, locked: bool
) -> SyncRun:
    async with sessions() as session:
        run = await session.get(SyncRun, run_id)
        if run is None:
            raise LookupError(f"sync run {run_id} does not exist")
        if run.status in {"done", "failed", "skipped"}:
            return run
        if not locked:
            run.status, run.error, run.finished_at = "skipped", "Another sync is running.", datetime.now(UTC)
            await session.commit()
            return run
        conn = await resolve(session)
        await _tidy_runs(session, run_id)
        run.status, run.started_at, run.error = "running", datetime.now(UTC), ""
        await session.commit()
        kind, params = run.kind, dict(run.params)
    own_client = client is None
    if kind != "rebuild" and client is None:
        if not conn.configured:
            return await _finish(sessions, run_id, "failed", {}, 0, N_("Bitrix24 is not connected."))
        client = make_client(sessions, conn)
    sync = Sync(sessions, client, conn, run_id)  # type: ignore[arg-type]
    sync.before_clear = hook
    status, error = "done", ""
    try:
        await _perform(sync, sessions, conn, kind, params)
    except Bitrix24Error as exc:
        status, error = "failed", str(exc)
    except Exception as exc:
        status, error = "failed", f"{type(exc).__name__}: {str(exc)[:300]}"
        log.exception("sync run %s (%s) failed", run_id, kind)
        if hook is not None:
            raise
    finally:
        requests = client.requests if client is not None else 0
        if own_client and client is not None:
            await client.close()
    run = await _finish(sessions, run_id, status, dict(sync.counts), requests, error)
    log.info("sync run %s (%s): %s, %s requests, counts %s", run_id, kind, status, requests, dict(sync.counts))
    return run


async def _tidy_runs(session: AsyncSession, run_id: int) -> None:
    """Holding the sync lock: older runs still "running" are marked failed, old routine runs deleted."""
    # holding the lock, any other "running" run is a worker that died: say so instead of "running" forever
    await session.execute(
        update(SyncRun)
        .where(
            SyncRun.status.in_(("running", "queued")),
            SyncRun.id < run_id,
            SyncRun.started_at.is_not(None),
        )
        .values(
            status="failed",
            error="Interrupted: the worker stopped before the end.",
            finished_at=datetime.now(UTC),
        )
    )
    # one run a minute: keep two days of routine runs (failures and other kinds stay)
    await session.execute(
        delete(SyncRun).where(
            SyncRun.kind == "incremental",
            SyncRun.status.in_(("done", "skipped")),
            SyncRun.created_at < datetime.now(UTC) - timedelta(days=2),
        )
    )


async def _perform(sync: Sync, sessions: SessionFactory, conn: Connection, kind: str, params: dict[str, Any]) -> None:
    """The work of a run of this kind."""
    if kind == "full":
        await sync.full()
    elif kind == "incremental":
        await sync.incremental()
    elif kind == "period":
        await sync.period(date.fromisoformat(params["since"]), date.fromisoformat(params["until"]))
    elif kind == "reconcile":
        await sync.reconcile()
    elif kind == "rebuild":
        async with sessions() as session:
            await figures.rebuild(session, conn.counting)
            await session.commit()


async def _finish(
    sessions: SessionFactory, run_id: int, status: str, counts: dict[str, int], requests: int, error: str
) -> SyncRun:
    async with sessions() as session:
        run = await session.get(SyncRun, run_id)
        assert run is not None
        run.status, run.counts, run.requests, run.error = status, counts, requests, error[:2000]
        run.finished_at = datetime.now(UTC)
        if counts.get("changed") or run.kind in {"full", "rebuild"}:
            await bump_data_version(session, run_id)
        await session.commit()
        return run


async def bump_data_version(session: AsyncSession, run_id: int) -> None:
    """Caches of reports built on the local copy compare this to know when synced data changed."""
    await session.execute(
        text(
            "INSERT INTO sync_state (key, value, updated_at) VALUES ('data_version', "
            "jsonb_build_object('version', 1, 'run_id', CAST(:run AS bigint)), now()) "
            "ON CONFLICT (key) DO UPDATE SET value = jsonb_build_object('version', "
            "coalesce((sync_state.value->>'version')::bigint, 0) + 1, 'run_id', CAST(:run AS bigint)), "
            "updated_at = now()"
        ),
        {"run": run_id},
    )


async def data_version(session: AsyncSession) -> int:
    """A number that grows whenever a sync changed the local copy (0 before the first)."""
    value = await session.scalar(text("SELECT (value->>'version')::bigint FROM sync_state WHERE key = 'data_version'"))
    return int(value or 0)
