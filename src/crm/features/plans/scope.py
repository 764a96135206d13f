"""Whom a person may see in the statistics, and which of them a view shows (a department subtree or chosen
managers): heads their department subtree (and themselves), managers themselves, admins everybody."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.org.models import Department, Employee
from crm.features.org.scope import row_scope
from crm.features.org.tree import department_subtree_ids

MAX_CHOSEN = 500


@dataclass(frozen=True)
class Visible:
    """Who a person may see: everybody, or the employees of some departments plus their own employee."""

    everything: bool = False
    employee_id: int | None = None
    department_ids: frozenset[int] = field(default_factory=frozenset)

    def clause(self, employee_col: Any = Employee.id) -> ColumnElement[bool] | None:
        if self.everything:
            return None
        parts: list[ColumnElement[bool]] = []
        if self.employee_id is not None:
            parts.append(employee_col == self.employee_id)
        if self.department_ids:
            parts.append(employee_col.in_(select(Employee.id).where(Employee.department_id.in_(self.department_ids))))
        return or_(*parts) if parts else false()

    def sees_department(self, department_id: int) -> bool:
        return self.everything or department_id in self.department_ids


async def visible_for(session: AsyncSession, user: Any) -> Visible:
    scope = await row_scope(session, user)
    if scope.everything:
        return Visible(everything=True)
    return Visible(employee_id=user.employee_bitrix_id, department_ids=scope.department_ids or frozenset())


@dataclass(frozen=True)
class Selection:
    """What a view shows: a department and its sub-departments, or chosen employees, or (neither) everybody visible."""

    department_id: int | None = None
    employee_ids: tuple[int, ...] = ()

    def as_param(self) -> str:
        if self.department_id is not None:
            return f"department:{self.department_id}"
        return ",".join(f"employee:{i}" for i in self.employee_ids)


def parse_scope(raw: str) -> Selection | None:
    """``department:<id>`` or ``employee:<id>,employee:<id>…`` (empty: everybody visible); None when malformed."""
    text = raw.strip()
    if not text:
        return Selection()
    if text.startswith("department:"):
        number = text.removeprefix("department:")
        return Selection(department_id=int(number)) if _id(number) else None
    ids: list[int] = []
    for part in text.split(","):
        kind, _, number = part.strip().partition(":")
        if kind != "employee" or not _id(number) or len(ids) >= MAX_CHOSEN:
            return None
        ids.append(int(number))
    return Selection(employee_ids=tuple(dict.fromkeys(ids)))


def _id(text: str) -> bool:
    return text.isascii() and text.isdigit() and 0 < len(text) <= 18


async def selection_clause(session: AsyncSession, selection: Selection) -> ColumnElement[bool] | None:
    if selection.department_id is not None:
        ids = await department_subtree_ids(session, selection.department_id)
        return Employee.department_id.in_(ids)
    if selection.employee_ids:
        return Employee.id.in_(selection.employee_ids)
    return None


async def department_exists(session: AsyncSession, department_id: int) -> bool:
    return await session.get(Department, department_id) is not None
