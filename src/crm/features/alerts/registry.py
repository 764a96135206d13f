"""What raises an alert. Each slice that raises alerts has an ``alerts`` module with

    async def alerts(session: AsyncSession, user: User) -> list[Alert]

returning the current alerts of that user (already in scope for them, messages translated in the current
locale), cheap enough to run on every bell refresh (indexed queries, bounded results). They are listed here by
name (imported lazily, so no slice depends on another through this list)."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from crm.features.accounts.models import User

log = logging.getLogger("crm.alerts")

# kinds: import_failed (sales), goal_behind (goals), task_overdue, strategy_without_tasks, mention (tasks),
# job_failed (operations: jobs that failed for good, shown to admins), export (a big export ready or failed)
PROVIDERS = (
    "crm.features.sales.alerts",
    "crm.features.goals.alerts",
    "crm.features.tasks.alerts",
    "crm.features.reports.alerts",
    "crm.features.alerts.failures",
    "crm.features.alerts.exports",
)


@dataclass(frozen=True)
class Alert:
    kind: str
    message: str
    link: str
    created_at: datetime


Provider = Callable[["AsyncSession", "User"], Awaitable[list[Alert]]]


def providers() -> list[Provider]:
    """The ``alerts`` functions of the slices that have one (a slice without the module yet is skipped)."""
    return [provide for _name, provide in _named_providers()]


def _named_providers() -> list[tuple[str, Provider]]:
    found: list[tuple[str, Provider]] = []
    for name in PROVIDERS:
        try:
            module = importlib.import_module(name)
            found.append((name, module.alerts))
        except ModuleNotFoundError as exc:
            if exc.name != name:
                log.exception("alerts provider %s cannot be imported", name)
        except Exception:  # a slice's module that does not import or has no ``alerts``: the others still show
            log.exception("alerts provider %s cannot be imported", name)
    return found


async def alerts_for(session: AsyncSession, user: User) -> list[Alert]:
    """Every current alert of a user, newest first. A provider that fails (a slice's bug, a missing table) is
    logged and left out: the others still show. Each runs in a savepoint, so its failed SQL does not poison the
    session for the next one."""
    rows: list[Alert] = []
    for name, provide in _named_providers():
        try:
            async with session.begin_nested():
                rows += await provide(session, user)
        except Exception:
            log.exception("alerts provider %s failed", name)
    return sorted(rows, key=lambda a: a.created_at, reverse=True)
