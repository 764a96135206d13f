"""Jobs of scheduled reports: the every-minute tick (due runs, rendering, deliveries with retries); "run now" and
"send me a test" enqueue the same tick. The work is in ``crm.features.reports.schedules_delivery``."""

from __future__ import annotations

from typing import Any

from crm.features.clients.connection import make_client, resolve
from crm.features.reports import schedules_delivery


async def report_schedules_tick(ctx: dict[str, Any]) -> dict[str, int]:
    factory = ctx["db"].get_session

    async def bitrix24() -> Any:
        async with factory() as session:
            conn = await resolve(session)
        return make_client(factory, conn) if conn.configured else None

    return await schedules_delivery.tick(factory, bitrix24)
