"""Housekeeping: expired sessions and tokens."""

from __future__ import annotations

import logging
from typing import Any

from crm.features.accounts import services as accounts

log = logging.getLogger("crm.worker")


async def purge_expired(ctx: dict[str, Any]) -> dict[str, int]:
    async with ctx["db"].get_session() as session:
        counts = await accounts.purge_expired(session)
        await session.commit()
    log.info("housekeeping: %s", counts)
    return counts
