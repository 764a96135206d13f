"""Import screens: the list of imports with the upload form, the preview with the column mapping, an import's
detail (polled while it runs) and its rejected rows as CSV."""

from __future__ import annotations

from datetime import timedelta
from operator import attrgetter
from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts.models import User
from crm.features.sales import imports, mapping, services
from crm.features.sales.api import UPLOAD_LIMIT, enqueue
from crm.features.sales.forms import ImportMappingForm, UploadForm
from crm.features.sales.models import MailboxSettings, SalesImport, SalesImportFile, SalesImportReject
from crm.features.sales.reading import FileRejected, cell_text, read_table
from crm.lib.auth import current_user
from crm.lib.deps import Db, Me
from crm.lib.export_jobs import ListSource, export
from crm.lib.exports import ExportColumn
from crm.lib.i18n import gettext as _
from crm.lib.lists import ListParams, ListQuery
from crm.lib.web import render, toast

MANAGE = {"permission": "goals.manage"}
PREVIEW_ROWS = 8
DRAFT_TTL = timedelta(days=1)


def _rows(page_rows: Any) -> list[dict[str, Any]]:
    return [{"i": i, "shown": imports.shown_status(i), "error": imports.error_text(i)} for i in page_rows]


async def _list_context(request: Request, db_session: AsyncSession) -> dict[str, Any]:
    params = ListParams.from_request(request)
    page = await imports_list().page(db_session, params)
    rows = _rows(page.rows)
    actor_ids = {r["i"].actor_id for r in rows if r["i"].actor_id}
    people = (await db_session.execute(select(User.id, User.name, User.email).where(User.id.in_(actor_ids)))).all()
    return {
        "users_by_id": {p.id: p.name or p.email for p in people},
        "params": params,
        "page": page,
        "rows": rows,
        "pending": any(r["shown"] in ("queued", "running") for r in rows),
        "profiles": await mapping.profile_names(db_session),
        "limit_mb": UPLOAD_LIMIT // (1024 * 1024),
        "can_mailbox": current_user(request).can("integrations.manage"),
        "mailbox": await db_session.scalar(select(MailboxSettings).order_by(MailboxSettings.id).limit(1)),
    }


IMPORT_EXPORT = [
    ExportColumn(name, attrgetter(name))
    for name in (
        "id",
        "created_at",
        "source",
        "file_name",
        "profile",
        "sender",
        "status",
        "rows_read",
        "imported",
        "updated",
        "rejected",
        "error",
        "finished_at",
    )
]


def imports_list() -> ListQuery:
    return ListQuery(services.recent_imports().order_by(None), {"id": SalesImport.id}, "-id", SalesImport.id)


async def imports_source(session: AsyncSession, user: Any, params: ListParams) -> ListSource:
    return ListSource(imports_list(), IMPORT_EXPORT, "sales-imports")


@get("/imports", opt=MANAGE, include_in_schema=False)
async def imports_page(request: Request, db_session: Db) -> Any:
    params = ListParams.from_request(request)
    if params.format:
        return await export(request, db_session, imports_source, params)
    context = await _list_context(request, db_session)
    return render(request, "sales/imports.html", {**context, "errors": {}, "form": {}}, block="list")


async def _drop_old_drafts(db_session: AsyncSession) -> None:
    await db_session.execute(
        delete(SalesImport).where(SalesImport.status == "draft", SalesImport.created_at < imports.now() - DRAFT_TTL)
    )


@post("/imports/preview", opt=MANAGE, include_in_schema=False, request_max_body_size=UPLOAD_LIMIT + 1024 * 1024)
async def preview_upload(request: Request, me: Me, db_session: Db) -> Any:
    """Keep the chosen file as a draft import and show its first rows with the column mapping."""
    form = UploadForm.parse(await request.form())  # past the size limit Litestar answers 413 (Content-Length)
    content = b""
    if form.file is not None:
        content = await form.file.read()
        try:
            read_table(content, form.file.filename)
        except FileRejected as exc:
            form.errors.add("file", exc.text())
    if not form.ok or form.file is None:
        context = await _list_context(request, db_session)
        return render(
            request, "sales/imports.html", {**context, "errors": form.errors, "form": form.shown()}, status_code=422
        )
    file, profile = form.file, form.profile
    await _drop_old_drafts(db_session)
    item = await imports.create(
        db_session,
        source="upload",
        file_name=file.filename,
        content=content,
        actor_id=me.id,
        profile=profile,
        status="draft",
    )
    await db_session.commit()
    return Redirect(f"/imports/{item.id}/preview", status_code=303)


