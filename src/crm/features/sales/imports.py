"""Import records: created by the upload screen, the API, the command line and the mailbox watcher; run by one
function whatever the source, so an import ends "done" with its counts or "failed" with its reason."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.sales import mapping as mappings
from crm.features.sales.models import SalesImport, SalesImportFile
from crm.features.sales.pipeline import Outcome, Progress, import_table
from crm.features.sales.reading import FileRejected, read_table
from crm.lib.i18n import N_
from crm.lib.i18n import gettext as _

log = logging.getLogger("crm.sales.imports")

IMPORT_TIMEOUT = 1800  # seconds the worker may spend on one file
STALE_AFTER = timedelta(seconds=2 * IMPORT_TIMEOUT)
SOURCES = ("upload", "mail", "cli", "api")
UNEXPECTED = N_("The import stopped unexpectedly (%(error)s); nothing was imported.")
STOPPED = N_("The import was stopped (time limit or shutdown) before it finished; nothing was imported.")
FILE_GONE = N_("The uploaded file is no longer there; upload it again.")


def now() -> datetime:
    return datetime.now(UTC)


async def create(
    session: AsyncSession,
    *,
    source: str,
    file_name: str,
    content: bytes | None = None,
    actor_id: uuid.UUID | None = None,
    profile: str = "",
    sender: str = "",
    chosen: dict[str, int] | None = None,
    status: str = "queued",
) -> SalesImport:
    item = SalesImport(
        source=source,
        file_name=file_name[:255],
        actor_id=actor_id,
        profile=profile.strip().lower()[:120],
        sender=sender[:255],
        mapping=chosen,
        status=status,
        started_at=now() if status == "running" else None,
    )
    session.add(item)
    await session.flush()
    if content is not None:
        session.add(SalesImportFile(import_id=item.id, content=content))
        await session.flush()
    return item


async def perform(
    session: AsyncSession, item: SalesImport, content: bytes, progress: Progress | None = None
) -> Outcome:
    """Read and import the file into the session's transaction and record the outcome on the import; raises
    ``FileRejected`` (the caller rolls back to before the import and calls ``mark_failed``)."""
    table = read_table(content, item.file_name)
    profile = await mappings.load_profile(session, item.profile or item.sender)
    outcome = await import_table(session, item.id, table, profile, item.mapping, progress)
    item.status = "done"
    item.rows_read, item.imported = outcome.rows_read, outcome.imported
    item.updated, item.rejected = outcome.updated, outcome.rejected
    item.error, item.error_args = "", None
    item.finished_at = now()
    await session.execute(delete(SalesImportFile).where(SalesImportFile.import_id == item.id))
    return outcome


async def mark_failed(session: AsyncSession, import_id: int, exc: FileRejected) -> None:
    await session.execute(
        update(SalesImport)
        .where(SalesImport.id == import_id)
        .values(status="failed", error=exc.message, error_args=exc.params or None, finished_at=now(), updated_at=now())
    )
    await session.execute(delete(SalesImportFile).where(SalesImportFile.import_id == import_id))


async def run_queued(config: Any, import_id: int) -> str:
    """The worker's side of an upload: once "done" or "failed" a second run does nothing; a crash rolls the
    whole import back and records why."""
    async with config.get_session() as session:
        await session.execute(
            update(SalesImport)
            .where(SalesImport.id == import_id, SalesImport.status == "queued")
            .values(status="running", started_at=now(), updated_at=now())
        )
        await session.commit()
    async with config.get_session() as session:
        item = await session.get(SalesImport, import_id, with_for_update=True)
        if item is None or item.status in ("done", "failed"):
            return "nothing to do"
        content = await session.scalar(select(SalesImportFile.content).where(SalesImportFile.import_id == import_id))
        try:
            if content is None:
                raise FileRejected(FILE_GONE)
            async with session.begin_nested():
                await perform(session, item, content)
            await session.commit()
            return "done"
        except FileRejected as exc:
            await session.rollback()
            await mark_failed(session, import_id, exc)
            await session.commit()
            return "failed"
        except (Exception, asyncio.CancelledError) as exc:
            log.exception("sales import %s failed", import_id)
            await session.rollback()
            reason = (
                FileRejected(STOPPED)
                if isinstance(exc, asyncio.CancelledError)
                else FileRejected(UNEXPECTED, error=type(exc).__name__)
            )
            await mark_failed(session, import_id, reason)
            await session.commit()
            if isinstance(exc, asyncio.CancelledError):
                raise
            return "failed"


def error_text(item: Any) -> str:
    """The reason of a failed import in the reader's language."""
    if not item.error:
        return ""
    return _(item.error) % item.error_args if item.error_args else _(item.error)


def shown_status(item: Any) -> str:
    """An import still "queued" or "running" long after the job's time limit (a worker that died) is "stalled"."""
    if item.status in ("queued", "running") and item.updated_at < now() - STALE_AFTER:
        return "stalled"
    return str(item.status)


def as_api(item: SalesImport) -> dict[str, Any]:
    return {
        "id": item.id,
        "status": item.status,
        "source": item.source,
        "file_name": item.file_name,
        "rows_read": item.rows_read,
        "imported": item.imported,
        "updated": item.updated,
        "rejected": item.rejected,
        "error": error_text(item) or None,
        "created_at": item.created_at.isoformat(),
        "finished_at": item.finished_at.isoformat() if item.finished_at else None,
    }
