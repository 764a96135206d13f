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

from crm.features.accounts import people
from crm.features.accounts.models import User
from crm.features.goals.models import Goal
from crm.features.org.scope import row_scope
from crm.features.sales.models import ErpClient
from crm.features.tasks import services, strategies
from crm.features.tasks.models import PRIORITIES, STATUSES, Strategy, Task
from crm.lib.i18n import gettext as _
from crm.lib.lists import ListParams, contains
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


PICKER_LIMIT = people.PICKER_LIMIT
PersonPicker = people.PersonPicker


async def assignee_filter(
    session: AsyncSession, user: Any, params: ListParams, filters: services.TaskFilters, errors: FormErrors
) -> PersonPicker:
    """The assignee filter from the URL: a chosen id, or typed text the server resolves (without JavaScript the
    picker is a plain text field) — one match filters by that person; nobody or several say so beside the field."""
    chosen = str(filters.assignee_id) if filters.assignee_id else ""
    picker = await people.resolve(session, user, chosen, params.get("assignee_q") or "")
    if picker.problem:
        errors.add("assignee_q", picker.problem)
    filters.assignee_id = uuid.UUID(picker.value) if picker.selected else None
    return picker


def read_page_filters(params: ListParams, errors: FormErrors) -> services.TaskFilters:
    return services.read_filters(params.get, errors)


async def filter_choices(session: AsyncSession, user: Any, people: bool = False) -> dict[str, Any]:
    """The choices of the task form and of the filter bar (their people are search pickers: ``person_picker``,
    ``assignee_filter``; ``people`` is accepted for the callers that still ask and lists nobody)."""
    stmt = await strategies.strategy_query(session, user)
    strats = (await session.scalars(stmt.order_by(Strategy.name).limit(200))).all()
    return {
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
    stmt = select(ErpClient.id, ErpClient.name).where(ErpClient.name.ilike(contains(q)))
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
