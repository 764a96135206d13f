"""JSON API of strategies: list, read, create (with its first task), change. Creating and changing need
``strategies.manage``; reading is for whoever sees the strategy (owner, their heads, people with its tasks)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

import msgspec
from litestar import Request, get, patch, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.tasks import strategies as rules
from crm.features.tasks.api import invalid
from crm.features.tasks.models import Strategy
from crm.features.tasks.scope import visible_strategy
from crm.lib.auth import current_user
from crm.lib.deps import Db, Me
from crm.lib.lists import ApiPage, ListQuery, PageNo, PageSize, api_page, sort_param
from crm.lib.web import FormErrors

TAGS = ["strategies"]
SEE = {"permission": ("tasks.work", "strategies.manage", "goals.view")}
MANAGE = {"permission": "strategies.manage"}
FIELDS = {*rules.SCALARS, "goal_ids", "client_ids"}
SORTS = {
    "name": Strategy.name,
    "state": Strategy.state,
    "starts_on": Strategy.starts_on,
    "id": Strategy.id,
    "created_at": Strategy.created_at,
}


class StrategyOut(msgspec.Struct):
    id: int
    name: str
    description: str
    state: str
    owner_id: uuid.UUID | None
    goal_ids: list[int]
    client_ids: list[int]
    starts_on: date | None
    ends_on: date | None
    cost: Decimal | None
    expected_result: Decimal | None
    actual_result: Decimal | None
    tasks_total: int
    tasks_done: int
    roi: float | None
    created_at: datetime
    first_task_id: int | None = None


async def outs(session: AsyncSession, rows: list[Strategy]) -> list[StrategyOut]:
    ids = [s.id for s in rows]
    linked = await rules.links(session, ids)
    done = await rules.progress(session, ids)
    return [
        StrategyOut(
            id=s.id,
            name=s.name,
            description=s.description,
            state=s.state,
            owner_id=s.owner_id,
            goal_ids=linked[s.id]["goal_ids"],
            client_ids=linked[s.id]["client_ids"],
            starts_on=s.starts_on,
            ends_on=s.ends_on,
            cost=s.cost,
            expected_result=s.expected_result,
            actual_result=s.actual_result,
            tasks_total=done[s.id][0],
            tasks_done=done[s.id][1],
            roi=rules.roi(s),
            created_at=s.created_at,
        )
        for s in rows
    ]


async def strategy_or_404(session: AsyncSession, request: Request, strategy_id: int) -> Strategy:
    strategy = await visible_strategy(session, current_user(request), strategy_id)
    if strategy is None:
        raise NotFoundException(detail="no such strategy in your scope")
    return strategy


@get("/api/v1/strategies", opt=SEE, tags=TAGS, summary="Strategies you see")
async def list_strategies(
    me: Me,
    db_session: Db,
    page: PageNo = 1,
    page_size: PageSize = 50,
    sort: Annotated[str, sort_param(SORTS)] = "-id",
    state_: Annotated[str, QueryParameter(name="state", description="one of " + ", ".join(rules.STATES))] = "",
) -> ApiPage[StrategyOut]:
    state = state_
    if state and state not in rules.STATES:
        errors = FormErrors()
        errors.add("state", "one of " + ", ".join(rules.STATES))
        raise invalid(errors)
    stmt = await rules.strategy_query(db_session, me)
    if state:
        stmt = stmt.where(Strategy.state == state)
    shown = await ListQuery(stmt, SORTS, "-id", Strategy.id).api_fetch(db_session, page, page_size, sort)
    return api_page(shown, await outs(db_session, list(shown.rows)))


@get("/api/v1/strategies/{strategy_id:int}", opt=SEE, tags=TAGS, summary="One strategy with progress and ROI")
async def read_strategy(request: Request, db_session: Db, strategy_id: FromPath[int]) -> StrategyOut:
    return (await outs(db_session, [await strategy_or_404(db_session, request, strategy_id)]))[0]


@post(
    "/api/v1/strategies",
    opt=MANAGE,
    tags=TAGS,
    summary="Create a strategy and its first task",
    description="`first_task` `{title, assignee_id, due_at}` is optional: without it (or for the parts left out) "
    "the first task is the strategy's name, assigned to its owner, due a week from today.",
)
async def create_strategy(me: Me, db_session: Db, data: JSONBody[dict[str, Any]]) -> StrategyOut:
    parsed = rules.read_strategy(data, partial=False)
    for key in sorted(set(data) - FIELDS - {"first_task"}):
        parsed.errors.add(key, "unknown field")
    if not parsed.errors:
        await rules.check_strategy(db_session, me, parsed, None)
    if parsed.errors:
        raise invalid(parsed.errors)
    strategy, task = await rules.create_strategy(db_session, me, parsed)
    await db_session.commit()
    out = (await outs(db_session, [strategy]))[0]
    out.first_task_id = task.id
    return out


@patch("/api/v1/strategies/{strategy_id:int}", opt=MANAGE, tags=TAGS, summary="Change some fields of a strategy")
async def change_strategy(
    request: Request,
    me: Me,
    db_session: Db,
    strategy_id: FromPath[int],
    data: JSONBody[dict[str, Any]],
) -> StrategyOut:
    strategy = await strategy_or_404(db_session, request, strategy_id)
    parsed = rules.read_strategy(data, partial=True)
    for key in sorted(set(data) - FIELDS):
        parsed.errors.add(key, "unknown field")
    if not parsed.errors:
        await rules.check_strategy(db_session, me, parsed, strategy)
    if parsed.errors:
        raise invalid(parsed.errors)
    await rules.update_strategy(db_session, strategy, parsed)
    await db_session.commit()
    return (await outs(db_session, [strategy]))[0]


ROUTES: list[Any] = [list_strategies, read_strategy, create_strategy, change_strategy]
