"""Which deals a user sees: those of their scope (their own, or their departments'), and every deal of a company
they may see when they ask for that company's deals (a manager also sees the deals colleagues hold on the companies
they look after)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.clients import queries
from crm.features.org.scope import EmployeeScope


async def visible_deals(
    session: AsyncSession, scope: EmployeeScope, company_id: int | None, pipeline_id: int | None, stage_semantic: str
) -> Any:
    """The select of the deals the user sees, filtered by company, pipeline and stage semantics."""
    if company_id is not None and not scope.everything and await queries.get_company(session, company_id, scope):
        return queries.deals_query(EmployeeScope(everything=True), company_id, pipeline_id, stage_semantic)
    return queries.deals_query(scope, company_id, pipeline_id, stage_semantic)