async def _draft(db_session: AsyncSession, import_id: int) -> tuple[SalesImport, bytes]:
    item = await db_session.get(SalesImport, import_id)
    content = await db_session.scalar(select(SalesImportFile.content).where(SalesImportFile.import_id == import_id))
    if item is None or item.status != "draft" or content is None:
        raise NotFoundException()
    return item, content


async def _preview_context(
    db_session: AsyncSession, item: SalesImport, content: bytes, chosen: dict[str, int] | None = None
) -> dict[str, Any]:
    table = read_table(content, item.file_name)
    rows = []
    for row in table.rows:
        rows.append([cell_text(c) for c in row])
        if len(rows) >= PREVIEW_ROWS:
            break
    profile = await mapping.load_profile(db_session, item.profile)
    current = mapping.recognise(table.headers)
    keys = [mapping.header_key(h) for h in table.headers]
    for field_name, key in (profile or {}).items():
        if key in keys:
            current[field_name] = keys.index(key)
    if chosen is not None:
        current = {f: i for f, i in chosen.items() if i >= 0}
    return {
        "item": item,
        "headers": table.headers,
        "rows": rows,
        "width": max([len(table.headers), *(len(r) for r in rows)]),
        "current": current,
        "fields": [(f, _(mapping.FIELD_LABELS[f])) for f in mapping.FIELDS],
        "required": mapping.REQUIRED,
    }


@get("/imports/{import_id:int}/preview", opt=MANAGE, include_in_schema=False)
async def preview_page(request: Request, import_id: FromPath[int], db_session: Db) -> Any:
    item, content = await _draft(db_session, import_id)
    context = await _preview_context(db_session, item, content)
    return render(request, "sales/preview.html", {**context, "errors": {}, "profile": item.profile})


@post("/imports/{import_id:int}/start", opt=MANAGE, include_in_schema=False)
async def start_import(request: Request, me: Me, import_id: FromPath[int], db_session: Db) -> Any:
    """The mapping chosen on the preview (saved under a profile name when one is given), then the worker's job."""
    item = await db_session.get(SalesImport, import_id)
    if item is not None and item.status != "draft" and item.actor_id == me.id:
        return Redirect(f"/imports/{import_id}", status_code=303)  # a second click of the same form
    item, content = await _draft(db_session, import_id)
    form = ImportMappingForm.parse(await request.form())
    chosen = form.chosen(mapping.FIELDS)
    profile, errors = form.profile, form.errors
    headers = read_table(content, item.file_name).headers
    try:
        used = mapping.resolve(headers, None, chosen)
    except FileRejected as exc:
        errors.add("__all__", exc.text())
        used = {}
    for field_name in mapping.REQUIRED:
        if chosen.get(field_name, -1) < 0:
            errors.add(f"map_{field_name}", _("Choose the column of this field."))
    if errors:
        context = await _preview_context(db_session, item, content, chosen)
        page = {**context, "errors": errors, "profile": form.raw("profile")}
        return render(request, "sales/preview.html", page, status_code=422)
    if profile:
        await mapping.save_profile(db_session, profile, mapping.as_profile(headers, used))
    item.mapping, item.profile, item.status = used, profile.lower(), "queued"
    await db_session.commit()
    await enqueue(request, item.id)
    toast(request, _("The file is being imported; the result appears here."))
    return Redirect(f"/imports/{item.id}", status_code=303)


@get("/imports/{import_id:int}", opt=MANAGE, include_in_schema=False)
async def import_page(request: Request, import_id: FromPath[int], db_session: Db) -> Any:
    item = await db_session.get(SalesImport, import_id)
    if item is None:
        raise NotFoundException()
    if item.status == "draft":
        return Redirect(f"/imports/{import_id}/preview", status_code=303)
    rejects = (
        await db_session.scalars(
            select(SalesImportReject)
            .where(SalesImportReject.import_id == import_id)
            .order_by(SalesImportReject.row_no)
            .limit(50)
        )
    ).all()
    shown = imports.shown_status(item)
    return render(
        request,
        "sales/import.html",
        {
            "item": item,
            "shown": shown,
            "error": imports.error_text(item),
            "pending": shown in ("queued", "running"),
            "rejects": [(r, services.reason_text(r.reason, r.value)) for r in rejects],
        },
        block="status",
    )


@get("/imports/{import_id:int}/rejected.csv", opt=MANAGE, include_in_schema=False)
async def rejected_download(import_id: FromPath[int], db_session: Db) -> Response[str]:
    item = await db_session.get(SalesImport, import_id)
    if item is None:
        raise NotFoundException()
    body = "".join(await services.rejected_csv(db_session, item))
    return Response(
        body,
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="import-{import_id}-rejected.csv"'},
    )


ROUTES: list[Any] = [imports_page, preview_upload, preview_page, start_import, import_page, rejected_download]
