"""The kanban's columns at scale: the first tasks of a status in due order, found through the covering index
``ix_tasks_status_due_cover`` (status, due_at, id) INCLUDE (assignee_id, creator_id) WHERE status IN STATUSES.

A column is two steps in one statement: the ids of its first ``limit`` tasks, walked in order from the index
without reading the table (the scope's assignee/creator test is answered by the index too), then those rows
by primary key. A head's team used to be gathered whole (tens of thousands of a status) and sorted for its
first hundred."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.tasks import services
from crm.features.tasks.models import STATUSES, Task


def is_status(status: str) -> Any:
    """``status = '…'`` with the value written into the statement (one of ``STATUSES``, never user text): the
    covering index is partial (``status IN STATUSES``), and PostgreSQL uses it only where it can see the status;
    the calendar and the list, which do not filter by status, cannot walk it whole (a generic plan did, 2 s)."""
    if status not in STATUSES:
        raise ValueError(status)
    return Task.status == literal(status, literal_execute=True)


def _ids(stmt: Select[Any], status: str, closed: bool, limit: int) -> Any:
    order = (Task.due_at.desc(), Task.id.desc()) if closed else (Task.due_at.asc().nulls_last(), Task.id)
    return stmt.where(is_status(status)).with_only_columns(Task.id).order_by(None).order_by(*order).limit(limit)


async def column_tasks(session: AsyncSession, stmt: Select[Any], status: str, closed: bool, limit: int) -> list[Task]:
    """The first ``limit`` tasks of ``status`` of ``stmt`` (a ``task_query``): open ones soonest due first (no due
    date last), closed ones latest first; ties by id."""
    ids = _ids(stmt, status, closed, limit).subquery()
    order = (Task.due_at.desc(), Task.id.desc()) if closed else (Task.due_at.asc().nulls_last(), Task.id)
    stmt = select(Task).where(Task.id.in_(select(ids.c.id))).order_by(*order)
    return list((await session.scalars(stmt)).all())


async def capped_count(session: AsyncSession, stmt: Select[Any], status: str, cap: int) -> int:
    """How many tasks of ``status`` ``stmt`` (a ``task_query``) has, counted up to ``cap + 1`` (the board says
    "10,000+" beyond). Over everybody's tasks the covering index gives the first ``cap + 1`` at once. Over a
    person's or a team's, the count also tests a column the covering index lacks (``priority``, never empty), so
    that PostgreSQL gathers the scope's rows through the assignee and creator indexes as before: walking a status of
    the whole organisation in the covering index, testing each entry against the scope, read hundreds of thousands
    of entries for a manager's few thousand tasks (0.4 s) or a team's (0.7 s)."""
    column = stmt.where(is_status(status))
    if services.scoped(stmt):
        column = column.where(Task.priority != "")
    capped = column.with_only_columns(Task.id).order_by(None).limit(cap + 1).subquery()
    return await session.scalar(select(func.count()).select_from(capped)) or 0
