"""Alerts of the sales slice: imports that failed in the last 7 days, for the people who manage imports."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from crm.features.alerts.registry import Alert
from crm.features.sales.imports import now
from crm.features.sales.models import SalesImport
from crm.lib.i18n import gettext as _

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from crm.features.accounts.models import User

WINDOW = timedelta(days=7)
LIMIT = 20


async def alerts(session: AsyncSession, user: User) -> list[Alert]:
    if not user.can("goals.manage"):
        return []
    rows = (
        await session.execute(
            select(SalesImport.id, SalesImport.file_name, SalesImport.created_at, SalesImport.finished_at)
            .where(SalesImport.status == "failed", SalesImport.created_at >= now() - WINDOW)
            .order_by(SalesImport.id.desc())
            .limit(LIMIT)
        )
    ).all()
    return [
        Alert(
            kind="import_failed",
            message=_("The import of %(file)s failed") % {"file": r.file_name or "?"},
            link=f"/imports/{r.id}",
            created_at=r.finished_at or r.created_at,
        )
        for r in rows
    ]
