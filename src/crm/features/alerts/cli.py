"""``crm backup create|restore``: the database and the uploaded files in one archive, and back."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from crm.lib.cli import fail


@click.group(name="backup", help="Back up the database and the uploaded files, or restore a backup.")
def backup_group() -> None:
    pass


@backup_group.command(name="create", help="Write a backup archive (pg_dump custom format and the files).")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The archive to write (default: ./crm-backup-YYYYMMDD-HHMMSS.tar).",
)
def backup_create(output: Path | None) -> None:
    from crm.features.alerts import backup

    output = output or Path(f"crm-backup-{datetime.now(UTC):%Y%m%d-%H%M%S}.tar")
    try:
        manifest = backup.create(output)
    except backup.BackupError as exc:
        fail(str(exc))
    rows = sum(manifest["tables"].values())
    click.echo(
        f"Backup written to {output} ({output.stat().st_size // 1024} KiB): {len(manifest['tables'])} tables, "
        f"{rows} rows, revision {manifest['revision'] or 'unknown'}, files: {', '.join(manifest['files']) or 'none'}"
    )


@backup_group.command(
    name="restore", help="Restore a backup into an empty database (--force replaces a non-empty one)."
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Drop everything in the database first.")
def backup_restore(file: Path, force: bool) -> None:
    from crm.features.alerts import backup

    try:
        result = backup.restore(file, force=force)
    except backup.BackupError as exc:
        fail(str(exc))
    expected, found = result["manifest"]["tables"], result["tables"]
    missing = {t: (n, found.get(t)) for t, n in expected.items() if found.get(t) != n}
    if missing:
        fail("restored, but rows differ from the backup: " + ", ".join(f"{t} {a}→{b}" for t, (a, b) in missing.items()))
    click.echo(
        f"Restored {file} (made {result['manifest']['created_at']}): {len(found)} tables, {sum(found.values())} rows "
        f"as in the backup; files: {', '.join(result['files']) or 'none'}. Run `crm database upgrade --no-prompt` "
        "if this release is newer than the backup."
    )


# the commands this slice adds to `crm` (collected through crm.features.SLICES)
COMMANDS = [backup_group]
