"""Who sees which tasks and strategies, as WHERE clauses (out of scope → 404 everywhere).

Tasks: a manager sees the tasks assigned to or created by them; a head also those assigned to the people of their
department subtree; ``scope.all`` everything. Strategies: ``scope.all`` everything; others those they own, those
owned by their department subtree (heads), and those with a task they see as assignee or creator."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts.models import User
from crm.features.accounts.people import choosable
from crm.features.org.scope import row_scope
from crm.features.tasks.models import Strategy, Task


async def task_clause(session: AsyncSession, user: Any) -> ColumnElement[bool] | None:
    scope = await row_scope(session, user)
    if scope.everything:
        return None
    parts: list[ColumnElement[bool]] = [Task.assignee_id == user.id, Task.creator_id == user.id]
    if scope.department_ids:
        parts.append(Task.assignee_id.in_(await _team(session, scope.department_ids)))
    return or_(*parts)


async def _team(session: AsyncSession, department_ids: frozenset[int]) -> list[uuid.UUID]:
    """The people of a department subtree, as values: a list lets PostgreSQL read their tasks through the
    assignee index (a subquery there made it filter every open task of the organisation)."""
    return list((await session.scalars(select(User.id).where(User.department_id.in_(department_ids)))).all())


async def strategy_clause(session: AsyncSession, user: Any) -> ColumnElement[bool] | None:
    scope = await row_scope(session, user)
    if scope.everything:
        return None
    own_task = exists().where(
        Task.strategy_id == Strategy.id, or_(Task.assignee_id == user.id, Task.creator_id == user.id)
    )
    parts: list[ColumnElement[bool]] = [Strategy.owner_id == user.id, own_task]
    if scope.department_ids:
        parts.append(Strategy.owner_id.in_(await _team(session, scope.department_ids)))
    return or_(*parts)


async def visible_task(session: AsyncSession, user: Any, task_id: int, *, lock: bool = False) -> Task | None:
    if not 0 < task_id < 2**63:
        return None
    stmt = select(Task).where(Task.id == task_id)
    clause = await task_clause(session, user)
    if clause is not None:
        stmt = stmt.where(clause)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).first()


async def visible_strategy(session: AsyncSession, user: Any, strategy_id: int) -> Strategy | None:
    if not 0 < strategy_id < 2**63:
        return None
    stmt = select(Strategy).where(Strategy.id == strategy_id)
    clause = await strategy_clause(session, user)
    if clause is not None:
        stmt = stmt.where(clause)
    return (await session.scalars(stmt)).first()


async def may_assign(session: AsyncSession, user: Any, assignee_id: uuid.UUID) -> bool:
    """Whether ``user`` may give a task to this person: one the person picker offers them (``people.choosable``:
    active users of their row scope)."""
    stmt = (await choosable(session, user)).where(User.id == assignee_id)
    return (await session.execute(stmt)).first() is not None
