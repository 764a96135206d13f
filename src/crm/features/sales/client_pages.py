"""ERP client screens: the list (search, new ones first to review) and a client's card with 24 months of revenue."""

from __future__ import annotations

from operator import attrgetter
from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts.models import User
from crm.features.accounts.services import record
from crm.features.sales import services
from crm.features.sales.models import SalesLine
from crm.lib.deps import Db, Me
from crm.lib.export_jobs import ListSource, export
from crm.lib.exports import ExportColumn
from crm.lib.i18n import gettext as _
from crm.lib.i18n import local_today
from crm.lib.lists import ListParams, yes_no_all
from crm.lib.web import render, toast

VIEW = {"permission": ("goals.view", "goals.manage")}
CLIENT_EXPORT = [ExportColumn(name, attrgetter(name)) for name in ("id", "code", "inn", "name", "is_new", "created_at")]
MANAGE = {"permission": "goals.manage"}


async def clients_source(session: AsyncSession, user: Any, params: ListParams) -> ListSource:
    new = yes_no_all("new", params.get("new"))
    clients = await services.clients_list(session, user, q=params.get("q"), new=new)
    return ListSource(clients, CLIENT_EXPORT, "erp-clients")


@get("/sales/clients", opt=VIEW, include_in_schema=False)
async def clients_page(request: Request, me: Me, db_session: Db) -> Any:
    params = ListParams.from_request(request, default_sort="name")
    if params.format:
        return await export(request, db_session, clients_source, params)
    page = await (await clients_source(db_session, me, params)).query.page(db_session, params)
    return render(request, "sales/clients.html", {"params": params, "page": page}, block="list")


@get("/sales/clients/{client_id:int}", opt=VIEW, include_in_schema=False)
async def client_card(request: Request, me: Me, client_id: FromPath[int], db_session: Db) -> Any:
    client = await services.visible_client(db_session, me, client_id)
    if client is None:
        raise NotFoundException()
    responsible = await db_session.get(User, client.responsible_id) if client.responsible_id else None
    months = await services.client_months(db_session, client.id, local_today())
    top = max([abs(float(m[1])) for m in months] + [1.0])
    lines_stmt = await services.lines_query(db_session, me, client_id=client.id)
    lines = (await db_session.scalars(lines_stmt.order_by(SalesLine.day.desc(), SalesLine.id.desc()).limit(20))).all()
    return render(
        request,
        "sales/client.html",
        {
            "client": client,
            "responsible": responsible,
            "months": [(m, revenue, count, round(abs(float(revenue)) / top * 100)) for m, revenue, count in months],
            "total": sum(m[1] for m in months),
            "lines": lines,
            "can_review": me.can("goals.manage"),
        },
    )


@post("/sales/clients/{client_id:int}/reviewed", opt=MANAGE, include_in_schema=False)
async def mark_reviewed(request: Request, me: Me, client_id: FromPath[int], db_session: Db) -> Any:
    client = await services.visible_client(db_session, me, client_id)
    if client is None:
        raise NotFoundException()
    if client.is_new:
        client.is_new = False
        await record(db_session, me, "erp_client", str(client.id), "update", {"is_new": [True, False]})
        await db_session.commit()
        toast(request, _("The client is marked as reviewed."))
    return Redirect(f"/sales/clients/{client_id}", status_code=303)


ROUTES: list[Any] = [clients_page, client_card, mark_reviewed]
