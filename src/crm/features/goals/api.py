"""JSON API of goals and the sales analysis (spec/goals.md, "Contracts"). Row scope as on the pages: a manager sees
their own goals and clients, a head their department subtree, ``scope.all`` everything; anything else is a 404."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

import msgspec
from litestar import delete, get, patch, post, put
from litestar.datastructures import MultiDict
from litestar.exceptions import NotFoundException, PermissionDeniedException, ValidationException
from litestar.params import FromPath, FromQuery, QueryParameter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts.models import User
from crm.features.goals import analysis, overrides, services
from crm.features.goals.models import VARIABLES, Goal
from crm.features.goals.scope import Scope, scope_for
from crm.lib.deps import Db, Me
from crm.lib.i18n import gettext as _
from crm.lib.lists import ApiPage, ListParams, ListQuery, PageNo, PageSize, api_page, sort_param

TAGS = ["goals"]
VIEW = {"permission": "goals.view"}
MANAGE = {"permission": "goals.manage"}


def invalid(errors: dict[str, str]) -> ValidationException:
    extra = [{"key": k, "message": _(v)} for k, v in errors.items()]
    return ValidationException(detail="; ".join(f"{e['key']}: {e['message']}" for e in extra), extra=extra)


def bad(field: str, message: str) -> ValidationException:
    return ValidationException(detail=f"{field}: {message}", extra=[{"key": field, "message": message}])


def _num(value: Decimal | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


async def goal_json(session: AsyncSession, goals: list[Goal]) -> list[dict[str, Any]]:
    targets = await services.targets_of(session, [g.id for g in goals])
    ids = {g.responsible_id for g in goals if g.responsible_id}
    names = {}
    if ids:
        rows = (await session.execute(select(User.id, User.name, User.email).where(User.id.in_(ids)))).all()
        names = {i: n or e for i, n, e in rows}
    return [
        {
            "id": g.id,
            "name": g.name,
            "variable": g.variable,
            "family": g.family,
            "responsible_id": str(g.responsible_id) if g.responsible_id else None,
            "responsible": names.get(g.responsible_id) if g.responsible_id else None,
            "year": g.year,
            "targets": {str(m): _num(targets[g.id].get(m, Decimal(0))) for m in services.MONTHS},
            "total": _num(sum(targets[g.id].values(), Decimal(0))),
        }
        for g in goals
    ]


def _manage(user: Any) -> None:
    if not user.can("goals.manage"):
        raise PermissionDeniedException(detail="goals.manage is required")


class GoalOut(msgspec.Struct):
    id: int
    name: str
    variable: str
    family: str | None
    responsible_id: str | None
    responsible: str | None
    year: int
    targets: dict[str, float | int | None]
    total: float | int | None


GOAL_SORTS = {"year": Goal.year, "variable": Goal.variable, "family": Goal.family, "id": Goal.id}


@get("/api/v1/goals", opt=VIEW, tags=TAGS, summary="Goals in scope, filtered and paged")
async def api_goals(
    me: Me,
    db_session: Db,
    page: PageNo = 1,
    page_size: PageSize = 50,
    sort: Annotated[str, sort_param(GOAL_SORTS)] = "id",
    year: Annotated[int | None, QueryParameter(ge=2000, le=2100, description="YYYY")] = None,
    variable: Annotated[str, QueryParameter(description="one of " + ", ".join(VARIABLES))] = "",
    family: Annotated[str | None, QueryParameter(description="product family ('' for goals of every family)")] = None,
    responsible_id: Annotated[str, QueryParameter(description="the responsible user's id (uuid)")] = "",
) -> ApiPage[GoalOut]:
    stmt = services.scoped_goals(await scope_for(db_session, me))
    if year is not None:
        stmt = stmt.where(Goal.year == year)
    if variable:
        if variable not in VARIABLES:
            raise bad("variable", f"one of {', '.join(VARIABLES)}")
        stmt = stmt.where(Goal.variable == variable)
    if family is not None:
        stmt = stmt.where(Goal.family == family)
    if responsible_id:
        stmt = stmt.where(Goal.responsible_id == _uuid("responsible_id", responsible_id))
    shown = await ListQuery(stmt, GOAL_SORTS, "id", Goal.id).api_fetch(db_session, page, page_size, sort)
    rows = await goal_json(db_session, list(shown.rows))
    return api_page(shown, [GoalOut(**row) for row in rows])


def _uuid(field: str, raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise bad(field, "expected a user id (UUID)") from None


async def _goal(session: AsyncSession, scope: Scope, goal_id: int) -> Goal:
    goal = await services.visible_goal(session, scope, goal_id)
    if goal is None:
        raise NotFoundException(detail=f"no goal {goal_id} in your scope")
    return goal


@post("/api/v1/goals", opt=VIEW, tags=TAGS, summary="Create a goal with its monthly targets", status_code=201)
async def api_goal_create(me: Me, db_session: Db, data: dict[str, Any]) -> dict[str, Any]:
    _manage(me)
    scope = await scope_for(db_session, me)
    goal_in, errors = await services.check(db_session, scope, data)
    if not errors and await services.duplicate(db_session, goal_in):
        errors["variable"] = "This person already has a goal for this variable, family and year."
    if errors:
        raise invalid(errors)
    goal = await services.create(db_session, me, goal_in)
    return (await goal_json(db_session, [goal]))[0]


@get("/api/v1/goals/{goal_id:int}", opt=VIEW, tags=TAGS, summary="A goal")
async def api_goal(me: Me, db_session: Db, goal_id: FromPath[int]) -> dict[str, Any]:
    scope = await scope_for(db_session, me)
    return (await goal_json(db_session, [await _goal(db_session, scope, goal_id)]))[0]


@patch("/api/v1/goals/{goal_id:int}", opt=VIEW, tags=TAGS, summary="Change a goal (targets given are replaced whole)")
async def api_goal_update(me: Me, db_session: Db, goal_id: FromPath[int], data: dict[str, Any]) -> dict[str, Any]:
    scope = await scope_for(db_session, me)
    goal = await _goal(db_session, scope, goal_id)
    _manage(me)
    goal_in, errors = await services.check(db_session, scope, data, partial=goal)
    if not errors and await services.duplicate(db_session, goal_in, except_id=goal.id):
        errors["variable"] = "This person already has a goal for this variable, family and year."
    if errors:
        raise invalid(errors)
    if "targets" in data:
        current = (await services.targets_of(db_session, [goal.id]))[goal.id]
        goal_in.targets = {**current, **goal_in.targets}
    await services.update(db_session, me, goal, goal_in, targets_given="targets" in data)
    return (await goal_json(db_session, [goal]))[0]


@delete("/api/v1/goals/{goal_id:int}", opt=VIEW, tags=TAGS, summary="Delete a goal", status_code=204)
async def api_goal_delete(me: Me, db_session: Db, goal_id: FromPath[int]) -> None:
    goal = await _goal(db_session, await scope_for(db_session, me), goal_id)
    _manage(me)
    await services.remove(db_session, me, goal)


@post(
    "/api/v1/goals/{goal_id:int}/repeat",
    opt=VIEW,
    tags=TAGS,
    status_code=200,
    summary="Fill the months from `from_month` with a value or by growth",
    description='{"from_month": 3, "value": 120000} or {"from_month": 3, "grow_percent": 5}',
)
async def api_goal_repeat(me: Me, db_session: Db, goal_id: FromPath[int], data: dict[str, Any]) -> dict[str, Any]:
    scope = await scope_for(db_session, me)
    goal = await _goal(db_session, scope, goal_id)
    _manage(me)
    raw_month = data.get("from_month")
    if not isinstance(raw_month, int) or isinstance(raw_month, bool) or not 1 <= raw_month <= 12:
        raise bad("from_month", "a month from 1 to 12")
    value = grow = None
    if data.get("value") is not None:
        value = services.parse_target(data["value"])
        if value is None:
            raise bad("value", "a number from 0")
    if data.get("grow_percent") is not None:
        raw = data["grow_percent"]
        grow = services.parse_decimal(str(raw)) if not isinstance(raw, bool) else None
        if grow is None or not Decimal(-100) <= grow <= Decimal(1000):
            raise bad("grow_percent", "a percentage from -100 to 1000")
    if value is None and grow is None:
        raise bad("value", "give value or grow_percent")
    current = (await services.targets_of(db_session, [goal.id]))[goal.id]
    filled = services.fill(current, raw_month, value, grow)
    if any(v >= services.MAX_TARGET for v in filled.values()):
        raise bad("grow_percent", "the targets would grow too large")
    goal_in = services.GoalInput(goal.variable, goal.family, goal.responsible_id, goal.year, goal.name, filled)
    await services.update(db_session, me, goal, goal_in, targets_given=True)
    return (await goal_json(db_session, [goal]))[0]


# --------------------------------------------------------------------------- analysis


def read_month(raw: str) -> date:
    year, _sep, month = raw.partition("-")
    if len(year) == 4 and year.isdigit() and len(month) == 2 and month.isdigit():
        y, m = int(year), int(month)
        if 2000 <= y <= 2100 and 1 <= m <= 12:
            return date(y, m, 1)
    raise bad("month", "expected YYYY-MM, a year from 2000 to 2100")


def read_variable(raw: str) -> str:
    variable = raw or "revenue"
    if variable not in VARIABLES:
        raise bad("variable", f"one of {', '.join(VARIABLES)}")
    return variable


def read_query(params: ListParams) -> analysis.Query:
    """The client table's query from URL parameters (pages and API): variable, month, family, sort (repeated or
    comma separated, two levels), abc, category, person, and filters f1..f3 as ``field:op:value``."""
    month_raw = params.get("month")
    if not month_raw:
        raise bad("month", "expected YYYY-MM")
    query = analysis.Query(variable=read_variable(params.get("variable")), month=read_month(month_raw))
    query.family = params.get("family")[:80]
    try:
        query.sort = analysis.parse_sort(params.query.getall("sort", []))
        for n in (1, 2, 3):
            raw = params.get(f"f{n}")
            if raw:
                field, _sep, rest = raw.partition(":")
                op, _sep, value = rest.partition(":")
                query.filters.append(analysis.parse_filter(field, op, value))
        if params.get("abc"):
            query.filters.append(analysis.parse_filter("abc", "eq", params.get("abc")))
        if params.get("category"):
            query.filters.append(analysis.parse_filter("category", "eq", params.get("category")))
    except analysis.BadInput as exc:
        raise bad(exc.field, exc.message) from None
    if len(query.filters) > analysis.MAX_FILTERS:
        raise bad("filter", "at most 3 filters")
    person = params.get("person")
    if person:
        query.person = _uuid("person", person)
    return query


@get(
    "/api/v1/analysis/clients",
    opt=VIEW,
    tags=TAGS,
    summary="Clients of a month with revenue, I1–I4, ABC, category (automatic or manual), reason, last purchase",
)
async def api_analysis_clients(
    me: Me,
    db_session: Db,
    month: Annotated[str, QueryParameter(description="YYYY-MM")],
    page: PageNo = 1,
    page_size: PageSize = 50,
    sort: Annotated[
        list[str] | None,
        QueryParameter(description="up to two levels (repeated or comma separated): revenue, i1..i4, name, …"),
    ] = None,
    variable: Annotated[str, QueryParameter(description="one of " + ", ".join(VARIABLES))] = "revenue",
    family: FromQuery[str] = "",
    f1: Annotated[str, QueryParameter(description="a filter field:op:value")] = "",
    f2: FromQuery[str] = "",
    f3: FromQuery[str] = "",
    abc: FromQuery[str] = "",
    category: FromQuery[str] = "",
    person: Annotated[str, QueryParameter(description="a responsible user's id (uuid)")] = "",
) -> ApiPage[AnalysisRowOut]:
    given = {"month": month, "variable": variable, "family": family, "f1": f1, "f2": f2, "f3": f3}
    given |= {"abc": abc, "category": category, "person": person}
    items = [(k, v) for k, v in given.items() if v] + [("sort", v) for v in sort or []]
    query = read_query(ListParams(query=MultiDict(items)))
    scope = await scope_for(db_session, me)
    shown = await analysis.table_page(db_session, scope, query, page, page_size, clamp=False)
    return api_page(shown, [AnalysisRowOut(**analysis.row_json(r)) for r in shown.rows])


class AnalysisRowOut(msgspec.Struct):
    client_id: int
    code: str
    name: str
    revenue: float
    i1: float | None
    i2: float | None
    i3: float | None
    i4: float | None
    abc: str | None
    category: str | None
    reason: str | None
    category_manual: bool
    last_purchase: str | None
    responsible: str | None


@put(
    "/api/v1/analysis/clients/{client_id:int}/category",
    opt=VIEW,
    tags=TAGS,
    summary="Set a client's category and reason by hand",
    description='{"variable", "category", "reason"}; a null category goes back to the automatic one',
)
async def api_analysis_override(
    me: Me, db_session: Db, client_id: FromPath[int], data: dict[str, Any]
) -> dict[str, Any]:
    scope = await scope_for(db_session, me)
    if not await overrides.client_in_scope(db_session, scope, client_id):
        raise NotFoundException(detail=f"no client {client_id} in your scope")
    variable = read_variable(str(data.get("variable") or ""))
    category, reason = data.get("category"), data.get("reason")
    if not isinstance(category, str | None) or not isinstance(reason, str | None):
        raise bad("category", "category and reason are names (text) or null")
    errors = await overrides.set_override(db_session, me, client_id, variable, category, reason)
    if errors:
        raise invalid(errors)
    return {
        "client_id": client_id,
        "variable": variable,
        "category": category or None,
        "reason": reason or None,
        "category_manual": bool(category),
    }


@get("/api/v1/analysis/summary", opt=VIEW, tags=TAGS, summary="Target vs actual by month for a variable and a year")
async def api_analysis_summary(
    me: Me,
    db_session: Db,
    year: Annotated[str, QueryParameter(description="YYYY, 2000 to 2100")],
    variable: Annotated[str, QueryParameter(description="one of " + ", ".join(VARIABLES))] = "revenue",
    family: Annotated[str, QueryParameter(max_length=80, description="product family")] = "",
    person: Annotated[str, QueryParameter(description="a responsible user's id (uuid)")] = "",
) -> dict[str, Any]:
    variable, year, family = read_variable(variable), year.strip(), family.strip()
    if not (year.isdigit() and len(year) == 4 and 2000 <= int(year) <= 2100):
        raise bad("year", "expected YYYY, 2000 to 2100")
    who = _uuid("person", person) if person else None
    scope = await scope_for(db_session, me)
    months, total = await analysis.summary(db_session, scope, variable, int(year), family, who)

    def out(m: analysis.MonthFigure, label: str) -> dict[str, Any]:
        return {"month": label, "target": _num(m.target), "actual": _num(m.actual), "percent": _num(m.percent)}

    return {
        "variable": variable,
        "year": int(year),
        "family": family,
        "months": [out(m, f"{year}-{m.month:02d}") for m in months],
        "total": out(total, year),
    }


ROUTES: list[Any] = [
    api_goals,
    api_goal_create,
    api_goal,
    api_goal_update,
    api_goal_delete,
    api_goal_repeat,
    api_analysis_clients,
    api_analysis_override,
    api_analysis_summary,
]
