"""Jobs of the tariffs slice: importing uploaded journals, emailing detail sheets; services do the work."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy import func, update

log = logging.getLogger("crm.worker.tariffs")


async def tariffs_import_journal(ctx: dict[str, Any], *, upload_id: int) -> str:
    """Import one uploaded journal file; a second run of a finished upload does nothing. Whatever happens, the
    upload ends "done" or "failed" with its reason (never left "running"), and the file itself is dropped then."""
    from crm.features.tariffs import journal
    from crm.features.tariffs.models import JournalUpload

    async def finish(session: Any, status: str, summary: dict[str, Any]) -> str:
        await session.execute(
            update(JournalUpload)
            .where(JournalUpload.id == upload_id)
            .values(status=status, summary=summary, content=b"", updated_at=func.now())
        )
        await session.commit()
        return status

    async with ctx["db"].get_session() as session:
        upload = await session.get(JournalUpload, upload_id, with_for_update=True)
        if upload is None or upload.status in {"done", "failed"}:
            return "nothing to do"
        upload.status = "running"
        await session.commit()
        try:
            async with session.begin_nested():
                summary = await journal.import_journal(session, upload.content)
        except journal.JournalImportError as exc:
            await session.rollback()
            return await finish(session, "failed", {"error": str(exc)})
        except (Exception, asyncio.CancelledError) as exc:  # a bug, the database, the job's time limit
            log.exception("journal upload %s failed", upload_id)
            await session.rollback()
            reason = f"the import stopped unexpectedly ({type(exc).__name__}: {exc})"[:500]
            if isinstance(exc, asyncio.CancelledError):
                reason = "the import was stopped (time limit or shutdown) before it finished"
            await finish(session, "failed", {"error": reason})
            if isinstance(exc, asyncio.CancelledError):
                raise
            return "failed"
        return await finish(session, "done", summary.as_dict())


async def tariffs_send_detail(ctx: dict[str, Any], *, sending_id: int) -> str:
    """Email a client's monthly detail sheet (PDF and CSV attached); the outcome is kept on the sending. A
    transient SMTP fault raises ``TryLater`` (after keeping the reason) so that SAQ retries with backoff; on the
    job's last attempt it ends the sending "failed" instead."""
    from crm.features.tariffs import mailing

    job = ctx.get("job")
    last_attempt = job is None or not job.retryable  # SAQ counts this attempt already
    async with ctx["db"].get_session() as session:
        status = await mailing.deliver(session, sending_id, last_attempt=last_attempt)
        await session.commit()
    if status == mailing.RETRY:
        raise mailing.TryLater(f"detail sending {sending_id}: transient SMTP fault, retried later")
    return status
