"""The client table and the yearly summary of the sales analysis, by the exact rules of spec/goals.md.

Indices (defaults): I1 month over month, I2 vs the average of the 3 months before, I3 vs the same month a year
before, I4 year to date vs the same months a year before; percentages rounded half-up to 0.1 (PostgreSQL's numeric
``round`` rounds halves away from zero), null when the base is 0. ABC among the clients with revenue > 0 in the
month, by revenue descending, ties by client code: A while the revenue *before* the client is < A % of the total,
B while < B %, else C. A client "bought" in a month when its revenue of that month is above 0.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, literal, null, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts.models import User
from crm.features.goals import config, figures
from crm.features.goals.models import (
    AnalysisCategory,
    AnalysisClientMonth,
    AnalysisMonthTotal,
    AnalysisOverride,
    AnalysisReason,
    Goal,
    GoalTarget,
)
from crm.features.goals.scope import Scope
from crm.features.sales.models import ErpClient
from crm.lib.lists import ListQuery, Page

T = AnalysisClientMonth
COLUMNS = ("revenue", "i1", "i2", "i3", "i4", "abc", "category", "reason", "last_purchase", "responsible")
SORTABLE = ("code", "name", *COLUMNS)
NUMERIC = ("revenue", "i1", "i2", "i3", "i4")
TEXTUAL = ("code", "name", "abc", "category", "reason", "responsible")
OPS = ("eq", "ne", "lt", "le", "gt", "ge", "contains", "empty", "set")
MAX_FILTERS = 3


class BadInput(ValueError):
    """A parameter the analysis cannot use: ``field`` and a message (English, translated by the caller)."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.message = message


@dataclass(frozen=True)
class Filter:
    field: str
    op: str
    value: str = ""


@dataclass
class Query:
    variable: str = "revenue"
    month: date = field(default_factory=lambda: date.today().replace(day=1))
    family: str = ""
    filters: list[Filter] = field(default_factory=list)
    sort: list[str] = field(default_factory=list)  # up to two keys, "-" for descending
    person: uuid.UUID | None = None  # only this responsible's clients


def _pct(num: Any, base: Any) -> Any:
    return case((base == 0, null()), else_=func.round(num * 100 / base, 1))


def index_expr(formula: str) -> Any:
    c = T.r0
    if formula == "mom":
        return _pct(c - T.r1, T.r1)
    if formula == "avg3":
        s = T.r1 + T.r2 + T.r3
        return _pct(c * 3 - s, s)
    if formula == "avg6":
        return _pct(c * 6 - T.s6, T.s6)
    if formula == "avg12":
        return _pct(c * 12 - T.s12, T.s12)
    if formula == "yoy":
        return _pct(c - T.r12, T.r12)
    return _pct(T.ytd - T.pytd, T.pytd)


def variable_clause(variable: str, month: date) -> ColumnElement[bool] | None:
    if variable == "client_count":
        return T.r0 > 0
    if variable == "new_clients":
        return T.first_month == month
    if variable == "non_retained_clients":
        return and_(T.bought_prev3.is_(True), T.r0 <= 0)
    return None


def _compare(expr: Any, op: str, value: Any) -> ColumnElement[bool]:
    return {
        "<": expr < value,
        "<=": expr <= value,
        ">": expr > value,
        ">=": expr >= value,
        "=": expr == value,
    }[op]


