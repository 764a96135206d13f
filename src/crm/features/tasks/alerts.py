"""Alerts of the tasks slice (see crm.features.alerts.registry): overdue tasks (to the assignee, and a summary to
their heads), strategies planned or in progress without an open task (to the owner), unread mentions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts.models import User
from crm.features.alerts.registry import Alert
from crm.features.org.scope import row_scope
from crm.features.tasks.models import OPEN_STATUSES, Comment, Mention, Strategy, Task
from crm.lib.i18n import gettext as _
from crm.lib.i18n import ngettext

LIMIT = 20


async def alerts(session: AsyncSession, user: Any) -> list[Alert]:
    if not user.can("tasks.work") and not user.can("strategies.manage"):
        return []
    now = datetime.now(UTC)
    return [
        *await _overdue(session, user, now),
        *await _team_overdue(session, user, now),
        *await _idle_strategies(session, user),
        *await _mentions(session, user),
    ]


async def _overdue(session: AsyncSession, user: Any, now: datetime) -> list[Alert]:
    """The user's own overdue tasks, the oldest first."""
    overdue = await session.execute(
        select(Task.id, Task.title, Task.due_at)
        .where(Task.assignee_id == user.id, Task.status.in_(OPEN_STATUSES), Task.due_at < now)
        .order_by(Task.due_at)
        .limit(LIMIT)
    )
    return [
        Alert("task_overdue", _("Overdue: %(title)s", title=title), f"/tasks/{task_id}", due)
        for task_id, title, due in overdue.all()
    ]


async def _team_overdue(session: AsyncSession, user: Any, now: datetime) -> list[Alert]:
    """For a head: one summary of the overdue tasks of the others in their departments."""
    scope = await row_scope(session, user)
    if not scope.department_ids or scope.everything:
        return []
    team = select(User.id).where(User.department_id.in_(scope.department_ids), User.id != user.id)
    count, oldest = (
        await session.execute(
            select(func.count(), func.min(Task.due_at)).where(
                Task.assignee_id.in_(team), Task.status.in_(OPEN_STATUSES), Task.due_at < now
            )
        )
    ).one()
    if not count:
        return []
    return [
        Alert(
            "task_overdue",
            ngettext("%(num)s overdue task in your team", "%(num)s overdue tasks in your team", count, num=count),
            "/tasks/list?overdue=true",
            oldest,
        )
    ]


async def _idle_strategies(session: AsyncSession, user: Any) -> list[Alert]:
    """The user's strategies planned or in progress without an open task."""
    open_task = select(Task.id).where(Task.strategy_id == Strategy.id, Task.status.in_(OPEN_STATUSES)).exists()
    idle = await session.execute(
        select(Strategy.id, Strategy.name, Strategy.updated_at)
        .where(Strategy.owner_id == user.id, Strategy.state.in_(("planned", "in_progress")), ~open_task)
        .order_by(Strategy.id)
        .limit(LIMIT)
    )
    return [
        Alert(
            "strategy_without_tasks",
            _("Strategy without open tasks: %(name)s", name=name),
            f"/strategies/{strategy_id}",
            updated,
        )
        for strategy_id, name, updated in idle.all()
    ]


async def _mentions(session: AsyncSession, user: Any) -> list[Alert]:
    """Unread mentions of the user, the newest first, with who wrote and the start of the text."""
    unread = await session.execute(
        select(Comment.task_id, Comment.strategy_id, Comment.text, Mention.created_at, User.name, User.email)
        .join(Comment, Comment.id == Mention.comment_id)
        .outerjoin(User, User.id == Comment.author_id)
        .where(Mention.user_id == user.id, Mention.read_at.is_(None))
        .order_by(Mention.id.desc())
        .limit(LIMIT)
    )
    out: list[Alert] = []
    for task_id, strategy_id, text, at, name, email in unread.all():
        link = f"/tasks/{task_id}" if task_id else f"/strategies/{strategy_id}"
        who = name or email or ""
        snippet = text if len(text) <= 80 else text[:79] + "…"
        out.append(Alert("mention", _("%(who)s mentioned you: %(text)s", who=who, text=snippet), link, at))
    return out
