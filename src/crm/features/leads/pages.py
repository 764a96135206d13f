"""Pages of the lead desk's daily work: my contacts, the unassigned queue, all contacts, leads and a lead card."""

from __future__ import annotations

import json
from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from crm.features.leads import desk, desk_sources, distribution, queue, services, work
from crm.features.leads.identifiers import display_phone
from crm.lib.auth import current_user
from crm.lib.exports import ExportColumn, export_response
from crm.lib.i18n import gettext as _
from crm.lib.web import ListParams, Page, is_htmx, parse_int, render, toast

MANAGE = {"permission": services.MANAGE}
OPERATE = {"permission": services.OPERATE}
EITHER = {"permission": (services.OPERATE, services.MANAGE)}
GIVE_OUT_NOW_LIMIT = 500


def htmx_events(**events: Any) -> dict[str, str]:
    """An ``HX-Trigger`` header (ASCII JSON: header values cannot carry Cyrillic as such)."""
    return {"HX-Trigger": json.dumps(events, ensure_ascii=True)}


async def desk_context(request: Request, db_session: AsyncSession, tab: str) -> dict[str, Any]:
    """What every page of the section shows: the tabs the user may open, the desk's figures, and the helpers of a
    contact row (its close form's outcomes, who may reopen it)."""
    user = current_user(request)
    scope = await services.desk_scope(db_session, user)
    return {
        "tab": tab,
        "can_manage": user.can(services.MANAGE),
        "can_operate": user.can(services.OPERATE),
        "summary": await services.desk_summary(db_session),
        "queue_count": await services.queue_count(db_session, scope),
        "reason_text": lambda c: distribution.reason_text(c.reason_code, c.reason_params, localized=True),
        "reason_label": distribution.reason_label,
        "show_phone": display_phone,
        "outcomes": [(code, _(label)) for code, label in work.OUTCOME_LABELS.items()],
        "outcome_label": work.outcome_label,
        "may_reopen": lambda c: work.may_reopen(c, user, scope),
        "close_for": None,
        "close_errors": {},
        "typed": {},
    }


@get("/leads", opt=EITHER, include_in_schema=False)
async def leads_page(request: Request, db_session: NamedDependency[AsyncSession]) -> Any:
    user = current_user(request)
    if not user.can(services.MANAGE):
        return Redirect("/leads/my", status_code=303)
    params = ListParams.from_request(request, default_sort="-id")
    operator = params.get("operator")
    filters = services.LeadFilter(q=params.get("q"), operator_id=parse_int(operator, 1, 2**62))
    scope = await services.desk_scope(db_session, user)
    query = services.leads_query(filters, scope)
    fmt = params.get("format")
    if fmt in {"csv", "xlsx"}:
        rows = await services.all_rows(db_session, query, params.sort)
        return export_response(rows, LEAD_EXPORT, "leads", fmt)
    rows, total, shown = await services.fetch_rows(db_session, query, params.page, params.page_size, params.sort)
    context = {
        **await desk_context(request, db_session, "leads"),
        "params": params,
        "page": Page(rows=rows, total=total, page=shown, page_size=params.page_size),
        "operators": await desk.list_operators(db_session),
    }
    return render(request, "leads/leads.html", context, block="list")


LEAD_EXPORT = [
    ExportColumn("id", lambda r: r[0].id),
    ExportColumn("name", lambda r: r[0].name),
    ExportColumn("phone", lambda r: r[0].phone),
    ExportColumn("email", lambda r: r[0].email),
    ExportColumn("external_id", lambda r: r[0].external_id),
    ExportColumn("operator", lambda r: r[1] or ""),
    ExportColumn("created_at", lambda r: r[0].created_at),
]


@get("/leads/{lead_id:int}", opt=EITHER, include_in_schema=False)
async def lead_page(request: Request, lead_id: FromPath[int], db_session: NamedDependency[AsyncSession]) -> Any:
    scope = await services.desk_scope(db_session, current_user(request))
    card = await services.lead_card(db_session, lead_id, scope)
    if card is None:
        target = await services.merged_into(db_session, lead_id) if scope.everything else None
        if target is not None:
            return Redirect(f"/leads/{target}", status_code=303)
        raise NotFoundException()
    context = {**await desk_context(request, db_session, "leads"), "card": card, "my_operator": scope.operator_id}
    return render(request, "leads/lead.html", context)


# --------------------------------------------------------------------------- contacts: mine, queue, all

CONTACT_EXPORT = [
    ExportColumn("id", lambda r: r[0].id),
    ExportColumn("created_at", lambda r: r[0].created_at),
    ExportColumn("lead_id", lambda r: r[0].lead_id),
    ExportColumn("lead_name", lambda r: r.lead_name),
    ExportColumn("phone", lambda r: r.lead_phone),
    ExportColumn("email", lambda r: r.lead_email),
    ExportColumn("external_id", lambda r: r.lead_external_id),
    ExportColumn("source", lambda r: r.source_name),
    ExportColumn("operator", lambda r: r.operator_name or ""),
    ExportColumn("status", lambda r: r[0].status),
    ExportColumn("assigned_at", lambda r: r[0].assigned_at),
    ExportColumn("closed_at", lambda r: r[0].closed_at),
    ExportColumn("reason", lambda r: distribution.reason_text(r[0].reason_code, r[0].reason_params)),
    ExportColumn("message", lambda r: r[0].message),
]


