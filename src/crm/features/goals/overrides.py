"""A person's category and reason for a client (per variable), kept until changed and shown as manual."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts.services import record
from crm.features.goals import config
from crm.features.goals.models import AnalysisCategory, AnalysisOverride, AnalysisReason
from crm.features.goals.scope import Scope
from crm.features.sales.models import ErpClient
from crm.lib.i18n import N_


async def client_in_scope(session: AsyncSession, scope: Scope, client_id: int) -> bool:
    stmt = scope.where(select(ErpClient.id).where(ErpClient.id == client_id), ErpClient.responsible_id)
    return await session.scalar(stmt) is not None


async def set_override(
    session: AsyncSession, actor: Any, client_id: int, variable: str, category: str | None, reason: str | None
) -> dict[str, str]:
    """Category and reason by name (from the variable's lists); no category: back to the automatic one."""
    await config.settings_row(session)
    category, reason = (category or "").strip(), (reason or "").strip()
    errors: dict[str, str] = {}
    cat_id = reason_id = None
    if category:
        cat_id = await session.scalar(
            select(AnalysisCategory.id).where(AnalysisCategory.variable == variable, AnalysisCategory.name == category)
        )
        if cat_id is None:
            errors["category"] = N_("Choose a category from the list of this variable.")
    if reason:
        reason_id = await session.scalar(
            select(AnalysisReason.id).where(AnalysisReason.variable == variable, AnalysisReason.name == reason)
        )
        if reason_id is None:
            errors["reason"] = N_("Choose a reason from the list of this variable.")
        elif not category:
            errors["category"] = N_("Choose a category for the reason.")
    if errors:
        return errors
    row = await session.get(AnalysisOverride, (client_id, variable))
    before = [None, None]
    if row is not None:
        before = [
            await session.scalar(select(AnalysisCategory.name).where(AnalysisCategory.id == row.category_id)),
            await session.scalar(select(AnalysisReason.name).where(AnalysisReason.id == row.reason_id)),
        ]
    if cat_id is None:
        if row is not None:
            await session.delete(row)
    elif row is None:
        session.add(
            AnalysisOverride(
                client_id=client_id, variable=variable, category_id=cat_id, reason_id=reason_id, updated_by=actor.id
            )
        )
    else:
        row.category_id, row.reason_id, row.updated_by = cat_id, reason_id, actor.id
        row.updated_at = datetime.now(UTC)
    await session.flush()
    changes = {"category": [before[0], category or None], "reason": [before[1], reason or None]}
    await record(session, actor, "analysis_override", str(client_id), "update", changes, summary=variable)
    return {}
