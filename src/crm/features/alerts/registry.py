"""What raises an alert. Each slice that raises alerts has an ``alerts`` module with

    async def alerts(session: AsyncSession, user: User) -> list[Alert]

returning the current alerts of that user (already in scope for them, messages translated in the current
locale), cheap enough to run on every bell refresh (indexed queries, bounded results). They are listed here by
name (imported lazily, so no slice depends on another through this list)."""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from crm.features.accounts.models import User

# kinds: import_failed (sales), goal_behind (goals), task_overdue, strategy_without_tasks, mention (tasks)
PROVIDERS = ("crm.features.sales.alerts", "crm.features.goals.alerts", "crm.features.tasks.alerts")


@dataclass(frozen=True)
class Alert:
    kind: str
    message: str
    link: str
    created_at: datetime


Provider = Callable[["AsyncSession", "User"], Awaitable[list[Alert]]]


def providers() -> list[Provider]:
    """The ``alerts`` functions of the slices that have one (a slice without the module yet is skipped)."""
    found: list[Provider] = []
    for name in PROVIDERS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        found.append(module.alerts)
    return found


async def alerts_for(session: AsyncSession, user: User) -> list[Alert]:
    """Every current alert of a user, newest first."""
    rows: list[Alert] = []
    for provide in providers():
        rows += await provide(session, user)
    return sorted(rows, key=lambda a: a.created_at, reverse=True)
