"""Journal screens: the hub, the filtered journal with exports, a telegram's card, the upload screen."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from operator import attrgetter
from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect
from sqlalchemy import Integer, cast, func, select, type_coerce
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts.models import User
from crm.features.tariffs import journal, registries, tariffs
from crm.features.tariffs.detect import detect
from crm.features.tariffs.forms import JOURNAL_LIMIT, JournalFileForm
from crm.features.tariffs.models import JournalUpload, Registry, RegistryRecord
from crm.features.tariffs.pricing import BLANK_LABELS, CATEGORY_LABELS, NOTIFICATION_LABELS, WARNINGS, QuoteError
from crm.lib.deps import Db, Me
from crm.lib.export_jobs import ListSource, export
from crm.lib.exports import ExportColumn
from crm.lib.i18n import gettext as _
from crm.lib.i18n import local_today
from crm.lib.lists import ListParams
from crm.lib.web import parse_int, render, toast

VIEW = {"permission": ("telegrams.register", "billing.manage", "tariffs.manage")}
MANAGE = {"permission": "tariffs.manage"}
UPLOAD_LIMIT = JOURNAL_LIMIT
IMPORT_TIMEOUT = 1800  # seconds the worker may spend on one journal file
STALE_AFTER = timedelta(seconds=2 * IMPORT_TIMEOUT)  # a try and its one retry

JOURNAL_EXPORT = [
    ExportColumn(name, attrgetter(name))
    for name in (
        "un_name",
        "inp_gate_date",
        "inp_chan",
        "inp_num",
        "kn",
        "categ",
        "fl_uved",
        "fl_urgent",
        "pp",
        "address",
        "subscribe",
        "out_gate_date",
        "out_chan",
        "out_num",
    )
]


@get("/telegraph", opt=VIEW, include_in_schema=False)
async def hub(request: Request) -> Any:
    return render(
        request,
        "tariffs/hub.html",
        {"today": local_today().isoformat(), "month": local_today().strftime("%Y-%m")},
    )


def _day(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _num(raw: str) -> int | None:
    return parse_int(raw)


def journal_filter(params: ListParams) -> journal.JournalFilter:
    return journal.JournalFilter(
        date_from=_day(params.get("date_from")),
        date_to=_day(params.get("date_to")),
        inp_chan=params.get("inp_chan"),
        out_chan=params.get("out_chan"),
        inp_num=_num(params.get("inp_num")),
        out_num=_num(params.get("out_num")),
        q=params.get("q"),
    )


async def journal_source(session: AsyncSession, user: User, params: ListParams) -> ListSource:
    return ListSource(journal.journal_list(user, journal_filter(params)), JOURNAL_EXPORT, "telegrams")


@get("/telegrams", opt=VIEW, include_in_schema=False)
async def journal_page(request: Request, me: Me, db_session: Db) -> Any:
    params = ListParams.from_request(request, default_sort="-time")
    if params.format:
        return await export(request, db_session, journal_source, params)
    page = await journal.journal_list(me, journal_filter(params)).page(db_session, params)
    return render(
        request,
        "tariffs/journal.html",
        {
            "params": params,
            "page": page,
            "office": journal.office_of(me),
            "can_import": me.can("tariffs.manage"),
        },
        block="list",
    )


@get("/telegrams/{un_name:str}", opt=VIEW, include_in_schema=False)
async def telegram_card(request: Request, me: Me, un_name: FromPath[str], db_session: Db) -> Any:
    telegram = await journal.get_visible(db_session, me, un_name)
    if telegram is None:
        raise NotFoundException()
    found = detect(telegram)
    quote, problem = None, ""
    try:
        quote = await tariffs.quote(db_session, telegram.inp_gate_date, found.country, found.params)
    except QuoteError as exc:
        problem = _(exc.message)
    registry = await db_session.scalar(
        select(Registry)
        .join(RegistryRecord, RegistryRecord.registry_id == Registry.id)
        .where(RegistryRecord.telegram_id == telegram.id, registries.visible_clause(me))
    )
    return render(
        request,
        "tariffs/telegram.html",
        {
            "t": telegram,
            "found": found,
            "quote": quote,
            "problem": problem,
            "registry": registry,
            "warnings": [_(WARNINGS[c]) for c in quote.warnings] if quote else [],
            "labels": {"delivery": CATEGORY_LABELS, "notification": NOTIFICATION_LABELS, "blank": BLANK_LABELS},
        },
    )


def _upload_columns() -> list[Any]:
    """What the list of uploads shows, without the file and without the stored row errors (the screen polls this
    every 2 s while an import runs): the summary's counts and how many rows were rejected."""
    summary = JournalUpload.summary
    rejected = func.coalesce(
        cast(summary.op("->>")("rejected"), Integer),
        func.jsonb_array_length(func.coalesce(summary.op("->")("errors"), func.jsonb_build_array())),
    )
    return [
        JournalUpload.id,
        JournalUpload.filename,
        JournalUpload.status,
        JournalUpload.created_at,
        JournalUpload.updated_at,
        type_coerce(summary.op("-")("errors"), JSONB).label("summary"),
        rejected.label("rejected"),
    ]


