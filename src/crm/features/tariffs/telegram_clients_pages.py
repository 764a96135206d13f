"""Clients of the telegraph office (the organisations billed): list with search and exports, create, edit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts.services import record
from crm.features.tariffs.forms import TelegraphClientForm
from crm.features.tariffs.models import TelegramClient
from crm.lib.auth import current_user
from crm.lib.deps import Db
from crm.lib.export_jobs import ListSource, export
from crm.lib.exports import ExportColumn
from crm.lib.i18n import gettext as _
from crm.lib.lists import ListParams, ListQuery
from crm.lib.web import render, toast

MANAGE = {"permission": ("billing.manage", "tariffs.manage")}
SORTS = {"code": TelegramClient.code, "name": TelegramClient.short_name, "email": TelegramClient.email}
FIELDS = ("code", "short_name", "full_name", "inn", "email")


def _getter(name: str) -> Callable[[Any], Any]:
    return lambda c: getattr(c, name)


EXPORT = [ExportColumn(f, _getter(f)) for f in FIELDS]


def _query(q: str) -> Any:
    stmt = select(TelegramClient)
    if q:
        like = f"%{q}%"
        stmt = stmt.where(
            or_(
                TelegramClient.code.ilike(like),
                TelegramClient.short_name.ilike(like),
                TelegramClient.full_name.ilike(like),
                TelegramClient.inn.ilike(like),
            )
        )
    return stmt


def _list(params: ListParams) -> ListQuery:
    return ListQuery(_query(params.get("q")), SORTS, "code", TelegramClient.id)


async def clients_source(session: AsyncSession, user: Any, params: ListParams) -> ListSource:
    return ListSource(_list(params), EXPORT, "telegram-clients")


@get("/telegram-clients", opt=MANAGE, include_in_schema=False)
async def clients_page(request: Request, db_session: Db) -> Any:
    params = ListParams.from_request(request, default_sort="code")
    if params.format:
        return await export(request, db_session, clients_source, params)
    page = await _list(params).page(db_session, params)
    return render(request, "tariffs/clients.html", {"params": params, "page": page}, block="list")


async def _client_form_page(request: Request, db_session: Db, client_id: int | None = None) -> Any:
    client = await db_session.get(TelegramClient, client_id) if client_id else None
    if client_id and client is None:
        raise NotFoundException()
    form = {f: getattr(client, f) for f in FIELDS} if client else {}
    return render(request, "tariffs/client_form.html", {"form": form, "errors": {}, "client": client})


@get("/telegram-clients/new", opt=MANAGE, include_in_schema=False)
async def client_form_new(request: Request, db_session: Db) -> Any:
    return await _client_form_page(request, db_session=db_session, client_id=None)


@get("/telegram-clients/{client_id:int}", opt=MANAGE, include_in_schema=False)
async def client_form_edit(request: Request, client_id: FromPath[int], db_session: Db) -> Any:
    return await _client_form_page(request, db_session=db_session, client_id=client_id)


async def _client_save_page(request: Request, db_session: Db, client_id: int | None = None) -> Any:
    client = await db_session.get(TelegramClient, client_id) if client_id else None
    if client_id and client is None:
        raise NotFoundException()
    form = TelegraphClientForm.parse(await request.form())
    data: dict[str, str] = {name: form.values[name] for name in FIELDS}
    errors = form.errors
    clash = await db_session.scalar(
        select(func.count()).where(
            TelegramClient.code == data["code"], TelegramClient.id != (client.id if client else 0)
        )
    )
    if clash:
        errors.add("code", _("Another client has this code."))
    if errors:
        return render(
            request,
            "tariffs/client_form.html",
            {"form": {name: form.raw(name) for name in FIELDS}, "errors": errors, "client": client},
            status_code=422,
        )
    target = client or TelegramClient()
    changes = {f: [getattr(target, f, None), v] for f, v in data.items() if getattr(target, f, None) != v}
    for name, (_old, new) in changes.items():
        setattr(target, name, new)
    if client is None:
        db_session.add(target)
    await db_session.flush()
    await record(
        db_session,
        current_user(request),
        "telegram_client",
        str(target.id),
        "create" if client is None else "update",
        changes,
        summary=target.short_name,
    )
    toast(request, _("Client saved."))
    return Redirect("/telegram-clients", status_code=303)


@post("/telegram-clients/new", opt=MANAGE, include_in_schema=False)
async def client_save_new(request: Request, db_session: Db) -> Any:
    return await _client_save_page(request, db_session=db_session, client_id=None)


@post("/telegram-clients/{client_id:int}", opt=MANAGE, include_in_schema=False)
async def client_save_edit(request: Request, client_id: FromPath[int], db_session: Db) -> Any:
    return await _client_save_page(request, db_session=db_session, client_id=client_id)


ROUTES: list[Any] = [clients_page, client_form_new, client_form_edit, client_save_new, client_save_edit]
