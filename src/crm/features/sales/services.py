"""Queries of the sales slice with the row scope in SQL: the sales lines and ERP clients a user may see, a client's
monthly revenue, the list of imports and their rejected rows."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts.models import User
from crm.features.org.scope import row_scope
from crm.features.sales.models import ClientMonthSales, ErpClient, SalesImport, SalesImportReject, SalesLine
from crm.features.sales.rows import REASONS
from crm.lib.exports import neutralise
from crm.lib.i18n import gettext as _
from crm.lib.lists import ListQuery, contains

LINE_SORTS = {"day": SalesLine.day, "amount": SalesLine.amount, "invoice": SalesLine.invoice, "id": SalesLine.id}
CLIENT_SORTS = {"name": ErpClient.name, "code": ErpClient.code, "created": ErpClient.created_at, "id": ErpClient.id}


async def _people(session: AsyncSession, user: Any) -> Any | None:
    """None when the user sees every ERP record; else a subquery of the users whose clients and lines they see."""
    if user.can("goals.manage") or user.can("scope.all"):
        return None
    scope = await row_scope(session, user)
    if scope.department_ids:
        return select(User.id).where(or_(User.id == user.id, User.department_id.in_(scope.department_ids)))
    return select(User.id).where(User.id == user.id)


async def line_scope(session: AsyncSession, user: Any) -> ColumnElement[bool] | None:
    """Lines of clients the user (or their department subtree) is responsible for, or sold by them."""
    people = await _people(session, user)
    if people is None:
        return None
    return or_(ErpClient.responsible_id.in_(people), SalesLine.salesperson_id.in_(people))


async def client_scope(session: AsyncSession, user: Any) -> ColumnElement[bool] | None:
    people = await _people(session, user)
    if people is None:
        return None
    # "sold to" as a set of client ids, not a correlated EXISTS: the set comes from the (salesperson, client) index
    # once (a hashed subplan), where EXISTS probed the lines of every one of the clients in turn
    sold = select(SalesLine.client_id).where(SalesLine.salesperson_id.in_(people))
    return or_(ErpClient.responsible_id.in_(people), ErpClient.id.in_(sold))


async def lines_query(
    session: AsyncSession,
    user: Any,
    *,
    day_from: date | None = None,
    day_to: date | None = None,
    client_id: int | None = None,
    family: str | None = None,
) -> Select[Any]:
    stmt = select(SalesLine).join(ErpClient, ErpClient.id == SalesLine.client_id)
    clause = await line_scope(session, user)
    if clause is not None:
        stmt = stmt.where(clause)
    if day_from:
        stmt = stmt.where(SalesLine.day >= day_from)
    if day_to:
        stmt = stmt.where(SalesLine.day <= day_to)
    if client_id is not None:
        stmt = stmt.where(SalesLine.client_id == client_id)
    if family is not None:
        stmt = stmt.where(SalesLine.family == family)
    return stmt


async def clients_query(session: AsyncSession, user: Any, *, q: str = "", new: bool | None = None) -> Select[Any]:
    stmt = select(ErpClient)
    clause = await client_scope(session, user)
    if clause is not None:
        stmt = stmt.where(clause)
    if q:
        pattern = contains(q)
        stmt = stmt.where(
            or_(ErpClient.name.ilike(pattern), ErpClient.code.ilike(pattern), ErpClient.inn.ilike(pattern))
        )
    if new is not None:
        stmt = stmt.where(ErpClient.is_new.is_(new))
    return stmt


async def visible_client(session: AsyncSession, user: Any, client_id: int) -> ErpClient | None:
    stmt = await clients_query(session, user)
    return await session.scalar(stmt.where(ErpClient.id == client_id))


def month_starts(today: date, count: int = 24) -> list[date]:
    months = []
    year, month = today.year, today.month
    for _i in range(count):
        months.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return list(reversed(months))


async def client_months(session: AsyncSession, client_id: int, today: date) -> list[tuple[date, Any, int]]:
    """Revenue and lines of a client for each of the last 24 months (0 for a month without sales)."""
    months = month_starts(today)
    rows = (
        await session.execute(
            select(ClientMonthSales.month, func.sum(ClientMonthSales.revenue), func.sum(ClientMonthSales.lines))
            .where(ClientMonthSales.client_id == client_id, ClientMonthSales.month >= months[0])
            .group_by(ClientMonthSales.month)
        )
    ).all()
    found = {r[0]: (r[1], int(r[2])) for r in rows}
    return [(m, *found.get(m, (0, 0))) for m in months]


async def clients_list(session: AsyncSession, user: Any, *, q: str = "", new: bool | None = None) -> ListQuery:
    """The ERP clients list of the page, its export and the API."""
    stmt = await clients_query(session, user, q=q, new=new)
    return ListQuery(stmt, CLIENT_SORTS, "name", ErpClient.id)


async def lines_list(session: AsyncSession, user: Any, **filters: Any) -> ListQuery:
    return ListQuery(await lines_query(session, user, **filters), LINE_SORTS, "-day", SalesLine.id)


def recent_imports() -> Select[Any]:
    return select(SalesImport).where(SalesImport.status != "draft").order_by(SalesImport.id.desc())


def reason_text(code: str, value: str) -> str:
    template = REASONS.get(code, code)
    return _(template) % {"value": value} if "%(value)s" in template else _(template)


async def rejected_csv(session: AsyncSession, item: SalesImport) -> Iterator[str]:
    """The kept rejected rows as CSV (row number, reason, the row's cells), and how many more were not kept."""
    rows = (
        await session.scalars(
            select(SalesImportReject)
            .where(SalesImportReject.import_id == item.id)
            .order_by(SalesImportReject.row_no, SalesImportReject.id)
        )
    ).all()

    def lines() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";")
        writer.writerow([_("Row"), _("Reason"), _("Row contents")])
        for r in rows:
            writer.writerow([r.row_no, neutralise(reason_text(r.reason, r.value)), *map(neutralise, r.row)])
        if item.rejected > len(rows):
            writer.writerow(["", _("%(count)s more rejected rows are not kept") % {"count": item.rejected - len(rows)}])
        yield "\ufeff" + buffer.getvalue()

    return lines()
