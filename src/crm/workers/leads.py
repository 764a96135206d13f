"""Lead desk jobs: give waiting (unassigned) contacts to operators who have room again."""

from __future__ import annotations

import logging
from typing import Any

from crm.features.leads.unassigned import give_out_queue, reconcile_loads

log = logging.getLogger("crm.worker")


async def give_out_lead_queue(ctx: dict[str, Any], *, operator_id: int | None = None) -> dict[str, Any]:
    """After a close, an operator's return or new weights (``operator_id`` narrows it to their sources), and
    every minute as a sweep that first checks the load counters against the contacts. Idempotent: with
    nobody free or nothing waiting it changes nothing."""
    engine = ctx["db"].get_engine()
    corrected = await reconcile_loads(engine) if operator_id is None else {}
    given = await give_out_queue(engine, operator_id=operator_id)
    if given:
        log.info("lead queue: %s contacts given out (operator %s)", given, operator_id or "any")
    return {"given": given, "loads_corrected": len(corrected)}
