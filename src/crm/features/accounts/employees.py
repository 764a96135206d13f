"""The link between a user and their Bitrix24 employee (``users.employee_bitrix_id``, a shared record of the
clients slice): finding employees for the picker, readable labels, and the rule that an employee belongs to at
most one user. Row scope over Bitrix24 records follows this link, so it is checked under a row lock."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts.models import User
from crm.features.org.models import Department, Employee
from crm.lib.i18n import gettext as _

SEARCH_LIMIT = 20
MAX_EMPLOYEE_ID = 2**63 - 1


@dataclass(frozen=True)
class EmployeeChoice:
    """An employee as the user form shows it; ``linked_to`` names another user already linked to them."""

    id: int
    name: str
    email: str
    position: str
    department: str
    active: bool
    linked_to: str = ""

    @property
    def details(self) -> str:
        return " · ".join(p for p in (self.email, self.position, self.department) if p)

    @property
    def label(self) -> str:
        return f"{self.name} (#{self.id})"


def _user_label(name: str | None, email: str) -> str:
    return f"{name} <{email}>" if name else email


def _choices_query(other_than: uuid.UUID | None) -> Select[Any]:
    linked = select(User.name, User.email).where(User.employee_bitrix_id == Employee.id)
    if other_than is not None:
        linked = linked.where(User.id != other_than)
    linked_sub = linked.order_by(User.email).limit(1).lateral("linked")
    return (
        select(Employee, Department.name, linked_sub.c.name, linked_sub.c.email)
        .outerjoin(Department, Department.id == Employee.department_id)
        .outerjoin(linked_sub, true())
    )


def _choice(row: Any) -> EmployeeChoice:
    employee, department, user_name, user_email = row
    return EmployeeChoice(
        id=employee.id,
        name=employee.full_name,
        email=employee.email,
        position=employee.position,
        department=department or "",
        active=employee.active,
        linked_to=_user_label(user_name, user_email) if user_email else "",
    )


async def search_employees(
    session: AsyncSession,
    query: str,
    *,
    for_user: uuid.UUID | None = None,
    limit: int = SEARCH_LIMIT,
) -> tuple[list[EmployeeChoice], bool]:
    """Active employees whose names or email contain every word of ``query``; the first ``limit`` by name,
    and whether there were more."""
    words = query.split()[:5]
    if not words:
        return [], False
    stmt = _choices_query(for_user).where(Employee.active.is_(True))
    for word in words:
        stmt = stmt.where(
            or_(
                Employee.last_name.icontains(word, autoescape=True),
                Employee.name.icontains(word, autoescape=True),
                Employee.second_name.icontains(word, autoescape=True),
                Employee.email.icontains(word, autoescape=True),
            )
        )
    stmt = stmt.order_by(Employee.last_name, Employee.name, Employee.id).limit(limit + 1)
    rows = [_choice(row) for row in (await session.execute(stmt)).tuples().all()]
    return rows[:limit], len(rows) > limit


async def employee_choice(
    session: AsyncSession, employee_id: int | None, *, for_user: uuid.UUID | None = None
) -> EmployeeChoice | None:
    if employee_id is None:
        return None
    row = (await session.execute(_choices_query(for_user).where(Employee.id == employee_id))).tuples().first()
    return _choice(row) if row else None


async def employee_names(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    """Readable names of employees for lists (one query for a page of users)."""
    if not ids:
        return {}
    rows = await session.scalars(select(Employee).where(Employee.id.in_(ids)))
    return {e.id: e.full_name for e in rows}


async def employee_label(session: AsyncSession, employee_id: int | None) -> str | None:
    """What the audit log shows for a link: the employee's name and Bitrix24 id."""
    if employee_id is None:
        return None
    employee = await session.get(Employee, employee_id)
    return f"{employee.full_name} (#{employee_id})" if employee else f"#{employee_id}"


async def link_problem(
    session: AsyncSession, employee_id: int | None, *, user_id: uuid.UUID | None, current_id: int | None
) -> str | None:
    """Why ``employee_id`` cannot be linked to the user (None when it can). The employee's row stays locked until
    the transaction ends, so two admins cannot link one employee to two users at the same time."""
    if employee_id is None or employee_id == current_id:
        return None
    if not 1 <= employee_id <= MAX_EMPLOYEE_ID:
        return _("There is no Bitrix24 employee with id %(id)s.", id=employee_id)
    employee = await session.scalar(select(Employee).where(Employee.id == employee_id).with_for_update())
    if employee is None:
        return _("There is no Bitrix24 employee with id %(id)s.", id=employee_id)
    if not employee.active:
        return _("%(employee)s is inactive in Bitrix24; choose an active employee.", employee=employee.full_name)
    other_stmt = select(User).where(User.employee_bitrix_id == employee_id)
    if user_id is not None:
        other_stmt = other_stmt.where(User.id != user_id)
    other = await session.scalar(other_stmt.order_by(User.email).limit(1))
    if other is not None:
        return _(
            "%(employee)s is already linked to the user %(user)s. Unlink them there first.",
            employee=employee.full_name,
            user=_user_label(other.name, other.email),
        )
    return None
