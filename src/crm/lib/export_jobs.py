"""Exports of whole lists: streamed in the request, or written by the worker past a size.

A list page declares where its export comes from, once, as a function of the session, the user and the URL's
list state (the same function serves the request and the worker, which has no request)::

    async def users_source(session, user, params) -> ListSource:
        return ListSource(services.users_list(_user_filter(params)), USER_COLUMNS, "users")

    if params.format:
        return await export(request, db_session, users_source, params)

Up to ``CRM_EXPORT_JOB_ROWS`` rows (default 50,000) the file streams at once (``lib.exports.export_stream``).
Past it the request records an export (a small JSON file under ``CRM_VAR_DIR/exports``), enqueues the worker's
``export_list`` job and sends the user to ``/exports/<id>``: a page that shows the progress (htmx polling) and
then the download link. The file is kept ``CRM_EXPORT_KEEP_HOURS`` and only the user who asked may fetch it.
There is no cap on the number of rows anywhere.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from litestar import Request, Response
from litestar.datastructures import MultiDict
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from crm.config import get_settings
from crm.lib.auth import current_user
from crm.lib.exports import Columns, export_stream, safe_filename
from crm.lib.i18n import get_locale
from crm.lib.lists import ListParams, ListQuery

EXPORT_JOB = "export_list"
FORMATS = ("csv", "xlsx")


@dataclass(frozen=True)
class ListSource:
    """What an export of a list is made of: the filtered query, its columns, the file's name (without suffix)."""

    query: ListQuery
    columns: Columns
    name: str


Source = Callable[[AsyncSession, Any, ListParams], Awaitable[ListSource]]


def job_rows() -> int:
    return get_settings().export_job_rows


def source_path(source: Source) -> str:
    return f"{source.__module__}:{source.__qualname__}"


# --------------------------------------------------------------------------- the record of an export


@dataclass
class ExportRecord:
    id: str
    user_id: str
    source: str
    query: list[tuple[str, str]]
    sort: str
    fmt: str
    locale: str
    name: str
    total: int
    done: int = 0
    status: str = "queued"  # queued, running, done, failed
    error: str = ""
    downloaded: bool = False
    created: float = field(default_factory=time.time)

    @property
    def filename(self) -> str:
        return f"{safe_filename(self.name)}.{self.fmt}"

    @property
    def percent(self) -> int:
        if self.status == "done":
            return 100
        return min(99, int(self.done * 100 / self.total)) if self.total else 0

    def params(self) -> ListParams:
        return ListParams(sort=self.sort, query=MultiDict(self.query))


def folder() -> Path:
    path = get_settings().var_dir / "exports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _valid_id(export_id: str) -> bool:
    return 10 <= len(export_id) <= 64 and all(c.isalnum() or c in "-_" for c in export_id)


def file_path(record: ExportRecord) -> Path:
    return folder() / f"{record.id}.{record.fmt}"


def save(record: ExportRecord) -> None:
    """Written whole and renamed into place: a reader never sees half a record."""
    tmp = folder() / f".{record.id}.json.tmp"
    tmp.write_text(json.dumps(asdict(record)))
    os.replace(tmp, folder() / f"{record.id}.json")


def load(export_id: str) -> ExportRecord | None:
    if not _valid_id(export_id):
        return None
    try:
        data = json.loads((folder() / f"{export_id}.json").read_text())
    except (OSError, ValueError):
        return None
    data["query"] = [tuple(pair) for pair in data.get("query", [])]
    return ExportRecord(**data)


def load_for(export_id: str, user: Any) -> ExportRecord | None:
    """The export if this user asked for it (anyone else gets None: a 404, not a 403 that confirms it exists)."""
    record = load(export_id)
    if record is None or user is None or record.user_id != str(user.id):
        return None
    return record


def of_user(user: Any) -> list[ExportRecord]:
    """The user's exports still kept, newest first."""
    found = []
    for path in folder().glob("*.json"):
        record = load(path.stem)
        if record is not None and record.user_id == str(user.id):
            found.append(record)
    return sorted(found, key=lambda r: r.created, reverse=True)


def purge(now: float | None = None) -> int:
    """Exports older than ``CRM_EXPORT_KEEP_HOURS`` are deleted, record and file."""
    limit = (now or time.time()) - get_settings().export_keep_hours * 3600
    removed = 0
    for path in folder().glob("*.json"):
        record = load(path.stem)
        if record is None or record.created >= limit:
            continue
        file_path(record).unlink(missing_ok=True)
        path.unlink(missing_ok=True)
        removed += 1
    return removed


# --------------------------------------------------------------------------- the request side


async def export(request: Request, session: AsyncSession, source: Source, params: ListParams) -> Response[Any]:
    """The list's CSV/XLSX (``params.format``): streamed now, or past ``CRM_EXPORT_JOB_ROWS`` rows a worker job
    and a redirect to its progress page."""
    user = current_user(request)
    listed = await source(session, user, params)
    total = await listed.query.total(session)
    if total <= job_rows():
        return await export_stream(
            request, listed.query.ordered(params.sort), listed.columns, listed.name, params.format
        )
    purge()
    record = ExportRecord(
        id=secrets.token_urlsafe(16),
        user_id=str(user.id),
        source=source_path(source),
        query=[(k, v) for k, v in params.query.multi_items() if k not in ("format", "page")],
        sort=params.sort,
        fmt=params.format,
        locale=get_locale(),
        name=listed.name,
        total=total,
    )
    save(record)
    await request.app.state.queue.enqueue(
        EXPORT_JOB, export_id=record.id, key=f"export-{record.id}", timeout=3600, retries=2, retry_delay=10.0
    )
    return Redirect(f"/exports/{record.id}", status_code=303)
