"""``crm bitrix24 …``: sync from the command line (in this process, not through the queue)."""

from __future__ import annotations

from typing import Any

import click

from crm.lib.cli import run_async
from crm.lib.i18n import local_today


@click.group(name="bitrix24", help="Bitrix24 sync of companies, deals, activities and calls.")
def bitrix24_group() -> None:
    pass


def _run(kind: str, params: dict[str, Any]) -> None:
    from crm.features.clients import jobs
    from crm.lib.db import alchemy_config

    async def work() -> Any:
        config = alchemy_config()
        try:
            async with config.get_session() as session:
                run = await jobs.create_run(session, kind, params)
                await session.commit()
            return await jobs.execute(config.get_session, run.id)
        finally:
            await config.get_engine().dispose()

    run = run_async(work)
    counts = ", ".join(f"{k} {v}" for k, v in sorted(run.counts.items()) if v)
    click.echo(f"Sync run {run.id} ({kind}): {run.status}; {run.requests} requests; {counts or 'nothing changed'}")
    if run.status != "done":
        click.secho(f"Error: {run.error}", fg="red", err=True)
        raise SystemExit(1)


@bitrix24_group.command(
    name="sync",
    help="Incremental sync; --full re-reads everything (resumable); "
    "--since/--until re-syncs a period; --deletions reconciles deletions.",
)
@click.option("--full", is_flag=True, help="Full import (continues an interrupted one).")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="Period start, YYYY-MM-DD.")
@click.option("--until", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="Period end, YYYY-MM-DD.")
@click.option("--deletions", is_flag=True, help="Compare id lists and mark deleted records inactive.")
def sync_command(full: bool, since: Any, until: Any, deletions: bool) -> None:
    if since or until:
        start = (since or until).date()
        end = (until or since).date() if until else local_today()
        if end < start:
            raise click.BadParameter("--until is before --since")
        _run("period", {"since": start.isoformat(), "until": end.isoformat()})
    elif full:
        _run("full", {})
    elif deletions:
        _run("reconcile", {})
    else:
        _run("incremental", {})


@bitrix24_group.command(name="rebuild-figures", help="Recompute every derived figure from the local copy.")
def rebuild_command() -> None:
    _run("rebuild", {})


# the commands this slice adds to `crm` (collected through crm.features.SLICES)
COMMANDS = [bitrix24_group]
