"""Row-level scope: which records a user may see, applied inside queries by every slice."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import ColumnElement, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.org.models import Employee
from crm.features.org.tree import department_subtree_ids


class Person(Protocol):
    """What the scope needs of a signed-in user (``accounts.models.User``)."""

    id: uuid.UUID
    department_id: int | None

    def can(self, permission: str) -> bool: ...


@dataclass(frozen=True)
class RowScope:
    """``everything`` for admins; else the departments (subtree) of a head; else only the user's own rows."""

    user_id: uuid.UUID
    everything: bool = False
    department_ids: frozenset[int] | None = None

    def clause(self, owner_col: Any = None, department_col: Any = None) -> ColumnElement[bool] | None:
        """A WHERE clause for a query, or None when the user sees everything."""
        if self.everything:
            return None
        parts = []
        if owner_col is not None:
            parts.append(owner_col == self.user_id)
        if self.department_ids and department_col is not None:
            parts.append(department_col.in_(self.department_ids))
        return or_(*parts) if parts else false()


async def row_scope(session: AsyncSession, user: Person) -> RowScope:
    if user.can("scope.all"):
        return RowScope(user.id, everything=True)
    if user.can("scope.department") and user.department_id:
        return RowScope(user.id, department_ids=await department_subtree_ids(session, user.department_id))
    return RowScope(user.id)


@dataclass(frozen=True)
class EmployeeScope:
    """Row scope over Bitrix24 records: everything; the employees of a department subtree (heads); or the
    user's own employee (managers). ``clause(col)`` takes a column holding an employee id."""

    everything: bool = False
    employee_id: int | None = None
    department_ids: frozenset[int] = field(default_factory=frozenset)

    def clause(self, employee_col: Any) -> ColumnElement[bool] | None:
        if self.everything:
            return None
        parts = []
        if self.employee_id is not None:
            parts.append(employee_col == self.employee_id)
        if self.department_ids:
            parts.append(employee_col.in_(select(Employee.id).where(Employee.department_id.in_(self.department_ids))))
        return or_(*parts) if parts else false()


async def employee_scope(session: AsyncSession, user: Any) -> EmployeeScope:
    """The scope of Bitrix24 records (companies, deals, activities) a user may see, by responsible employee."""
    scope = await row_scope(session, user)
    if scope.everything:
        return EmployeeScope(everything=True)
    return EmployeeScope(employee_id=user.employee_bitrix_id, department_ids=scope.department_ids or frozenset())