async def base_select(session: AsyncSession, scope: Scope, query: Query) -> Select[Any]:
    """Every column of the table for the query's month, family, variable and scope (a subquery to filter on)."""
    await figures.ensure_clients(session, query.month, query.family)
    cfg = await config.load(session)
    indices = {k: index_expr(cfg.formulas[k]) for k in ("i1", "i2", "i3", "i4")}
    metrics = {"revenue": T.r0, **indices}
    rules = cfg.rules.get(query.variable, [])
    auto = (
        case(*[(_compare(metrics[r.metric], r.op, r.value), literal(r.category)) for r in rules], else_=null())
        if rules
        else null()
    )
    abc = case(
        (T.total.is_(None), null()),
        (T.cum_before * 100 < T.total * cfg.abc_a, literal("A")),
        (T.cum_before * 100 < T.total * cfg.abc_b, literal("B")),
        else_=literal("C"),
    )
    stmt = (
        select(
            T.client_id.label("client_id"),
            ErpClient.code.label("code"),
            ErpClient.name.label("name"),
            T.r0.label("revenue"),
            *[indices[k].label(k) for k in ("i1", "i2", "i3", "i4")],
            abc.label("abc"),
            func.coalesce(AnalysisCategory.name, auto).label("category"),
            AnalysisReason.name.label("reason"),
            (AnalysisOverride.client_id.is_not(None)).label("category_manual"),
            T.last_purchase.label("last_purchase"),
            func.coalesce(func.nullif(User.name, ""), User.email).label("responsible"),
            ErpClient.responsible_id.label("responsible_id"),
        )
        .outerjoin(ErpClient, ErpClient.id == T.client_id)
        .outerjoin(User, User.id == ErpClient.responsible_id)
        .outerjoin(
            AnalysisOverride,
            and_(AnalysisOverride.client_id == T.client_id, AnalysisOverride.variable == query.variable),
        )
        .outerjoin(AnalysisCategory, AnalysisCategory.id == AnalysisOverride.category_id)
        .outerjoin(AnalysisReason, AnalysisReason.id == AnalysisOverride.reason_id)
        .where(T.month == query.month, T.family == query.family)
    )
    clause = variable_clause(query.variable, query.month)
    if clause is not None:
        stmt = stmt.where(clause)
    if query.person is not None:
        stmt = stmt.where(ErpClient.responsible_id == query.person)
    return scope.where(stmt, ErpClient.responsible_id)


def parse_filter(field_name: str, op: str, value: str) -> Filter:
    if field_name not in SORTABLE:
        raise BadInput("filter", f"unknown field {field_name[:40]!r}")
    if op not in OPS:
        raise BadInput("filter", f"unknown comparison {op[:20]!r}")
    value = value.strip()[:200]
    if op in ("empty", "set"):
        return Filter(field_name, op, "")
    if field_name in NUMERIC and config.parse_decimal(value) is None:
        raise BadInput("filter", f"{field_name}: a number is expected, not {value[:40]!r}")
    if field_name == "last_purchase":
        try:
            date.fromisoformat(value)
        except ValueError:
            raise BadInput("filter", "last_purchase: a date YYYY-MM-DD is expected") from None
    if op == "contains" and field_name not in TEXTUAL:
        raise BadInput("filter", f"{field_name}: 'contains' is for text fields")
    return Filter(field_name, op, value)


def _filter_clause(col: Any, flt: Filter) -> ColumnElement[bool]:
    if flt.op == "empty":
        return col.is_(None)
    if flt.op == "set":
        return col.is_not(None)
    value: Any = flt.value
    if flt.field in NUMERIC:
        value = config.parse_decimal(value)
    elif flt.field == "last_purchase":
        value = date.fromisoformat(value)
    if flt.op == "contains":
        return func.lower(col).contains(str(value).lower(), autoescape=True)
    if flt.field in TEXTUAL and flt.op in ("eq", "ne"):
        same = func.lower(col) == str(value).lower()
        return same if flt.op == "eq" else or_(col.is_(None), ~same)
    return {
        "eq": col == value,
        "ne": col != value,
        "lt": col < value,
        "le": col <= value,
        "gt": col > value,
        "ge": col >= value,
    }[flt.op]


def parse_sort(raw: list[str]) -> list[str]:
    keys = [k.strip() for part in raw for k in part.split(",") if k.strip()]
    if len(keys) > 2:
        raise BadInput("sort", "at most two sort keys")
    for key in keys:
        if key.lstrip("-") not in SORTABLE:
            raise BadInput("sort", f"unknown sort key {key[:40]!r}; one of {', '.join(SORTABLE)}")
    return keys


