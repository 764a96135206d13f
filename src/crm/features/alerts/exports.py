"""Big exports written by the worker (``lib/export_jobs.py``): the job, the progress page with its download link,
and a bell alert while a finished file waits to be fetched."""

from __future__ import annotations

import logging
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from litestar import Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import File
from litestar.utils.module_loader import import_string
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts.models import User
from crm.features.alerts.registry import Alert
from crm.lib import export_jobs, i18n
from crm.lib.auth import current_user
from crm.lib.exports import XLSX_MEDIA, write_file
from crm.lib.i18n import gettext as _
from crm.lib.web import render

log = logging.getLogger("crm.exports")
PROGRESS_EVERY_S = 1.0


async def export_list(ctx: dict[str, Any], export_id: str) -> str:
    """Writes the file of a recorded export, as the rows arrive, recording the progress; idempotent (a finished
    export is left as it is, a retried one starts its file again)."""
    record = export_jobs.load(export_id)
    if record is None:
        return "gone"
    if record.status == "done":
        return "already done"
    record.status, record.done, record.error = "running", 0, ""
    export_jobs.save(record)
    token = i18n.set_locale(record.locale)
    target = export_jobs.file_path(record)
    partial = target.with_suffix(target.suffix + ".part")
    try:
        async with ctx["db"].get_session() as session:
            user = await session.get(User, uuid.UUID(record.user_id))
            if user is None or not user.is_active:
                record.status, record.error = "failed", "user gone"
                export_jobs.save(record)
                return "failed: user gone"
            source = import_string(record.source.replace(":", "."))
            listed = await source(session, user, record.params())
            last = 0.0

            async def progress(done: int) -> None:
                nonlocal last
                record.done = done
                if time.monotonic() - last >= PROGRESS_EVERY_S:
                    last = time.monotonic()
                    export_jobs.save(record)

            with partial.open("wb") as out:
                written = await write_file(
                    session, listed.query.ordered(record.sort), listed.columns, listed.name, record.fmt, out, progress
                )
        partial.replace(target)
        record.status, record.done, record.total = "done", written, max(record.total, written)
        export_jobs.save(record)
        return f"{written} rows"
    except Exception as exc:
        partial.unlink(missing_ok=True)
        record.status, record.error = "failed", type(exc).__name__
        export_jobs.save(record)
        raise
    finally:
        i18n._current.reset(token)


# --------------------------------------------------------------------------- pages


def _own(request: Request, export_id: str) -> export_jobs.ExportRecord:
    record = export_jobs.load_for(export_id, current_user(request))
    if record is None:
        raise NotFoundException(detail=_("No such export, or it was deleted after a while."))
    return record


@get("/exports/{export_id:str}", include_in_schema=False)
async def export_page(request: Request, export_id: FromPath[str]) -> Any:
    """ "Your export is being prepared": the progress (the block polls itself every 2 s while running), then the
    download link."""
    record = _own(request, export_id)
    return render(request, "alerts/export.html", {"export": record}, block="export")


@get("/exports/{export_id:str}/file", include_in_schema=False)
async def export_file(request: Request, export_id: FromPath[str]) -> File:
    record = _own(request, export_id)
    path = export_jobs.file_path(record)
    if record.status != "done" or not path.exists():
        raise NotFoundException(detail=_("The file is not ready."))
    if not record.downloaded:
        record.downloaded = True  # the bell stops showing it
        export_jobs.save(record)
    media = XLSX_MEDIA if record.fmt == "xlsx" else "text/csv"
    return File(path=path, filename=record.filename, media_type=media, content_disposition_type="attachment")


# --------------------------------------------------------------------------- the bell


async def alerts(session: AsyncSession, user: Any) -> list[Alert]:
    """A finished export waiting to be downloaded (kept for a while), and one that failed."""
    found = []
    for record in export_jobs.of_user(user):
        when = datetime.fromtimestamp(record.created, UTC)
        if record.status == "done" and not record.downloaded:
            message = _("Your export %(name)s is ready to download.", name=record.filename)
        elif record.status == "failed":
            message = _("Your export %(name)s failed; please try again.", name=record.filename)
        else:
            continue
        found.append(Alert(kind="export", message=message, link=f"/exports/{record.id}", created_at=when))
    return found


ROUTES: list[Any] = [export_page, export_file]
TASKS: list[str] = ["crm.features.alerts.exports.export_list"]
