"""The sales report's rows from the local Bitrix24 copy: won deals of the user's scope (managers their own deals,
heads their department subtree), with the manager's name, the sources' and types' names from the portal's lists."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Date,
    Integer,
    SmallInteger,
    and_,
    case,
    column,
    false,
    func,
    literal,
    or_,
    select,
    union_all,
    values,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from crm.features.clients.models import Deal, Pipeline, ReferenceValue
from crm.features.org.models import Employee
from crm.features.org.scope import row_scope
from crm.features.reports.sales import SaleRow, previous_period
from crm.features.reports.sales_figures import ALL_PIPELINES, ALL_TIME, DAY, EVERYONE, SaleFigure, pieces
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


async def scope_employee_ids(session: AsyncSession, user: Any) -> list[int] | None:
    """The employees ``scope_clause`` admits, listed (``None``: everything)."""
    scope = await row_scope(session, user)
    if scope.everything:
        return None
    ids = [user.employee_bitrix_id] if getattr(user, "employee_bitrix_id", None) else []
    if scope.department_ids:
        stmt = select(Employee.id).where(Employee.department_id.in_(scope.department_ids))
        ids += [i for i in await session.scalars(stmt) if i not in ids]
    return ids


@dataclass(frozen=True)
class Choices:
    pipelines: list[tuple[int, str]]
    type_fields: list[str]


async def choices(session: AsyncSession) -> Choices:
    pipelines = (await session.execute(select(Pipeline.id, Pipeline.name).order_by(Pipeline.sort, Pipeline.id))).all()
    keys = await session.scalars(  # the keys won deals carry, kept by the figures' triggers
        select(SaleFigure.k1).where(SaleFigure.grain == ALL_TIME, SaleFigure.dim == "f").order_by(SaleFigure.k1)
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
    """Won deals closed from ``day_from`` to ``day_to`` (and in the previous period of the same length when
    ``compare``), in ``user``'s scope (``None``: the command line, everything), summed in the database: one row per
    period and manager, source, type, and per day of the period, for ``sales.report`` to turn into the figures.

    Read from the maintained ``sale_figures`` (whole months and single days); a deal field other than the deal type
    and the default one is grouped live over the won deals. ``close_date`` is already the portal's day of CLOSEDATE,
    so no conversion of zones happens here."""
    periods = [(day_from, day_to)]
    if compare:
        periods.append(previous_period(day_from, day_to))
    f = SaleFigure
    ids = None if user is None else await scope_employee_ids(session, user)
    clause = None if ids is None else f.responsible_id.in_(ids)  # a list, so each is an index range
    live_type = type_field not in (DEAL_TYPE, DEFAULT_TYPE_FIELD)
    dims = ["s"] + ([] if live_type else ["k" if type_field == DEAL_TYPE else "c"])
    # managers from the employees' own rows; sources and types from the sums over everyone (the admin, the command
    # line) or from the scope's employees' own rows; each an index range per piece of the periods
    if clause is None:
        managers, others = f.responsible_id != EVERYONE, f.responsible_id == EVERYONE
    else:
        managers = others = clause
    pipeline = f.pipeline_id == (ALL_PIPELINES if pipeline_id is None else pipeline_id)
    rows = await _period_rows(session, _grouped(periods, dims, managers, others, pipeline))
    day = (
        select(f.at, func.sum(f.amount), func.sum(f.deals))
        .where(f.grain == DAY, f.dim == "t", others, f.at.between(day_from, day_to))
        .where(pipeline)
        .group_by(f.at)
    )
    rows += [SaleRow(at, total, count=count, only="day") for at, total, count in (await session.execute(day)).all()]
    if live_type:
        rows += await _live_types(session, user, periods, pipeline_id, type_field)
    return rows


def _grouped(
    periods: list[tuple[date, date]],
    dims: list[str],
    managers: ColumnElement[bool],
    others: ColumnElement[bool],
    pipeline: ColumnElement[bool],
) -> Any:
    """The figures summed per period: by manager (dimension ``t``) and by the keys of ``dims``, each period made of
    the figures' pieces (whole months and single days, signed so a piece can be subtracted)."""
    f = SaleFigure
    parts = values(
        column("grain", SmallInteger), column("at", Date), column("start", Date), column("sign", Integer), name="p"
    ).data([(grain, at, start, sign) for start, end in periods for grain, at, sign in pieces(start, end)])
    amount, deals = func.sum(parts.c.sign * f.amount), func.sum(parts.c.sign * f.deals)
    on_pieces = and_(f.grain == parts.c.grain, f.at == parts.c.at)
    by_manager = (
        select(parts.c.start, f.dim, f.responsible_id.label("rid"), literal("").label("k1"), literal("").label("k2"))
        .add_columns(amount.label("amount"), deals.label("deals"))
        .select_from(f)
        .join(parts, on_pieces)
        .where(f.dim == "t", managers, pipeline)
        .group_by(parts.c.start, f.dim, f.responsible_id)
        .having(deals != 0)
    )
    by_key = (
        select(parts.c.start, f.dim, literal(None, BigInteger).label("rid"), f.k1, f.k2)
        .add_columns(amount.label("amount"), deals.label("deals"))
        .select_from(f)
        .join(parts, on_pieces)
        .where(f.dim.in_(dims), others, pipeline)
        .group_by(parts.c.start, f.dim, f.k1, f.k2)
        .having(deals != 0)
    )
    return union_all(by_manager, by_key).subquery("g")


