"""The sales report's rows from the local Bitrix24 copy: won deals of the user's scope (managers their own deals,
heads their department subtree), with the manager's name, the sources' and types' names from the portal's lists."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, String, and_, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from crm.features.clients.models import Deal, Pipeline, ReferenceValue
from crm.features.org.models import Employee
from crm.features.org.scope import row_scope
from crm.features.reports.sales import SaleRow, previous_period
from crm.lib.i18n import N_

DEAL_TYPE = "type_id"  # Bitrix24's own deal type (TYPE_ID), always offered
DEFAULT_TYPE_FIELD = "contract_type"  # the mapped UF_* field of the default field map
FIELD_LABELS = {DEAL_TYPE: N_("Deal type"), "contract_type": N_("Contract type")}


async def scope_clause(session: AsyncSession, user: Any, employee_col: Any) -> ColumnElement[bool] | None:
    """Everything (admins), the employees of the head's department subtree, or the manager's own employee."""
    scope = await row_scope(session, user)
    if scope.everything:
        return None
    parts: list[ColumnElement[bool]] = []
    if getattr(user, "employee_bitrix_id", None):
        parts.append(employee_col == user.employee_bitrix_id)
    if scope.department_ids:
        parts.append(employee_col.in_(select(Employee.id).where(Employee.department_id.in_(scope.department_ids))))
    return or_(*parts) if parts else false()


@dataclass(frozen=True)
class Choices:
    pipelines: list[tuple[int, str]]
    type_fields: list[str]


async def choices(session: AsyncSession) -> Choices:
    pipelines = (await session.execute(select(Pipeline.id, Pipeline.name).order_by(Pipeline.sort, Pipeline.id))).all()
    keys = await session.scalars(
        select(func.jsonb_object_keys(Deal.fields).label("k")).where(Deal.semantic == "S").distinct().order_by("k")
    )
    fields = [DEFAULT_TYPE_FIELD, *(k for k in keys if k != DEFAULT_TYPE_FIELD), DEAL_TYPE]
    return Choices(pipelines=[(int(i), n) for i, n in pipelines], type_fields=fields)


async def sale_rows(
    session: AsyncSession,
    user: Any,
    day_from: date,
    day_to: date,
    pipeline_id: int | None = None,
    type_field: str = DEFAULT_TYPE_FIELD,
    compare: bool = True,
) -> list[SaleRow]:
    """Won deals closed from ``day_from`` (or the previous period's start when ``compare``) to ``day_to``, in
    ``user``'s scope (``None``: the command line, everything).

    ``close_date`` is already the portal's day of CLOSEDATE, so no conversion of zones happens here."""
    start = previous_period(day_from, day_to)[0] if compare else day_from
    source_ref = aliased(ReferenceValue)
    type_ref = aliased(ReferenceValue)
    if type_field == DEAL_TYPE:
        raw_type: Any = Deal.type_id
        type_name: Any = func.coalesce(func.nullif(type_ref.name, ""), Deal.type_id)
        type_join = and_(type_ref.entity_id == "DEAL_TYPE", type_ref.status_id == Deal.type_id)
    else:
        raw_type = Deal.fields[type_field].astext
        type_name = raw_type
        type_join = false()
    stmt = (
        select(
            Deal.close_date,
            Deal.amount,
            Employee.id,
            func.nullif(func.concat_ws(" ", func.nullif(Employee.last_name, ""), func.nullif(Employee.name, "")), ""),
            Deal.utm_source,
            func.coalesce(func.nullif(source_ref.name, ""), Deal.source_id),
            func.cast(type_name, String),
        )
        .outerjoin(Employee, Employee.id == Deal.responsible_id)
        .outerjoin(source_ref, and_(source_ref.entity_id == "SOURCE", source_ref.status_id == Deal.source_id))
        .outerjoin(type_ref, type_join)
        .where(
            Deal.semantic == "S",
            Deal.active.is_(True),
            Deal.close_date.is_not(None),
            Deal.close_date >= start,
            Deal.close_date <= day_to,
        )
    )
    if pipeline_id is not None:
        stmt = stmt.where(Deal.pipeline_id == pipeline_id)
    clause = None if user is None else await scope_clause(session, user, Deal.responsible_id)
    if clause is not None:
        stmt = stmt.where(clause)
    rows = (await session.execute(stmt)).all()
    return [
        SaleRow(
            closed_on=closed_on,
            amount=amount,
            manager=name or (f"#{employee_id}" if employee_id else ""),
            manager_id=employee_id,
            source=utm or "",
            fallback_source=source or "",
            type=kind or "",
        )
        for closed_on, amount, employee_id, name, utm, source, kind in rows
    ]