async def table_select(session: AsyncSession, scope: Scope, query: Query) -> tuple[Any, Select[Any]]:
    """The filtered, ordered rows (a subquery and the select over it)."""
    sub = (await base_select(session, scope, query)).subquery("rows")
    stmt = select(sub)
    for flt in query.filters[:MAX_FILTERS]:
        stmt = stmt.where(_filter_clause(sub.c[flt.field], flt))
    order = []
    for key in query.sort or ["-revenue"]:
        col = sub.c[key.lstrip("-")]
        order.append(col.desc().nulls_last() if key.startswith("-") else col.asc().nulls_last())
    return sub, stmt.order_by(*order, sub.c.code, sub.c.client_id)


async def table_page(
    session: AsyncSession, scope: Scope, query: Query, page: int, page_size: int, *, clamp: bool = True
) -> Page[Any]:
    """One page of rows in the table's own (multi-level) order, with the total (``clamp``: a page past the end
    shows the last one)."""
    _sub, stmt = await table_select(session, scope, query)
    return await ListQuery(stmt, {}, default="", tiebreak=None).fetch(session, page, page_size, clamp=clamp)


def row_json(row: Any) -> dict[str, Any]:
    return {
        "client_id": row.client_id,
        "code": row.code,
        "name": row.name,
        "revenue": float(row.revenue),
        **{k: (float(getattr(row, k)) if getattr(row, k) is not None else None) for k in ("i1", "i2", "i3", "i4")},
        "abc": row.abc,
        "category": row.category,
        "reason": row.reason,
        "category_manual": bool(row.category_manual),
        "last_purchase": row.last_purchase.isoformat() if row.last_purchase else None,
        "responsible": row.responsible,
    }


# --------------------------------------------------------------------------- the yearly summary


@dataclass
class MonthFigure:
    month: int
    target: Decimal | None
    actual: Decimal
    percent: Decimal | None


ACTUAL = {
    "revenue": AnalysisMonthTotal.revenue,
    "client_count": AnalysisMonthTotal.buyers,
    "new_clients": AnalysisMonthTotal.new_clients,
    "non_retained_clients": AnalysisMonthTotal.non_retained,
}


