"""Jobs of the tariffs slice: importing uploaded journals, emailing detail sheets; services do the work."""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger("crm.worker.tariffs")


async def tariffs_import_journal(ctx: dict[str, Any], *, upload_id: int) -> str:
    """Import one uploaded journal file; a second run of a finished upload does nothing."""
    from crm.features.tariffs import journal
    from crm.features.tariffs.models import JournalUpload

    async with ctx["db"].get_session() as session:
        upload = await session.get(JournalUpload, upload_id, with_for_update=True)
        if upload is None or upload.status in {"done", "failed"}:
            return "nothing to do"
        upload.status = "running"
        await session.commit()
        try:
            async with session.begin_nested():
                summary = await journal.import_journal(session, upload.content)
            upload.status, upload.summary = "done", summary.as_dict()
        except journal.JournalImportError as exc:
            upload.status, upload.summary = "failed", {"error": str(exc)}
        await session.commit()
        return upload.status


async def tariffs_send_detail(ctx: dict[str, Any], *, sending_id: int) -> str:
    """Email a client's monthly detail sheet (PDF and CSV attached); the outcome is kept on the sending."""
    from crm.features.tariffs import mailing

    async with ctx["db"].get_session() as session:
        status = await mailing.deliver(session, sending_id)
        await session.commit()
        return status
