"""Jobs of the sales slice: the functions the worker runs and their cron schedule (the functions come first: the
cron entries import them by name while this module loads)."""

from __future__ import annotations

from typing import Any

from litestar_saq import CronJob


async def sales_import_run(ctx: dict[str, Any], *, import_id: int) -> str:
    """Run one uploaded import; a second run of a finished import does nothing."""
    from crm.features.sales import imports

    return await imports.run_queued(ctx["db"], import_id)


async def sales_mailbox_check(ctx: dict[str, Any]) -> str:
    """Import the new attachments of the ERP's mailbox (every 5 minutes, and on "check now")."""
    from crm.features.sales import mailbox

    return await mailbox.check(ctx["db"])


TASKS: list[str] = [
    "crm.features.sales.jobs.sales_import_run",
    "crm.features.sales.jobs.sales_mailbox_check",
]
CRON: list[CronJob] = [
    CronJob(function="crm.features.sales.jobs.sales_mailbox_check", cron="*/5 * * * *", timeout=900, retries=0),
]
