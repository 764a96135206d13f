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

from crm.features.leads import desk, desk_sources, distribution, services, unassigned, work
from crm.features.leads.forms import ActiveForm
from crm.features.leads.identifiers import display_phone
from crm.lib.auth import current_user
from crm.lib.deps import Db, Me
from crm.lib.export_jobs import ListSource, export
from crm.lib.exports import ExportColumn
from crm.lib.i18n import gettext as _
from crm.lib.lists import ListParams, ListQuery
from crm.lib.web import is_htmx, parse_int, render, toast

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


async def leads_source(session: AsyncSession, user: Any, params: ListParams) -> ListSource:
    filters = services.LeadFilter(q=params.get("q"), operator_id=parse_int(params.get("operator"), 1, 2**62))
    return ListSource(services.leads_query(filters, await services.desk_scope(session, user)), LEAD_EXPORT, "leads")


@get("/leads", opt=EITHER, include_in_schema=False)
async def leads_page(request: Request, me: Me, db_session: Db) -> Any:
    if not me.can(services.MANAGE):
        return Redirect("/leads/my", status_code=303)
    params = ListParams.from_request(request, default_sort="-id")
    if params.format:
        return await export(request, db_session, leads_source, params)
    page = await (await leads_source(db_session, me, params)).query.page(db_session, params)
    context = {
        **await desk_context(request, db_session, "leads"),
        "params": params,
        "page": page,
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
async def lead_page(request: Request, me: Me, lead_id: FromPath[int], db_session: Db) -> Any:
    scope = await services.desk_scope(db_session, me)
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


def _contact_filter(mode: str, params: ListParams) -> services.ContactFilter:
    if mode == "queue":
        return services.ContactFilter(status="open", unassigned=True, source_id=_int(params.get("source")))
    status = params.get("status", "open" if mode == "my" else "")
    status = status if status in {"open", "closed"} else ""
    if mode == "my":
        return services.ContactFilter(status=status)
    operator = params.get("operator")
    return services.ContactFilter(
        status=status, unassigned=operator == "none", operator_id=_int(operator), source_id=_int(params.get("source"))
    )


async def _contact_list(
    session: AsyncSession, user: Any, mode: str, params: ListParams
) -> tuple[ListQuery, services.DeskScope]:
    """The contacts of a tab (mine, the queue, all) as the scope sees them."""
    scope = await services.desk_scope(session, user)
    if mode == "my":
        scope = services.DeskScope(everything=False, operator_id=scope.operator_id)
    return services.contacts_query(_contact_filter(mode, params), scope, waiting=mode == "queue"), scope


async def my_contacts_source(session: AsyncSession, user: Any, params: ListParams) -> ListSource:
    return ListSource((await _contact_list(session, user, "my", params))[0], CONTACT_EXPORT, "contacts-my")


async def queue_source(session: AsyncSession, user: Any, params: ListParams) -> ListSource:
    return ListSource((await _contact_list(session, user, "queue", params))[0], CONTACT_EXPORT, "contacts-queue")


async def contacts_source(session: AsyncSession, user: Any, params: ListParams) -> ListSource:
    return ListSource((await _contact_list(session, user, "all", params))[0], CONTACT_EXPORT, "contacts-all")


SOURCES = {"my": my_contacts_source, "queue": queue_source, "all": contacts_source}


CONTACTS_PAGE_SIZE = 30  # a contact row is ~1 KB (lead, phone, e-mail, message, the reason's explanation): the
# list's htmx partial, refreshed every 10 s, stays under the 40 KB a partial may weigh (spec: scale targets)


async def _contacts(request: Request, db_session: AsyncSession, mode: str, default_sort: str) -> Any:
    params = ListParams.from_request(request, default_sort=default_sort)
    if not request.query_params.get("page_size"):
        params.page_size = CONTACTS_PAGE_SIZE
    if params.format:
        return await export(request, db_session, SOURCES[mode], params)
    contacts, scope = await _contact_list(db_session, current_user(request), mode, params)
    page = await contacts.page(db_session, params)
    me = await desk.get_operator(db_session, scope.operator_id) if scope.operator_id else None
    context = {
        **await desk_context(request, db_session, mode),
        "mode": mode,
        "path": request.url.path,
        "params": params,
        "page": page,
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
async def my_contacts(request: Request, db_session: Db) -> Any:
    return await _contacts(request, db_session, "my", "-created")


@get("/leads/queue", opt=EITHER, include_in_schema=False)
async def queue_page(request: Request, db_session: Db) -> Any:
    """The unassigned queue: all of it for managers, the sources they serve for operators (who take from it)."""
    return await _contacts(request, db_session, "queue", "created")


@get("/leads/contacts", opt=MANAGE, include_in_schema=False)
async def contacts_page(request: Request, db_session: Db) -> Any:
    return await _contacts(request, db_session, "all", "-created")


@post("/leads/my/active", opt=OPERATE, include_in_schema=False)
async def my_availability(request: Request, me: Me, db_session: Db) -> Any:
    """An operator takes a break or comes back; coming back gives them waiting contacts."""
    operator_id = await desk.operator_id_of(db_session, me.id)
    if operator_id is None:
        raise NotFoundException()
    active = ActiveForm.parse(await request.form()).active
    _op, _changes, more_room = await desk.update_operator(db_session, operator_id, me, is_active=active)
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
    given = await unassigned.give_out_queue(db_engine, limit=GIVE_OUT_NOW_LIMIT)
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
