"""A person's saved views of the client analysis: a name and the query string of the filters, sorts and columns.

Saving under a name the person already used replaces that view's query; a person keeps at most ``MAX_VIEWS``."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.goals.models import AnalysisView
from crm.lib.i18n import N_

MAX_VIEWS = 50
MAX_QUERY = 2000
NO_NAME = N_("Give the view a name.")
TOO_MANY = N_("At most 50 views; delete one first.")


async def save(session: AsyncSession, user_id: uuid.UUID, name: str, query: str) -> str | None:
    """Save (or replace) the view; the msgid of the reason when it is refused, nothing written then."""
    if not name:
        return NO_NAME
    query = query[:MAX_QUERY]
    existing = await session.scalar(
        select(AnalysisView).where(AnalysisView.user_id == user_id, AnalysisView.name == name)
    )
    if existing is not None:
        existing.query = query
        return None
    count = await session.scalar(select(func.count()).where(AnalysisView.user_id == user_id)) or 0
    if count >= MAX_VIEWS:
        return TOO_MANY
    session.add(AnalysisView(user_id=user_id, name=name, query=query))
    return None


async def remove(session: AsyncSession, user_id: uuid.UUID, view_id: int) -> None:
    """Delete one of the person's views (another person's id deletes nothing)."""
    await session.execute(delete(AnalysisView).where(AnalysisView.id == view_id, AnalysisView.user_id == user_id))
