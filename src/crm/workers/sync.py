"""Bitrix24 sync jobs: a queued run (full, incremental, period, reconcile, rebuild) and the cron entries."""

from __future__ import annotations

import logging
from typing import Any

from crm.features.clients import jobs
from crm.features.clients.connection import resolve

log = logging.getLogger("crm.worker")


async def bitrix24_run(ctx: dict[str, Any], *, run_id: int) -> str:
    run = await jobs.execute(ctx["db"].get_session, run_id)
    return run.status


async def _cron(ctx: dict[str, Any], kind: str) -> str:
    async with ctx["db"].get_session() as session:
        conn = await resolve(session)
        if not conn.configured:
            return "not connected"
        run = await jobs.create_run(session, kind)
        await session.commit()
        run_id = run.id
    run = await jobs.execute(ctx["db"].get_session, run_id, wait=0)
    return run.status


async def bitrix24_incremental(ctx: dict[str, Any]) -> str:
    """Every minute: offline events (local app) or DATE_MODIFY polling (webhook)."""
    return await _cron(ctx, "incremental")


async def bitrix24_reconcile(ctx: dict[str, Any]) -> str:
    """Nightly: deletions by comparing id lists, requisites and addresses re-read."""
    return await _cron(ctx, "reconcile")