def percent(actual: Decimal, target: Decimal | None) -> Decimal | None:
    if not target:
        return None
    return (Decimal(actual) * 100 / Decimal(target)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


async def targets(
    session: AsyncSession, scope: Scope, variable: str, year: int, family: str, person: uuid.UUID | None = None
) -> dict[int, Decimal]:
    """Σ of the monthly targets of the goals in scope for the variable, family ('' all) and year."""
    stmt = (
        select(GoalTarget.month, func.sum(GoalTarget.target))
        .join(Goal, Goal.id == GoalTarget.goal_id)
        .where(Goal.variable == variable, Goal.year == year, Goal.family == family)
        .group_by(GoalTarget.month)
    )
    if person is not None:
        stmt = stmt.where(Goal.responsible_id == person)
    stmt = scope.where(stmt, Goal.responsible_id)
    return {m: Decimal(v) for m, v in (await session.execute(stmt)).all()}


async def actuals(
    session: AsyncSession,
    scope: Scope,
    variable: str,
    year: int,
    family: str,
    person: uuid.UUID | None = None,
    line_family: str = "*",
) -> dict[int, Decimal]:
    await figures.ensure_totals(session, year, family)
    t = AnalysisMonthTotal
    stmt = (
        select(func.extract("month", t.month), func.sum(ACTUAL[variable]))
        .where(t.year == year, t.family == family, t.line_family == line_family)
        .group_by(t.month)
    )
    if person is not None:
        stmt = stmt.where(t.responsible_id == person)
    stmt = scope.where(stmt, t.responsible_id)
    return {int(m): Decimal(v or 0) for m, v in (await session.execute(stmt)).all()}


async def summary(
    session: AsyncSession, scope: Scope, variable: str, year: int, family: str, person: uuid.UUID | None = None
) -> tuple[list[MonthFigure], MonthFigure]:
    goal = await targets(session, scope, variable, year, family, person)
    fact = await actuals(session, scope, variable, year, family, person)
    months = [
        MonthFigure(m, goal.get(m), fact.get(m, Decimal(0)), percent(fact.get(m, Decimal(0)), goal.get(m)))
        for m in range(1, 13)
    ]
    total_target = sum(goal.values(), Decimal(0)) if goal else None
    total_actual = sum(fact.values(), Decimal(0))
    return months, MonthFigure(0, total_target, total_actual, percent(total_actual, total_target))


async def by_family(
    session: AsyncSession, scope: Scope, variable: str, year: int, person: uuid.UUID | None = None
) -> list[tuple[str, Decimal]]:
    """Revenue (or buying clients) of the year per product family ('' lines without one)."""
    await figures.ensure_totals(session, year, "")
    t = AnalysisMonthTotal
    measure = t.buyers if variable == "client_count" else t.revenue
    stmt = (
        select(t.line_family, func.sum(measure))
        .where(t.year == year, t.family == "", t.line_family != "*")
        .group_by(t.line_family)
        .order_by(func.sum(measure).desc())
    )
    if person is not None:
        stmt = stmt.where(t.responsible_id == person)
    stmt = scope.where(stmt, t.responsible_id)
    return [(f, Decimal(v or 0)) for f, v in (await session.execute(stmt)).all()]


async def by_category(session: AsyncSession, scope: Scope, query: Query) -> list[tuple[str | None, int]]:
    """Clients of the month's table per category (the variable's breakdown, e.g. non-retained by category)."""
    sub = (await base_select(session, scope, query)).subquery()
    stmt = select(sub.c.category, func.count()).group_by(sub.c.category).order_by(func.count().desc())
    return [(c, n) for c, n in (await session.execute(stmt)).all()]


async def families(session: AsyncSession, year: int) -> list[str]:
    """Product families with sales in the year (from the cached totals: no scan of the sales)."""
    await figures.ensure_totals(session, year, "")
    t = AnalysisMonthTotal
    stmt = select(t.line_family).where(t.year == year, t.family == "", t.line_family.not_in(("*", "")))
    return list((await session.scalars(stmt.distinct().order_by(t.line_family).limit(200))).all())


async def actuals_by_person(
    session: AsyncSession, year: int, pairs: set[tuple[str, uuid.UUID]], month: int | None = None
) -> dict[tuple[str, uuid.UUID], dict[int, dict[str, Decimal]]]:
    """Actual figures of many (family, person) pairs at once: (family, person) → month → variable → value. One
    query per family (the cached totals are per family filter); for goals' progress and alerts."""
    out: dict[tuple[str, uuid.UUID], dict[int, dict[str, Decimal]]] = {}
    t = AnalysisMonthTotal
    for family in sorted({f for f, _p in pairs}):
        await figures.ensure_totals(session, year, family)
        people = [p for f, p in pairs if f == family]
        stmt = (
            select(
                t.responsible_id,
                func.extract("month", t.month),
                func.sum(t.revenue),
                func.sum(t.buyers),
                func.sum(t.new_clients),
                func.sum(t.non_retained),
            )
            .where(t.year == year, t.family == family, t.line_family == "*", t.responsible_id.in_(people))
            .group_by(t.responsible_id, t.month)
        )
        if month is not None:
            stmt = stmt.where(t.month == date(year, month, 1))
        for person, m, revenue, buyers, new, lost in (await session.execute(stmt)).all():
            out.setdefault((family, person), {})[int(m)] = {
                "revenue": Decimal(revenue or 0),
                "client_count": Decimal(buyers or 0),
                "new_clients": Decimal(new or 0),
                "non_retained_clients": Decimal(lost or 0),
            }
    return out
