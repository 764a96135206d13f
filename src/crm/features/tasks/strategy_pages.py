"""Strategy pages: the list, the form (prefilled from the entry points' query string, with the first task proposed
and editable) and the strategy's page (tasks and progress, the clients' sales impact, ROI, comments)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts import people
from crm.features.accounts.models import User
from crm.features.goals.models import Goal
from crm.features.sales.models import ErpClient
from crm.features.tasks import comments as threads
from crm.features.tasks import services, strategies, views
from crm.features.tasks.comment_pages import post_comment
from crm.features.tasks.forms import StrategyForm
from crm.features.tasks.models import STATES, Strategy, Task
from crm.features.tasks.scope import task_clause, visible_strategy
from crm.lib.auth import current_user
from crm.lib.deps import Db, Me
from crm.lib.i18n import N_, local_tz
from crm.lib.i18n import gettext as _
from crm.lib.lists import ListParams, ListQuery
from crm.lib.web import render, toast

SEE = {"permission": ("tasks.work", "strategies.manage", "goals.view")}
MANAGE = {"permission": "strategies.manage"}
SORTS = {
    "name": Strategy.name,
    "state": Strategy.state,
    "starts_on": Strategy.starts_on,
    "created_at": Strategy.created_at,
}


@get("/strategies", opt=SEE, include_in_schema=False)
async def strategy_list(request: Request, me: Me, db_session: Db) -> Any:
    params = ListParams.from_request(request, default_sort="-created_at")
    stmt = await strategies.strategy_query(db_session, me)
    state = params.get("state")
    if state in STATES:
        stmt = stmt.where(Strategy.state == state)
    if params.get("q"):
        stmt = stmt.where(Strategy.name.ilike(f"%{params.get('q')[:100]}%"))
    page = await ListQuery(stmt, SORTS, "-created_at", Strategy.id).page(db_session, params)
    ids = [s.id for s in page.rows]
    owners = {s.owner_id for s in page.rows if s.owner_id}
    owner_names = (
        {
            i: n or e
            for i, n, e in (
                await db_session.execute(select(User.id, User.name, User.email).where(User.id.in_(owners)))
            ).all()
        }
        if owners
        else {}
    )
    context = {
        "params": params,
        "page": page,
        "progress": await strategies.progress(db_session, ids),
        "roi": strategies.roi,
        "owners": owner_names,
        "state_labels": strategies.STATE_LABELS,
        "states": STATES,
        "can_manage": me.can("strategies.manage"),
    }
    return render(request, "tasks/strategies.html", context, block="list")


GOAL_VARIABLES = {  # the goals' indicators, as the analysis names them
    "revenue": N_("Revenue"),
    "client_count": N_("Client count"),
    "new_clients": N_("New clients"),
    "non_retained_clients": N_("Non-retained clients"),
}


def _goal_label(goal: Goal, names: dict[str, str]) -> str:
    """A goal in the picker: its name, or its indicator, family, person and year ("Выручка · Краски · Мария · 2026")
    rather than the internal key ("revenue 2026"), so that goals of the same indicator can be told apart."""
    if goal.name:
        return goal.name
    parts = [_(GOAL_VARIABLES.get(goal.variable, goal.variable)), goal.family, names.get(str(goal.responsible_id), "")]
    return " · ".join([p for p in parts if p] + [str(goal.year)])


async def _options(session: AsyncSession, user: Any, client_ids: list[int], goal_ids: list[int]) -> dict[str, Any]:
    clients = (
        (await session.execute(select(ErpClient.id, ErpClient.name).where(ErpClient.id.in_(client_ids)))).all()
        if client_ids
        else []
    )
    first = Goal.id.in_(goal_ids) if goal_ids else Goal.id.is_(None)
    goal_stmt = select(Goal).order_by(first.desc(), Goal.year.desc(), Goal.name).limit(200)
    goals = (await session.scalars(goal_stmt)).all()
    responsible = {g.responsible_id for g in goals if g.responsible_id}
    names = (
        {
            str(i): n or e
            for i, n, e in (
                await session.execute(select(User.id, User.name, User.email).where(User.id.in_(responsible)))
            ).all()
        }
        if responsible
        else {}
    )
    return {
        "client_choices": [(cid, name) for cid, name in clients],
        "goal_choices": [(g.id, _goal_label(g, names)) for g in goals],
        "state_options": [(s, _(strategies.STATE_LABELS[s])) for s in STATES],
    }


PEOPLE_FIELDS = ("owner_id", "first_assignee_id")  # the form's person pickers
PICKERS = people.Pickers.of(*PEOPLE_FIELDS)


def _ints(values: list[str]) -> list[int]:
    return [int(v) for v in values if v.strip().isdigit() and 0 < int(v) < 2**63]


@get("/strategies/new", opt=MANAGE, include_in_schema=False)
async def new_strategy(request: Request, me: Me, db_session: Db) -> Any:
    q = request.query_params
    client_ids = _ints(q.getall("client_id", []))
    goal_ids = _ints(q.getall("goal_id", []))
    options = await _options(db_session, me, client_ids, goal_ids)
    names = [name for _cid, name in options["client_choices"]]
    name = q.get("name") or (_("Work with %(clients)s", clients=", ".join(names[:3])) if names else "")
    proposal = strategies.proposed_first_task(name, me.id)
    values = {
        "name": name,
        "state": "planned",
        "owner_id": str(me.id),
        "client_ids": [str(c) for c, _n in options["client_choices"]],
        "goal_ids": [str(g) for g in goal_ids],
        "first_title": name,
        "first_assignee_id": str(me.id),
        "first_due_at": proposal["due_at"].astimezone(local_tz()).strftime("%Y-%m-%dT%H:%M"),
    }
    pickers = await people.shown(db_session, me, values, *PEOPLE_FIELDS)
    context = {"values": values, "errors": {}, "strategy": None, **options, **pickers}
    return render(request, "tasks/strategy_form.html", context)


async def _save(request: Request, session: AsyncSession, strategy: Strategy | None) -> Any:
    user = current_user(request)
    picks = await PICKERS.parse(await request.form()).resolve(session, user)
    form = picks.apply(StrategyForm.parse(await request.form())).read(new=strategy is None)
    parsed = form.input
    if form.ok:
        await strategies.check_strategy(session, user, parsed, strategy)
        form.add_service_errors()
    if not form.ok:
        options = await _options(session, user, _ints(form.raw_all("client_ids")), _ints(form.raw_all("goal_ids")))
        context = {"values": form.typed(), "errors": form.errors, "strategy": strategy, **options, **picks.context()}
        return render(request, "tasks/strategy_form.html", context, status_code=422)
    if strategy is None:
        strategy, _task = await strategies.create_strategy(session, user, parsed)
        toast(request, _("Strategy created with its first task."))
    else:
        await strategies.update_strategy(session, strategy, parsed)
        toast(request, _("Strategy saved."))
    await session.commit()
    return Redirect(f"/strategies/{strategy.id}", status_code=303)


@post("/strategies/new", opt=MANAGE, include_in_schema=False)
async def create_strategy(request: Request, db_session: Db) -> Any:
    return await _save(request, db_session, None)


async def _strategy(session: AsyncSession, request: Request, strategy_id: int) -> Strategy:
    strategy = await visible_strategy(session, current_user(request), strategy_id)
    if strategy is None:
        raise NotFoundException(detail="no such strategy in your scope")
    return strategy


@get("/strategies/{strategy_id:int}/edit", opt=MANAGE, include_in_schema=False)
async def edit_strategy(request: Request, me: Me, db_session: Db, strategy_id: FromPath[int]) -> Any:
    strategy = await _strategy(db_session, request, strategy_id)
    linked = (await strategies.links(db_session, [strategy.id]))[strategy.id]
    s = strategy
    values = {
        "name": s.name,
        "description": s.description,
        "state": s.state,
        "owner_id": str(s.owner_id or ""),
        "starts_on": s.starts_on.isoformat() if s.starts_on else "",
        "ends_on": s.ends_on.isoformat() if s.ends_on else "",
        "cost": s.cost if s.cost is not None else "",
        "expected_result": s.expected_result if s.expected_result is not None else "",
        "actual_result": s.actual_result if s.actual_result is not None else "",
        "client_ids": [str(i) for i in linked["client_ids"]],
        "goal_ids": [str(i) for i in linked["goal_ids"]],
    }
    options = await _options(db_session, me, linked["client_ids"], linked["goal_ids"])
    pickers = await people.shown(db_session, me, values, *PEOPLE_FIELDS)
    context = {"values": values, "errors": {}, "strategy": s, **options, **pickers}
    return render(request, "tasks/strategy_form.html", context)


@post("/strategies/{strategy_id:int}/edit", opt=MANAGE, include_in_schema=False)
async def save_strategy(request: Request, db_session: Db, strategy_id: FromPath[int]) -> Any:
    return await _save(request, db_session, await _strategy(db_session, request, strategy_id))


async def _page(request: Request, session: AsyncSession, strategy: Strategy) -> dict[str, Any]:
    user = current_user(request)
    stmt = select(Task).where(Task.strategy_id == strategy.id)
    clause = await task_clause(session, user)
    if clause is not None:
        stmt = stmt.where(clause)
    tasks = list((await session.scalars(stmt.order_by(Task.due_at.asc().nulls_last(), Task.id).limit(200))).all())
    total, done = (await strategies.progress(session, [strategy.id]))[strategy.id]
    linked = (await strategies.links(session, [strategy.id]))[strategy.id]
    owner = await session.get(User, strategy.owner_id) if strategy.owner_id else None
    return {
        "strategy": strategy,
        "tasks": tasks,
        "names": await views.names_for(session, tasks),
        "total": total,
        "done": done,
        "roi": strategies.roi(strategy),
        "impact": await strategies.impact(session, strategy),
        "owner": (owner.name or owner.email) if owner else "",
        "linked_clients": linked["client_ids"],
        "state_labels": strategies.STATE_LABELS,
        "status_labels": services.STATUS_LABELS,
        "priority_labels": services.PRIORITY_LABELS,
        "is_overdue": services.is_overdue,
        "now": datetime.now(local_tz()),
        "thread": await threads.thread(session, strategy_id=strategy.id),
        "thread_action": f"/strategies/{strategy.id}/comments",
        "comment_errors": {},
        "comment_text": "",
        "can_manage": user.can("strategies.manage"),
    }


@get("/strategies/{strategy_id:int}", opt=SEE, include_in_schema=False)
async def strategy_page(request: Request, me: Me, db_session: Db, strategy_id: FromPath[int]) -> Any:
    strategy = await _strategy(db_session, request, strategy_id)
    await threads.mark_read(db_session, me, strategy_id=strategy.id)
    await db_session.commit()
    return render(request, "tasks/strategy.html", await _page(request, db_session, strategy))


@post("/strategies/{strategy_id:int}/comments", opt=SEE, include_in_schema=False)
async def strategy_comment(request: Request, db_session: Db, strategy_id: FromPath[int]) -> Any:
    strategy = await _strategy(db_session, request, strategy_id)
    return await post_comment(
        request,
        db_session,
        template="tasks/strategy.html",
        page_context=lambda: _page(request, db_session, strategy),
        back=f"/strategies/{strategy.id}",
        strategy_id=strategy.id,
    )


ROUTES: list[Any] = [
    strategy_list,
    new_strategy,
    create_strategy,
    edit_strategy,
    save_strategy,
    strategy_page,
    strategy_comment,
]
