"""JSON API of the lead desk: intake, contacts, operators, sources and weights, leads, statistics."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.exceptions import (
    ClientException,
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
)
from litestar.params import FromPath, HeaderParameter, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncEngine

from crm.features.leads import desk, desk_api, schemas, services, stats, work
from crm.features.leads.api_common import MANAGE, OPERATE, OPERATE_OR_MANAGE, TAGS, field_error
from crm.features.leads.intake import IntakeError, intake_contact
from crm.features.leads.models import OUTCOMES
from crm.lib.auth import current_user
from crm.lib.deps import Db, Me
from crm.lib.i18n import local_tz
from crm.lib.lists import ApiPage, PageNo, PageSize, sort_param
from crm.lib.web import parse_int


def _status(status: int, detail: str) -> HTTPException:
    if status == 401:
        return NotAuthorizedException(detail=detail)
    if status == 403:
        return PermissionDeniedException(detail=detail)
    if status == 404:
        return NotFoundException(detail=detail)
    return ClientException(status_code=status, detail=detail)


# --------------------------------------------------------------------------- intake and contacts


@post(
    "/api/v1/contacts",
    opt={"public": True},
    tags=TAGS,
    status_code=201,
    security=[{"BearerToken": []}, {}],
    summary="Record a contact of a lead and give it to an operator",
    description=(
        "Authenticated by `X-Intake-Key` (the source's key; `source_id` may then be left out) or by a user's "
        "Bearer token with the `leads.manage` permission. The lead is found by external_id, then phone, then "
        "email (Russian phones in any form are the same number), or created. 400: the source has no operator "
        "with a weight above 0; 404: unknown or inactive source; 422: malformed phone/email or no identifier."
    ),
)
async def create_contact(
    request: Request,
    data: JSONBody[schemas.ContactIn],
    db_engine: NamedDependency[AsyncEngine],
    intake_key: Annotated[
        str | None, HeaderParameter(name="X-Intake-Key", required=False, description="The intake key of the source")
    ] = None,
) -> schemas.ContactCreated:
    user = current_user(request)
    if not intake_key:
        if user is None:
            raise NotAuthorizedException(detail="Send X-Intake-Key or a Bearer token")
        if not user.can(services.MANAGE):
            raise PermissionDeniedException(detail="missing_permission")
    try:
        identity = schemas.lead_identity(data.lead)
    except schemas.FieldProblem as exc:
        raise field_error(exc.field, exc.message) from None
    try:
        result = await intake_contact(
            db_engine, identity, message=data.message, source_id=data.source_id, intake_key=intake_key or None
        )
    except IntakeError as exc:
        raise _status(exc.status, exc.detail) from None
    return schemas.contact_created(result)


def _optional_int(name: str, raw: str | None) -> int | None:
    if raw in (None, ""):
        return None
    value = parse_int(raw, 1, 2**62)
    if value is None:
        raise field_error(name, "Expected a whole number.")
    return value


@get("/api/v1/contacts", opt=OPERATE_OR_MANAGE, tags=TAGS, summary="Contacts, filtered and paged (newest first)")
async def list_contacts(
    me: Me,
    db_session: Db,
    page: PageNo = 1,
    page_size: PageSize = 50,
    sort: Annotated[str, sort_param(services.CONTACT_SORTS)] = "-created",
    status: Annotated[str, QueryParameter(description="open or closed")] = "",
    operator_id: Annotated[str, QueryParameter(description="an operator id, or 'none' for the unassigned")] = "",
    source_id: Annotated[int | None, QueryParameter(ge=1)] = None,
    lead_id: Annotated[int | None, QueryParameter(ge=1)] = None,
) -> ApiPage[schemas.ContactOut]:
    if status not in {"", "open", "closed"}:
        raise field_error("status", "Expected open or closed.")
    scope = await services.desk_scope(db_session, me)
    filters = services.ContactFilter(
        status=status,
        source_id=source_id,
        lead_id=lead_id,
        unassigned=operator_id == "none",
        operator_id=None if operator_id == "none" else _optional_int("operator_id", operator_id),
    )
    contacts = services.contacts_query(filters, scope)
    return await contacts.api(db_session, page, page_size, sort, schemas.contact_out)


@post(
    "/api/v1/contacts/{contact_id:int}/close",
    opt=OPERATE_OR_MANAGE,
    tags=TAGS,
    status_code=200,
    summary="Close a contact with its outcome and a comment (frees the operator's load; closing twice is harmless)",
    description="Outcomes: " + ", ".join(OUTCOMES) + ". The body may be left out (no outcome recorded).",
)
async def close_contact(
    request: Request,
    me: Me,
    contact_id: FromPath[int],
    db_session: Db,
    data: JSONBody[schemas.ContactCloseIn | None] = None,
) -> schemas.ContactOut:
    form = work.check_close(data.outcome if data else None, data.comment if data else "", required=False)
    for name, message in form.errors.items():
        raise field_error(name, message)
    scope = await services.desk_scope(db_session, me)
    try:
        row, changed = await work.close_contact(db_session, contact_id, scope, me, form.outcome, form.comment)
    except LookupError:
        raise NotFoundException(detail="No such contact") from None
    await db_session.commit()
    if changed and row[0].operator_id is not None:
        await desk.enqueue_give_out(getattr(request.app.state, "queue", None), row[0].operator_id)
    return schemas.contact_out(row)


@post(
    "/api/v1/contacts/{contact_id:int}/take",
    opt=OPERATE,
    tags=TAGS,
    status_code=200,
    summary="Take a waiting contact of a source you serve (409: taken by someone else, or your load is full)",
)
async def take_contact(me: Me, contact_id: FromPath[int], db_session: Db) -> schemas.ContactOut:
    operator_id = await desk.operator_id_of(db_session, me.id)
    if operator_id is None:
        raise PermissionDeniedException(detail="You are not an operator of the lead desk")
    try:
        row = await work.take_contact(db_session, contact_id, operator_id, me)
    except LookupError:
        raise NotFoundException(detail="No such contact") from None
    except work.WorkError as exc:
        await db_session.rollback()
        raise _status(exc.status, exc.text()) from None
    await db_session.commit()
    return schemas.contact_out(row)


@post(
    "/api/v1/contacts/{contact_id:int}/reopen",
    opt=OPERATE_OR_MANAGE,
    tags=TAGS,
    status_code=200,
    summary="Reopen a contact closed by mistake (its closer within an hour, or a manager of the desk)",
    description="403: too late or not yours; 409: the operator's load is at its maximum.",
)
async def reopen_contact(request: Request, me: Me, contact_id: FromPath[int], db_session: Db) -> schemas.ContactOut:
    scope = await services.desk_scope(db_session, me)
    try:
        row, changed = await work.reopen_contact(db_session, contact_id, scope, me)
    except LookupError:
        raise NotFoundException(detail="No such contact") from None
    except work.WorkError as exc:
        await db_session.rollback()
        raise _status(exc.status, exc.text()) from None
    await db_session.commit()
    if changed and row[0].operator_id is None:
        await desk.enqueue_give_out(getattr(request.app.state, "queue", None))
    return schemas.contact_out(row)


# --------------------------------------------------------------------------- leads and statistics


@get("/api/v1/leads", opt=OPERATE_OR_MANAGE, tags=TAGS, summary="Leads, searched by identifiers and paged")
async def list_leads(
    me: Me,
    db_session: Db,
    page: PageNo = 1,
    page_size: PageSize = 50,
    sort: Annotated[str, sort_param(services.LEAD_SORTS)] = "-id",
    external_id: Annotated[str, QueryParameter(max_length=255)] = "",
    phone: Annotated[str, QueryParameter(max_length=40, description="any form: 8 912 …, +7 912 …")] = "",
    email: Annotated[str, QueryParameter(max_length=255)] = "",
    q: Annotated[str, QueryParameter(max_length=255, description="phone, email, external id or name start")] = "",
) -> ApiPage[schemas.LeadOut]:
    scope = await services.desk_scope(db_session, me)
    try:
        query = services.leads_query(services.LeadFilter(q=q, external_id=external_id, phone=phone, email=email), scope)
    except services.BadFilter as exc:
        raise field_error(exc.field, exc.message) from None
    return await query.api(db_session, page, page_size, sort, lambda r: schemas.lead_out(r[0], r[1]))


def _day(name: str, raw: str | None, default: date) -> date:
    if not raw:
        return default
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise field_error(name, "Expected a date like 2026-11-01.") from None
    if not 1900 <= day.year <= 2999:
        raise field_error(name, "Expected a date like 2026-11-01.")
    return day


def period_bounds(raw_from: str | None, raw_to: str | None) -> tuple[date, date, datetime, datetime]:
    """Days [from, to] (inclusive, in the organisation's zone; the last 30 days by default) and their instants."""
    today = datetime.now(local_tz()).date()
    day_to = _day("to", raw_to, today)
    day_from = _day("from", raw_from, day_to - timedelta(days=29))
    if day_from > day_to:
        raise field_error("from", "The start is after the end.")
    zone = local_tz()
    start = datetime(day_from.year, day_from.month, day_from.day, tzinfo=zone)
    end_day = day_to + timedelta(days=1)
    return day_from, day_to, start, datetime(end_day.year, end_day.month, end_day.day, tzinfo=zone)


@get(
    "/api/v1/leads/stats",
    opt=MANAGE,
    tags=TAGS,
    summary="Per source and operator: contacts, actual share, share expected by weight",
)
async def lead_stats(
    db_session: Db,
    date_from: Annotated[str | None, QueryParameter(name="from", description="YYYY-MM-DD, default 30 days ago")] = None,
    date_to: Annotated[str | None, QueryParameter(name="to", description="YYYY-MM-DD inclusive, default today")] = None,
) -> schemas.StatsOut:
    day_from, day_to, start, end = period_bounds(date_from, date_to)
    rows, totals = await stats.distribution_stats(db_session, day_from, day_to, start, end)
    return schemas.StatsOut(
        date_from=day_from.isoformat(),
        date_to=day_to.isoformat(),
        rows=[schemas.ShareOut(**vars(r)) for r in rows],
        sources=[schemas.SourceTotalOut(**vars(t)) for t in totals],
    )


@get("/api/v1/leads/{lead_id:int}", opt=OPERATE_OR_MANAGE, tags=TAGS, summary="A lead with its contacts and merges")
async def get_lead(me: Me, lead_id: FromPath[int], db_session: Db) -> schemas.LeadDetail:
    scope = await services.desk_scope(db_session, me)
    card = await services.lead_card(db_session, lead_id, scope)
    if card is None:
        target = await services.merged_into(db_session, lead_id)
        if target is not None and scope.everything:
            raise NotFoundException(detail=f"The lead was merged into lead {target}")
        raise NotFoundException(detail="No such lead")
    return schemas.LeadDetail(
        lead=schemas.lead_out(card.lead, card.operator_name),
        contacts=[schemas.contact_out(r) for r in card.contacts],
        merges=[
            schemas.MergeOut(
                merged_lead_id=m.merged_lead_id,
                merged_identifiers=m.merged_identifiers,
                contacts_moved=m.contacts_moved,
                created_at=m.created_at,
            )
            for m in card.merges
        ],
    )


ROUTES: list[Any] = [
    create_contact, list_contacts, close_contact, take_contact, reopen_contact, list_leads, lead_stats, get_lead,
    *desk_api.ROUTES,
]  # fmt: skip
