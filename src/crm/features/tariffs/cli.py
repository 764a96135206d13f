"""`crm telegrams import FILE` and `crm tariffs import FILE`: the same services as the upload screens."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from crm.lib.cli import fail, run_async, with_session


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        click.secho(f"Error: cannot read {path}: {exc.strerror}", fg="red", err=True)
        sys.exit(1)


@click.group(name="telegrams", help="The telegram journal.")
def telegrams_group() -> None:
    pass


@telegrams_group.command(
    name="import",
    help="Import a journal CSV (UTF-8 or Windows-1251, ';' or ','); re-importing the same file changes nothing.",
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def telegrams_import(file: str) -> None:
    from crm.features.tariffs import journal

    content = _read(file)
    lines = max(1, content.count(b"\n"))

    async def work(session: Any) -> journal.JournalSummary:
        with click.progressbar(length=lines, label="Importing telegrams", file=sys.stderr) as bar:
            return await journal.import_journal(session, content, progress=bar.update)

    try:
        summary = run_async(lambda: with_session(work))
    except journal.JournalImportError as exc:
        fail(f"{file} was not imported: {exc}")
        return
    for line in summary.lines():
        click.echo(line)
    if summary.errors:
        click.secho(
            f"{summary.rejected} rows were rejected (see the lines above); the others are imported.",
            fg="yellow",
            err=True,
        )
        sys.exit(2)


@click.group(name="tariffs", help="Telegraph tariffs.")
def tariffs_group() -> None:
    pass


@tariffs_group.command(
    name="import",
    help="Import the old tool's Django fixture (.json) or a tariff sheet "
    "(.csv, .xlsx); re-importing the same file changes nothing.",
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def tariffs_import(file: str) -> None:
    from crm.features.tariffs import tariff_files, tariff_import

    path = Path(file)
    if path.stat().st_size > tariff_import.MAX_FILE_BYTES:
        fail(f"{file} was not imported: it is larger than {tariff_import.MAX_FILE_BYTES // 2**20} MB")
        return

    try:
        with path.open("rb") as stream:  # read as a stream, never whole into memory

            async def work(session: Any) -> tariff_import.ImportSummary:
                return await tariff_files.import_file(session, stream, path.name)

            summary = run_async(lambda: with_session(work))
    except tariff_import.TariffImportError as exc:
        fail(f"{file} was not imported: {exc}")
        return
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror}")
        return
    for line in summary.lines():
        click.echo(line)
    if summary.errors:
        sys.exit(2)


# the commands this slice adds to `crm` (collected through crm.features.SLICES)
COMMANDS = [telegrams_group, tariffs_group]