def _shown_status(status: str, updated_at: datetime) -> str:
    """An upload still "queued" or "running" long after the job's time limit was lost (a worker that died): it is
    shown as stopped, and the screen stops polling for it."""
    if status in {"queued", "running"} and updated_at < datetime.now(UTC) - STALE_AFTER:
        return "stalled"
    return status


async def _upload_context(db_session: AsyncSession) -> dict[str, Any]:
    rows = (await db_session.execute(select(*_upload_columns()).order_by(JournalUpload.id.desc()).limit(10))).all()
    uploads = [{**row._asdict(), "shown": _shown_status(row.status, row.updated_at)} for row in rows]
    return {"uploads": uploads, "pending": any(u["shown"] in {"queued", "running"} for u in uploads), "errors": {}}


@get("/telegrams/import", opt=MANAGE, include_in_schema=False)
async def upload_page(request: Request, db_session: Db) -> Any:
    return render(request, "tariffs/upload.html", await _upload_context(db_session), block="uploads")


@get("/telegrams/import/{upload_id:int}", opt=MANAGE, include_in_schema=False)
async def upload_detail(request: Request, upload_id: FromPath[int], db_session: Db) -> Any:
    """One upload's outcome with the rejected rows kept (the first 200) and how many more there were."""
    row = (await db_session.execute(select(*_upload_columns()).where(JournalUpload.id == upload_id))).one_or_none()
    if row is None:
        raise NotFoundException()
    errors = await db_session.scalar(
        select(JournalUpload.summary.op("->")("errors")).where(JournalUpload.id == upload_id)
    )
    upload = {**row._asdict(), "shown": _shown_status(row.status, row.updated_at)}
    return render(
        request,
        "tariffs/upload_detail.html",
        {"u": upload, "errors": errors or [], "more": max(0, int(row.rejected or 0) - len(errors or []))},
    )


@post("/telegrams/import", opt=MANAGE, include_in_schema=False, request_max_body_size=UPLOAD_LIMIT + 1_000_000)
async def upload(
    request: Request,
    me: Me,
    db_session: Db,
) -> Any:
    form = JournalFileForm.parse(await request.form())
    if form.file is None:  # none chosen, empty or too large: said next to the file field
        context = {**await _upload_context(db_session), "errors": form.errors}
        return render(request, "tariffs/upload.html", context, status_code=422)
    file = form.file
    content = await file.read()
    item = JournalUpload(filename=file.filename[:255], content=content, actor_id=me.id)
    db_session.add(item)
    await db_session.flush()
    await db_session.commit()
    await request.app.state.queue.enqueue(
        "tariffs_import_journal",
        upload_id=item.id,
        key=f"tariffs-journal-upload-{item.id}",
        timeout=IMPORT_TIMEOUT,
        retries=1,
    )
    toast(request, _("The file is being imported; the result appears below."))
    return Redirect("/telegrams/import", status_code=303)


ROUTES: list[Any] = [hub, journal_page, upload_page, upload_detail, upload, telegram_card]