async def _period_rows(session: AsyncSession, grouped: Any) -> list[SaleRow]:
    """The grouped sums with their names: the manager's, the source's and the type's from the portal's lists."""
    source_ref, type_ref = aliased(ReferenceValue), aliased(ReferenceValue)
    stmt = (
        select(
            grouped.c.start,
            grouped.c.dim,
            grouped.c.amount,
            grouped.c.deals,
            Employee.id,
            _employee_name(),
            grouped.c.k1,
            func.coalesce(func.nullif(source_ref.name, ""), grouped.c.k2),
            func.coalesce(func.nullif(type_ref.name, ""), grouped.c.k1),
        )
        .outerjoin(Employee, and_(grouped.c.dim == "t", Employee.id == grouped.c.rid))
        .outerjoin(
            source_ref,
            and_(grouped.c.dim == "s", source_ref.entity_id == "SOURCE", source_ref.status_id == grouped.c.k2),
        )
        .outerjoin(
            type_ref,
            and_(grouped.c.dim == "k", type_ref.entity_id == "DEAL_TYPE", type_ref.status_id == grouped.c.k1),
        )
    )
    rows: list[SaleRow] = []
    for start, dim, total, count, employee_id, name, k1, source, kind in (await session.execute(stmt)).all():
        if dim == "t":
            manager = name or (f"#{employee_id}" if employee_id else "")
            rows.append(SaleRow(start, total, manager, employee_id, count=count, only="manager"))
        elif dim == "s":
            rows.append(SaleRow(start, total, source=k1, fallback_source=source or "", count=count, only="source"))
        else:
            rows.append(SaleRow(start, total, type=kind or "", count=count, only="type"))
    return rows


def _employee_name() -> Any:
    return func.nullif(func.concat_ws(" ", func.nullif(Employee.last_name, ""), func.nullif(Employee.name, "")), "")


async def _live_types(
    session: AsyncSession, user: Any, periods: list[tuple[date, date]], pipeline_id: int | None, type_field: str
) -> list[SaleRow]:
    """Sums by a deal field the figures do not keep, grouped over the won deals of the periods."""
    start: Any = literal(periods[0][0], Date)
    if len(periods) > 1:  # the current period, else the one before
        start = case((Deal.close_date >= periods[0][0], start), else_=literal(periods[1][0], Date))
    kind = Deal.fields[type_field].astext
    stmt = (
        select(start, kind, func.sum(Deal.amount), func.count())
        .where(
            Deal.semantic == "S",
            Deal.active.is_(True),
            Deal.close_date >= min(a for a, _b in periods),
            Deal.close_date <= max(b for _a, b in periods),
        )
        .group_by(start, kind)
    )
    if pipeline_id is not None:
        stmt = stmt.where(Deal.pipeline_id == pipeline_id)
    clause = None if user is None else await scope_clause(session, user, Deal.responsible_id)
    if clause is not None:
        stmt = stmt.where(clause)
    return [
        SaleRow(day, total, type=value or "", count=count, only="type")
        for day, value, total, count in (await session.execute(stmt)).all()
    ]
