"""`crm imports …`: ERP sales imports from the console, with the same code as the worker."""

from __future__ import annotations

import os
import sys

import click

from crm.lib.cli import fail, run_async


@click.group(name="imports", help="Import ERP sales files.")
def imports_group() -> None:
    pass


@imports_group.command(
    name="sales",
    help="Import an ERP sales file (CSV or XLSX) in the foreground; the same invoice lines again are updated.",
)
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--profile", default="", help="A saved column mapping (its name).")
def import_sales(file: str, profile: str) -> None:
    from crm.features.sales.reading import FileRejected, check_size

    try:
        size = os.path.getsize(file)
        check_size(size)  # a file past the limit is refused before it is read
        with open(file, "rb") as handle:
            content = handle.read()
    except FileRejected as exc:
        fail(f"{file} was not imported: {exc}")
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror}")
    outcome, error = run_async(lambda: _run(os.path.basename(file), content, profile))
    if error:
        fail(f"{file} was not imported: {error}")
    click.echo(outcome)


async def _run(name: str, content: bytes, profile: str) -> tuple[str, str]:
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from crm.features.sales import imports
    from crm.features.sales.reading import FileRejected
    from crm.lib.db import alchemy_config

    config = alchemy_config()
    try:
        async with config.get_session() as session:
            item = await imports.create(session, source="cli", file_name=name, profile=profile, status="running")
            await session.commit()
            item_id = item.id
            show = sys.stderr.isatty()
            with Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                TextColumn("{task.completed:,.0f} rows"),
                TimeElapsedColumn(),
                disable=not show,
                transient=True,
            ) as bar:
                task = bar.add_task(f"Importing {name}", total=None)

                def progress(rows: int) -> None:
                    bar.update(task, completed=rows)

                try:
                    async with session.begin_nested():
                        outcome = await imports.perform(session, item, content, progress)
                    await session.commit()
                except FileRejected as exc:
                    await session.rollback()
                    await imports.mark_failed(session, item_id, exc)
                    await session.commit()
                    return "", str(exc)
                except BaseException:
                    await session.rollback()
                    await imports.mark_failed(session, item_id, FileRejected(imports.STOPPED))
                    await session.commit()
                    raise
            return outcome.summary(), ""
    finally:
        await config.get_engine().dispose()


# the commands this slice adds to `crm` (collected through crm.features.SLICES)
COMMANDS = [imports_group]


@imports_group.command(
    name="rebuild-months",
    help="Recompute the monthly revenue of every ERP client from the sales lines (the imports maintain it).",
)
def rebuild_months() -> None:
    from sqlalchemy import func, select
    from sqlalchemy.ext.asyncio import AsyncSession

    from crm.features.sales.models import ClientMonthSales
    from crm.features.sales.pipeline import rebuild_month_sales
    from crm.lib.cli import with_session

    async def work(session: AsyncSession) -> int:
        await rebuild_month_sales(session)
        return int(await session.scalar(select(func.count()).select_from(ClientMonthSales)) or 0)

    rows = run_async(lambda: with_session(work))
    click.echo(f"monthly revenue rebuilt: {rows} rows")
