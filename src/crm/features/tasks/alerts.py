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
    out: list[Alert] = []
    overdue = await session.execute(
        select(Task.id, Task.title, Task.due_at)
        .where(Task.assignee_id == user.id, Task.status.in_(OPEN_STATUSES), Task.due_at < now)
        .order_by(Task.due_at)
        .limit(LIMIT)
    )
    for task_id, title, due in overdue.all():
        out.append(Alert("task_overdue", _("Overdue: %(title)s", title=title), f"/tasks/{task_id}", due))
    scope = await row_scope(session, user)
    if scope.department_ids and not scope.everything:
        team = select(User.id).where(User.department_id.in_(scope.department_ids), User.id != user.id)
        count, oldest = (
            await session.execute(
                select(func.count(), func.min(Task.due_at)).where(
                    Task.assignee_id.in_(team), Task.status.in_(OPEN_STATUSES), Task.due_at < now
                )
            )
        ).one()
        if count:
            out.append(
                Alert(
                    "task_overdue",
                    ngettext(
                        "%(num)s overdue task in your team", "%(num)s overdue tasks in your team", count, num=count
                    ),
                    "/tasks/list?overdue=true",
                    oldest,
                )
            )
    open_task = select(Task.id).where(Task.strategy_id == Strategy.id, Task.status.in_(OPEN_STATUSES)).exists()
    idle = await session.execute(
        select(Strategy.id, Strategy.name, Strategy.updated_at)
        .where(Strategy.owner_id == user.id, Strategy.state.in_(("planned", "in_progress")), ~open_task)
        .order_by(Strategy.id)
        .limit(LIMIT)
    )
    for strategy_id, name, updated in idle.all():
        out.append(
            Alert(
                "strategy_without_tasks",
                _("Strategy without open tasks: %(name)s", name=name),
                f"/strategies/{strategy_id}",
                updated,
            )
        )
    unread = await session.execute(
        select(Comment.task_id, Comment.strategy_id, Comment.text, Mention.created_at, User.name, User.email)
        .join(Comment, Comment.id == Mention.comment_id)
        .outerjoin(User, User.id == Comment.author_id)
        .where(Mention.user_id == user.id, Mention.read_at.is_(None))
        .order_by(Mention.id.desc())
        .limit(LIMIT)
    )
    for task_id, strategy_id, text, at, name, email in unread.all():
        link = f"/tasks/{task_id}" if task_id else f"/strategies/{strategy_id}"
        who = name or email or ""
        snippet = text if len(text) <= 80 else text[:79] + "…"
        out.append(Alert("mention", _("%(who)s mentioned you: %(text)s", who=who, text=snippet), link, at))
    return out
