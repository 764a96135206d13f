"""``crm leads …``: the lead desk's maintenance from the command line (in this process)."""

from __future__ import annotations

import click

from crm.lib.cli import run_async


@click.group(name="leads", help="Lead desk: operators' loads and the statistics' daily counts.")
def leads_group() -> None:
    pass


@leads_group.command(
    name="reconcile",
    help="Rebuild the operators' loads and the daily counts of the statistics from the contacts "
    "(all days, or --days N back); prints what was out of step. Safe while the desk is working.",
)
@click.option("--days", type=click.IntRange(min=1), default=None, help="Only the last N days of daily counts.")
def reconcile_command(days: int | None) -> None:
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from crm.features.leads import asyncpg_pool, unassigned
    from crm.features.leads.intake import local_zone
    from crm.lib.db import alchemy_config

    since = datetime.now(ZoneInfo(local_zone())).date() - timedelta(days=days - 1) if days else None

    async def work() -> unassigned.Reconciled:
        config = alchemy_config()
        try:
            return await unassigned.reconcile(config.get_engine(), since=since)
        finally:
            await asyncpg_pool.close_pools()
            await config.get_engine().dispose()

    result = run_async(work)
    loads = ", ".join(f"operator {op} → {n}" for op, n in sorted(result.loads.items())) or "all in step"
    click.echo(f"Loads: {loads}. Daily counts corrected: {result.daily_rows}.")


# the commands this slice adds to `crm` (collected through crm.features.SLICES)
COMMANDS = [leads_group]
