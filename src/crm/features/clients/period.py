"""Public for other slices (listed in PUBLIC of tests/unit/test_architecture.py): start the Bitrix24 period
re-sync — the Integrations screen's "Refresh data for a period" — and read how a run is doing."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.clients import jobs
from crm.features.clients.sync_models import SyncRun
from crm.lib.i18n import gettext as _


async def start_period_sync(
    session: AsyncSession, queue: Any, since: date, until: date, user_id: uuid.UUID | None
) -> SyncRun:
    """Create a "period" run and hand it to the worker (job "bitrix24_run"); committed. When the queue is not
    reachable the run is recorded as failed with a readable error."""
    run = await jobs.create_run(session, "period", {"since": since.isoformat(), "until": until.isoformat()}, user_id)
    await session.commit()
    if queue is None or not await jobs.enqueue(queue, run):
        run.status, run.error = "failed", _("The job queue is not reachable; try again later.")
        await session.commit()
    return run
