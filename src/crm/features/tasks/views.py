"""What the task pages share: filters from the URL, names of people, clients and strategies for a page of rows,
the choices of the filter bar and the forms."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from litestar import Request
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts.models import User
from crm.features.goals.models import Goal
from crm.features.org.scope import row_scope
from crm.features.sales.models import ErpClient
from crm.features.tasks import services, strategies
from crm.features.tasks.models import PRIORITIES, STATUSES, Strategy, Task
from crm.features.tasks.scope import assignable_name, assignable_users, find_assignable
from crm.lib.i18n import N_
from crm.lib.i18n import gettext as _
from crm.lib.lists import ListParams
from crm.lib.web import FormErrors

FILTER_KEYS = ("assignee_id", "status", "priority", "due_from", "due_to", "client_id", "strategy_id", "overdue", "q")


@dataclass
class Names:
    users: dict[uuid.UUID, str]
    clients: dict[int, str]
    strategies: dict[int, str]
    goals: dict[int, str]

    @property
    def client_label(self) -> str:
        return _("Client")

    def user(self, user_id: uuid.UUID | None) -> str:
        return self.users.get(user_id, "") if user_id else ""


async def names_for(session: AsyncSession, tasks: Iterable[Task]) -> Names:
    rows = list(tasks)
    user_ids = {i for t in rows for i in (t.assignee_id, t.creator_id) if i}
    client_ids = {t.client_id for t in rows if t.client_id}
    strategy_ids = {t.strategy_id for t in rows if t.strategy_id}
    goal_ids = {t.goal_id for t in rows if t.goal_id}
    users = (
        {
            i: n or e
            for i, n, e in (
                await session.execute(select(User.id, User.name, User.email).where(User.id.in_(user_ids)))
            ).all()
        }
        if user_ids
        else {}
    )
    clients: dict[int, str] = {}
    if client_ids:
        stmt = select(ErpClient.id, ErpClient.name).where(ErpClient.id.in_(client_ids))
        clients = {i: n for i, n in (await session.execute(stmt)).all()}
    strats: dict[int, str] = {}
    if strategy_ids:
        stmt = select(Strategy.id, Strategy.name).where(Strategy.id.in_(strategy_ids))
        strats = {i: n for i, n in (await session.execute(stmt)).all()}
    goals: dict[int, str] = {}
    if goal_ids:
        for gid, name, variable, year in (
            await session.execute(select(Goal.id, Goal.name, Goal.variable, Goal.year).where(Goal.id.in_(goal_ids)))
        ).all():
            goals[gid] = name or f"{variable} {year}"
    return Names(users, clients, strats, goals)


PICKER_LIMIT = 20


@dataclass
class PersonPicker:
    """The assignee filter's state: the typed text, the chosen person (id, name), the matches to choose from (at
    most ``PICKER_LIMIT``, ``more`` when there are others) and why the text did not choose anybody."""

    query: str = ""
    selected: tuple[str, str] | None = None
    matches: list[tuple[str, str]] | None = None
    more: bool = False
    problem: str = ""


async def search_people(session: AsyncSession, user: Any, query: str, chosen: str = "") -> PersonPicker:
    """The picker's answer to typed text: the matching people in the user's scope (the chosen one kept)."""
    picker = PersonPicker(query=query.strip()[:100])
    try:
        chosen_id = uuid.UUID(chosen) if chosen else None
    except ValueError:
        chosen_id = None
    if chosen_id and (name := await assignable_name(session, user, chosen_id)):
        picker.selected = (str(chosen_id), name)
    if picker.query:
        found, picker.more = await find_assignable(session, user, picker.query, PICKER_LIMIT)
        picker.matches = [(str(i), n) for i, n in found if not picker.selected or str(i) != picker.selected[0]]
    return picker


async def assignee_filter(
    session: AsyncSession, user: Any, params: ListParams, filters: services.TaskFilters, errors: FormErrors
) -> PersonPicker:
    """The assignee filter from the URL: a chosen id, or typed text the server resolves (without JavaScript the
    picker is a plain text field) — one match filters by that person; nobody or several say so beside the field."""
    query = (params.get("assignee_q") or "").strip()[:100]
    if filters.assignee_id:
        name = await assignable_name(session, user, filters.assignee_id)
        return PersonPicker(query=name or "", selected=(str(filters.assignee_id), name or str(filters.assignee_id)))
    if not query:
        return PersonPicker()
    found, more = await find_assignable(session, user, query, PICKER_LIMIT)
    picker = PersonPicker(query=query, matches=[(str(i), n) for i, n in found], more=more)
    if len(found) == 1:
        filters.assignee_id = found[0][0]
        return PersonPicker(query=found[0][1], selected=(str(found[0][0]), found[0][1]))
    picker.problem = (
        N_("Nobody in your scope matches “%(query)s”.")
        if not found
        else N_("Several people match “%(query)s”: choose one.")
    )
    errors.add("assignee_q", picker.problem)
    return picker


def read_page_filters(params: ListParams, errors: FormErrors) -> services.TaskFilters:
    return services.read_filters(params.get, errors)


async def filter_choices(session: AsyncSession, user: Any, people: bool = True) -> dict[str, Any]:
    """The choices of the task form (``people``: every assignable person) and of the filter bar (people=False:
    its assignee is a search picker, see ``assignee_filter``)."""
    stmt = await strategies.strategy_query(session, user)
    strats = (await session.scalars(stmt.order_by(Strategy.name).limit(200))).all()
    return {
        "people": [(str(i), name) for i, name in await assignable_users(session, user)] if people else [],
        "strategy_options": [(s.id, s.name) for s in strats],
        "status_options": [(s, _(services.STATUS_LABELS[s])) for s in STATUSES],
        "priority_options": [(p, _(services.PRIORITY_LABELS[p])) for p in PRIORITIES],
    }


async def client_name(session: AsyncSession, client_id: int | None) -> str:
    if client_id is None:
        return ""
    return (await session.scalar(select(ErpClient.name).where(ErpClient.id == client_id))) or ""


async def find_clients(session: AsyncSession, user: Any, q: str) -> list[tuple[int, str]]:
    """ERP clients by name for a picker, within the person's row scope (the responsible person)."""
    scope = await row_scope(session, user)
    pattern = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    stmt = select(ErpClient.id, ErpClient.name).where(ErpClient.name.ilike(f"%{pattern}%"))
    clause = scope.clause(ErpClient.responsible_id)
    if clause is not None:
        if scope.department_ids:
            team = select(User.id).where(User.department_id.in_(scope.department_ids))
            clause = or_(clause, ErpClient.responsible_id.in_(team))
        stmt = stmt.where(clause)
    rows = await session.execute(stmt.order_by(ErpClient.name).limit(30))
    return [(i, n) for i, n in rows.all()]


def filter_query(params: ListParams) -> str:
    """The filters of the current view, to carry when switching between kanban, calendar and list."""
    from urllib.parse import urlencode

    return urlencode([(k, params.get(k)) for k in FILTER_KEYS if params.get(k)])


def now() -> datetime:
    return datetime.now(UTC)


def wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")