def _int(value: str) -> int | None:
    return parse_int(value, 1, 2**62)


async def _contacts(
    request: Request, db_session: AsyncSession, mode: str, filters: services.ContactFilter, default_sort: str
) -> Any:
    params = ListParams.from_request(request, default_sort=default_sort)
    user = current_user(request)
    scope = await services.desk_scope(db_session, user)
    if mode == "my":
        scope = services.DeskScope(everything=False, operator_id=scope.operator_id)
    query = services.contacts_query(filters, scope, waiting=mode == "queue")
    fmt = params.get("format")
    if fmt in {"csv", "xlsx"}:
        rows = await services.all_rows(db_session, query, params.sort)
        return export_response(rows, CONTACT_EXPORT, f"contacts-{mode}", fmt)
    rows, total, shown = await services.fetch_rows(db_session, query, params.page, params.page_size, params.sort)
    me = await desk.get_operator(db_session, scope.operator_id) if scope.operator_id else None
    context = {
        **await desk_context(request, db_session, mode),
        "mode": mode,
        "path": request.url.path,
        "params": params,
        "page": Page(rows=rows, total=total, page=shown, page_size=params.page_size),
        "me": me,
        "my_operator": scope.operator_id,
        "sources": await _sources_of(db_session, scope) if mode != "my" else [],
        "operators": await desk.list_operators(db_session) if mode == "all" else [],
    }
    return render(request, "leads/contacts.html", context, block="list")


async def _sources_of(db_session: AsyncSession, scope: services.DeskScope) -> list[desk_sources.SourceView]:
    """The sources a list may be filtered by: all for managers, those an operator serves for operators."""
    sources = await desk_sources.list_sources(db_session)
    if scope.everything:
        return sources
    return [s for s in sources if scope.operator_id is not None and s.weights.get(scope.operator_id, 0) > 0]


@get("/leads/my", opt=OPERATE, include_in_schema=False)
async def my_contacts(request: Request, db_session: NamedDependency[AsyncSession]) -> Any:
    params = ListParams.from_request(request)
    status = params.get("status", "open")
    filters = services.ContactFilter(status=status if status in {"open", "closed"} else "")
    return await _contacts(request, db_session, "my", filters, "-created")


@get("/leads/queue", opt=EITHER, include_in_schema=False)
async def queue_page(request: Request, db_session: NamedDependency[AsyncSession]) -> Any:
    """The unassigned queue: all of it for managers, the sources they serve for operators (who take from it)."""
    params = ListParams.from_request(request)
    filters = services.ContactFilter(status="open", unassigned=True, source_id=_int(params.get("source")))
    return await _contacts(request, db_session, "queue", filters, "created")


@get("/leads/contacts", opt=MANAGE, include_in_schema=False)
async def contacts_page(request: Request, db_session: NamedDependency[AsyncSession]) -> Any:
    params = ListParams.from_request(request)
    operator = params.get("operator")
    status = params.get("status")
    filters = services.ContactFilter(
        status=status if status in {"open", "closed"} else "",
        unassigned=operator == "none",
        operator_id=_int(operator),
        source_id=_int(params.get("source")),
    )
    return await _contacts(request, db_session, "all", filters, "-created")


@post("/leads/my/active", opt=OPERATE, include_in_schema=False)
async def my_availability(request: Request, db_session: NamedDependency[AsyncSession]) -> Any:
    """An operator takes a break or comes back; coming back gives them waiting contacts."""
    user = current_user(request)
    operator_id = await desk.operator_id_of(db_session, user.id)
    if operator_id is None:
        raise NotFoundException()
    active = (await request.form()).get("active") == "true"
    _op, _changes, more_room = await desk.update_operator(db_session, operator_id, user, is_active=active)
    await db_session.commit()
    if more_room:
        await desk.enqueue_give_out(getattr(request.app.state, "queue", None), operator_id)
    message = _("You take new contacts again.") if active else _("You take no new contacts now.")
    if not is_htmx(request):
        toast(request, message)
        return Redirect("/leads/my", status_code=303)
    return Response(content=None, status_code=204, headers=htmx_events(toast=message, **{"leads-changed": True}))


@post("/leads/queue/give-out", opt=MANAGE, include_in_schema=False)
async def give_out_now(request: Request, db_engine: NamedDependency[AsyncEngine]) -> Any:
    """What the worker does after a close, right now (bounded); the page shows how many went out."""
    given = await queue.give_out_queue(db_engine, limit=GIVE_OUT_NOW_LIMIT)
    message = (
        _("%(n)s waiting contacts given to operators with room.", n=given)
        if given
        else _("Nobody with room for the waiting contacts.")
    )
    if not is_htmx(request):
        toast(request, message)
        return Redirect("/leads/queue", status_code=303)
    return Response(content=None, status_code=204, headers=htmx_events(toast=message, **{"leads-changed": True}))


ROUTES: list[Any] = [
    leads_page,
    lead_page,
    my_contacts,
    queue_page,
    contacts_page,
    my_availability,
    give_out_now,
]
