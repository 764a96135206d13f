"""JSON API of the desk's set-up: operators (profiles of users, with their load) and sources with weights."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get, patch, post, put
from litestar.exceptions import ClientException, NotFoundException
from litestar.params import FromPath, JSONBody
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts.models import User
from crm.features.leads import desk, desk_sources, schemas
from crm.features.leads.api_common import MANAGE, TAGS, field_error
from crm.features.leads.models import LeadOperator, LeadSource
from crm.lib.deps import Db, Me
from crm.lib.lists import ApiPage, ListQuery, PageNo, PageSize, api_page, sort_param

OPERATORS = ListQuery(
    select(LeadOperator.id).join(User, User.id == LeadOperator.user_id),
    {
        "name": func.lower(User.name),
        "email": User.email,
        "load": LeadOperator.open_count,
        "max_load": LeadOperator.max_load,
        "active": LeadOperator.is_active,
        "id": LeadOperator.id,
    },
    default="name",
    tiebreak=LeadOperator.id,
)
SOURCES = ListQuery(
    select(LeadSource.id),
    {"name": func.lower(LeadSource.name), "created": LeadSource.created_at, "active": LeadSource.is_active},
    default="name",
    tiebreak=LeadSource.id,
)


def _in_order(views: list[Any], ids: Any) -> list[Any]:
    by_id = {v.id: v for v in views}
    return [by_id[i] for i in ids if i in by_id]


# --------------------------------------------------------------------------- operators


@get("/api/v1/operators", opt=MANAGE, tags=TAGS, summary="Operators with their current load and weights")
async def list_operators(
    db_session: Db,
    page: PageNo = 1,
    page_size: PageSize = 50,
    sort: Annotated[str, sort_param(OPERATORS)] = "name",
) -> ApiPage[schemas.OperatorOut]:
    shown = await OPERATORS.api_fetch(db_session, page, page_size, sort)
    views = await desk.list_operators(db_session, list(shown.rows))
    return api_page(shown, [schemas.operator_out(v) for v in _in_order(views, shown.rows)])


async def _operator(db_session: AsyncSession, operator_id: int) -> schemas.OperatorOut:
    view = await desk.get_operator(db_session, operator_id)
    if view is None:
        raise NotFoundException(detail="No such operator")
    return schemas.operator_out(view)


@get("/api/v1/operators/{operator_id:int}", opt=MANAGE, tags=TAGS, summary="One operator")
async def get_operator(operator_id: FromPath[int], db_session: Db) -> schemas.OperatorOut:
    return await _operator(db_session, operator_id)


@post("/api/v1/operators", opt=MANAGE, tags=TAGS, status_code=201, summary="Put a user on the desk as an operator")
async def create_operator(me: Me, data: JSONBody[schemas.OperatorIn], db_session: Db) -> schemas.OperatorOut:
    if data.user_id is not None:
        user = await db_session.get(User, data.user_id)
    elif data.email:
        user = await db_session.scalar(select(User).where(User.email == data.email.strip().lower()))
    else:
        raise field_error("user_id", "Give user_id or email of an existing user.")
    if user is None:
        raise field_error("user_id" if data.user_id else "email", "No such user.")
    try:
        operator = await desk.create_operator(db_session, user, me, max_load=data.max_load, is_active=data.is_active)
    except desk.DeskError as exc:
        raise field_error(exc.field, exc.text()) from None
    await db_session.commit()
    return await _operator(db_session, operator.id)


@patch("/api/v1/operators/{operator_id:int}", opt=MANAGE, tags=TAGS, summary="Change name, is_active, max_load")
async def patch_operator(
    request: Request,
    me: Me,
    operator_id: FromPath[int],
    data: JSONBody[schemas.OperatorPatch],
    db_session: Db,
) -> schemas.OperatorOut:
    try:
        _op, _changes, more_room = await desk.update_operator(
            db_session,
            operator_id,
            me,
            name=data.name,
            is_active=data.is_active,
            max_load=data.max_load,
        )
    except LookupError:
        raise NotFoundException(detail="No such operator") from None
    except desk.DeskError as exc:
        raise field_error(exc.field, exc.text()) from None
    await db_session.commit()
    if more_room:
        await desk.enqueue_give_out(getattr(request.app.state, "queue", None), operator_id)
    return await _operator(db_session, operator_id)


# --------------------------------------------------------------------------- sources and weights


@get("/api/v1/sources", opt=MANAGE, tags=TAGS, summary="Sources with their weights (keys are never shown)")
async def list_sources(
    db_session: Db,
    page: PageNo = 1,
    page_size: PageSize = 50,
    sort: Annotated[str, sort_param(SOURCES)] = "name",
) -> ApiPage[schemas.SourceOut]:
    shown = await SOURCES.api_fetch(db_session, page, page_size, sort)
    views = await desk_sources.list_sources(db_session, list(shown.rows))
    return api_page(shown, [schemas.source_out(v) for v in _in_order(views, shown.rows)])


@post(
    "/api/v1/sources",
    opt=MANAGE,
    tags=TAGS,
    status_code=201,
    summary="Create a source; the answer carries its intake key, shown this once",
)
async def create_source(me: Me, data: JSONBody[schemas.SourceIn], db_session: Db) -> schemas.SourceOut:
    try:
        source, raw = await desk_sources.create_source(db_session, data.name, me)
    except desk.DeskError as exc:
        raise field_error(exc.field, exc.text()) from None
    await db_session.commit()
    return await _source(db_session, source.id, raw)


async def _source(db_session: AsyncSession, source_id: int, intake_key: str | None = None) -> schemas.SourceOut:
    view = await desk_sources.get_source(db_session, source_id)
    if view is None:
        raise NotFoundException(detail="No such source")
    return schemas.source_out(view, intake_key=intake_key)


@get("/api/v1/sources/{source_id:int}", opt=MANAGE, tags=TAGS, summary="One source")
async def get_source(source_id: FromPath[int], db_session: Db) -> schemas.SourceOut:
    return await _source(db_session, source_id)


@patch("/api/v1/sources/{source_id:int}", opt=MANAGE, tags=TAGS, summary="Rename, activate or deactivate a source")
async def patch_source(
    me: Me,
    source_id: FromPath[int],
    data: JSONBody[schemas.SourcePatch],
    db_session: Db,
) -> schemas.SourceOut:
    try:
        await desk_sources.update_source(db_session, source_id, me, name=data.name, is_active=data.is_active)
    except LookupError:
        raise NotFoundException(detail="No such source") from None
    except desk.DeskError as exc:
        raise field_error(exc.field, exc.text()) from None
    await db_session.commit()
    return await _source(db_session, source_id)


@post(
    "/api/v1/sources/{source_id:int}/intake-key",
    opt=MANAGE,
    tags=TAGS,
    status_code=200,
    summary="Issue a new intake key (the old one stops working); shown this once",
)
async def rotate_key(me: Me, source_id: FromPath[int], db_session: Db) -> schemas.SourceOut:
    try:
        raw = await desk_sources.rotate_intake_key(db_session, source_id, me)
    except LookupError:
        raise NotFoundException(detail="No such source") from None
    await db_session.commit()
    return await _source(db_session, source_id, raw)


@put(
    "/api/v1/sources/{source_id:int}/competences",
    opt=MANAGE,
    tags=TAGS,
    status_code=200,
    summary="Replace the source's weights: [{operator_id, weight}, …]; an unknown operator → 400",
)
async def put_competences(
    request: Request,
    me: Me,
    source_id: FromPath[int],
    data: JSONBody[list[schemas.CompetenceIn]],
    db_session: Db,
) -> list[schemas.CompetenceOut]:
    try:
        wanted = await desk_sources.replace_competences(
            db_session, source_id, [(c.operator_id, c.weight) for c in data], me
        )
    except LookupError:
        raise NotFoundException(detail="No such source") from None
    except desk.DeskError as exc:
        if exc.field == "operator_id":
            raise ClientException(status_code=400, detail=exc.text()) from None
        raise field_error(exc.field, exc.text()) from None
    await db_session.commit()
    if any(w > 0 for w in wanted.values()):
        await desk.enqueue_give_out(getattr(request.app.state, "queue", None))
    return [schemas.CompetenceOut(operator_id=op, weight=w) for op, w in sorted(wanted.items())]


ROUTES: list[Any] = [
    list_operators, get_operator, create_operator, patch_operator, list_sources, create_source, get_source,
    patch_source, rotate_key, put_competences,
]  # fmt: skip
