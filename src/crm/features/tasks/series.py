"""The next occurrence of a recurring task, created exactly once: the pair (series, number) is unique and the row
is inserted with ON CONFLICT DO NOTHING, so two completions, a retried job or the sweep never make a second one."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from crm.features.calendar.services import working_days
from crm.features.tasks import recurrence
from crm.features.tasks.models import CLOSED_STATUSES, Task
from crm.lib.i18n import local_tz

COPIED = (
    "title",
    "description",
    "priority",
    "assignee_id",
    "creator_id",
    "client_id",
    "strategy_id",
    "goal_id",
    "address",
    "lat",
    "lon",
    "series_id",
    "recurrence",
)


async def _working_set(session: AsyncSession, start: date) -> set[date]:
    end = start + timedelta(days=recurrence.MAX_SKIP)
    if end.year > 2100:
        return set()
    return set(await working_days(session, start, end))


async def next_due_of(session: AsyncSession, task: Task) -> datetime | None:
    """When the occurrence after ``task`` is due, or None (not recurring, or past until/count)."""
    if not task.recurrence or task.due_at is None or task.series_id is None:
        return None
    rule = recurrence.parse(task.recurrence)
    anchor = await session.scalar(
        select(Task.due_at).where(Task.series_id == task.series_id, Task.occurrence == 1, Task.due_at.is_not(None))
    )
    anchor = anchor or task.due_at
    tz = local_tz()
    plain = recurrence.parse({**task.recurrence, "skip_days_off": False, "until": None})
    natural = recurrence.next_due(plain, task.due_at, anchor, task.occurrence or 1, tz)
    if natural is None:
        return None
    working = await _working_set(session, natural.astimezone(tz).date()) if rule.skip_days_off else set()
    return recurrence.next_due(rule, task.due_at, anchor, task.occurrence or 1, tz, working.__contains__)


async def create_next(session: AsyncSession, task_id: int) -> int | None:
    """Create the occurrence after a closed one; the id of the new row, or None when there is nothing to create
    (not closed, not recurring, past the end) or it exists already."""
    task = await session.get(Task, task_id)
    if task is None or not task.recurrence:
        return None
    past_due = task.due_at is not None and task.due_at < datetime.now(UTC) and bool(task.recurrence.get("after_due"))
    if task.status not in CLOSED_STATUSES and not past_due:
        return None
    due = await next_due_of(session, task)
    if due is None:
        return None
    values = {name: getattr(task, name) for name in COPIED}
    starts = due - (task.due_at - task.starts_at) if task.starts_at and task.due_at else None
    now = datetime.now(UTC)
    stmt = (
        insert(Task)
        .values(
            **values,
            status="todo",
            due_at=due,
            starts_at=starts,
            occurrence=(task.occurrence or 1) + 1,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(constraint="uq_tasks_series_occurrence")
        .returning(Task.id)
    )
    return (await session.execute(stmt)).scalar()


async def missing_next(session: AsyncSession, since: datetime, limit: int = 500) -> list[int]:
    """Recurring occurrences whose next one does not exist yet: closed since ``since``, or (rules with
    ``after_due``) open and due between ``since`` and now."""
    following = aliased(Task)
    stmt = (
        select(Task.id)
        .where(
            or_(
                and_(Task.status.in_(CLOSED_STATUSES), Task.completed_at >= since),
                and_(
                    Task.recurrence["after_due"].as_boolean().is_(True),
                    Task.due_at >= since,
                    Task.due_at < datetime.now(UTC),
                ),
            ),
            Task.recurrence.is_not(None),
            Task.series_id.is_not(None),
            ~select(following.id)
            .where(following.series_id == Task.series_id, following.occurrence == Task.occurrence + 1)
            .exists(),
        )
        .order_by(Task.id)
        .limit(limit)
    )
    return list((await session.scalars(stmt)).all())
