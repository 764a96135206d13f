"""Who sees which figures: managers their own clients and goals (the client's or goal's responsible is them),
heads the people of their department subtree (and themselves), ``scope.all`` everybody."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts.models import User
from crm.features.org.scope import row_scope


@dataclass(frozen=True)
class Scope:
    user_id: uuid.UUID
    everything: bool = False
    department_ids: frozenset[int] = frozenset()

    def clause(self, person_col: Any) -> ColumnElement[bool] | None:
        """A WHERE clause on a column holding a user id (a client's or a goal's responsible); None: everything."""
        if self.everything:
            return None
        parts: list[ColumnElement[bool]] = [person_col == self.user_id]
        if self.department_ids:
            parts.append(person_col.in_(select(User.id).where(User.department_id.in_(self.department_ids))))
        return or_(*parts)

    def where(self, stmt: Any, person_col: Any) -> Any:
        clause = self.clause(person_col)
        return stmt if clause is None else stmt.where(clause)


async def scope_for(session: AsyncSession, user: Any) -> Scope:
    scope = await row_scope(session, user)
    return Scope(user.id, everything=scope.everything, department_ids=scope.department_ids or frozenset())


async def visible_people(session: AsyncSession, scope: Scope, limit: int = 500, owners_only: bool = False) -> list[Any]:
    """Active users whose goals and clients the person may see, by name (a picker: at most ``limit``): rows with
    ``id``, ``name`` and ``email`` (no roles loaded). ``owners_only``: only people responsible for ERP clients."""
    from crm.features.sales.models import ErpClient

    stmt = select(User.id, User.name, User.email).where(User.is_active.is_(True))
    if owners_only:
        stmt = stmt.where(User.id.in_(select(ErpClient.responsible_id).where(ErpClient.responsible_id.is_not(None))))
    stmt = scope.where(stmt, User.id).order_by(User.name, User.email)
    return list((await session.execute(stmt.limit(limit))).all())
