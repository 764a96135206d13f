"""The statistics views: a year by months or a month by working days, per manager, with department rows.

Read from the daily figures the sync keeps (``ManagerDayFigure``) with one grouped query for the facts and one for
the plans and their statuses, whatever the size of the organisation; days off are neither shown nor counted.
"""

from __future__ import annotations

import calendar as pycal
import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import (
    BigInteger,
    BindParameter,
    Date,
    and_,
    any_,
    bindparam,
    exists,
    or_,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.calendar.services import working_days
from crm.features.clients.sync_models import Bitrix24Settings, ManagerDayFigure
from crm.features.org.models import Department, Employee
from crm.features.org.tree import all_departments, effective_heads, indented
from crm.features.plans.companies_called import DAY, MONTH, YEAR, ManagerCompaniesCalled
from crm.features.plans.month_figures import ManagerMonthFigure
from crm.features.plans.scope import Selection, Visible, selection_clause

FULFILLED, NOT_FULFILLED, FORCED, NONE = "fulfilled", "not_fulfilled", "forced", "none"


def day_status(day: date, today: date, plan: int | None, fact: int, forced: bool) -> str:
    """A past working day with a plan is fulfilled when fact ≥ plan, else forced (when a head forced it) or not
    fulfilled; today and future days, and days without a plan, are neither."""
    if plan is None or day >= today:
        return NONE
    if fact >= plan:
        return FULFILLED
    return FORCED if forced else NOT_FULFILLED


@dataclass(slots=True)
class Cell:
    """Figures of one manager (or a department) in one period (a day or a month)."""

    calls: int = 0
    meetings: int = 0
    plan: int | None = None
    fulfilled: int = 0
    not_fulfilled: int = 0
    forced: int = 0
    comments: int = 0
    status: str = NONE  # of a day
    companies: int = 0  # distinct companies called; not summed by ``add`` (a distinct count does not add up)

    def add(self, other: Cell) -> None:
        self.calls += other.calls
        self.meetings += other.meetings
        if other.plan is not None:
            self.plan = (self.plan or 0) + other.plan
        self.fulfilled += other.fulfilled
        self.not_fulfilled += other.not_fulfilled
        self.forced += other.forced
        self.comments += other.comments

    @property
    def done(self) -> int:
        return self.fulfilled + self.forced

    @property
    def completion(self) -> int | None:
        """Plan completion in per cent of the past planned days (fulfilled or forced)."""
        judged = self.fulfilled + self.forced + self.not_fulfilled
        return round(100 * self.done / judged) if judged else None


@dataclass
class Row:
    employee: Employee
    is_head: bool
    cells: dict[Any, Cell]
    total: Cell
    average: int | None = None


@dataclass
class Group:
    department: Department | None
    depth: int
    head: Employee | None
    rows: list[Row]
    cells: dict[Any, Cell]
    total: Cell
    average: int | None = None


@dataclass
class View:
    year: int
    month: int | None
    periods: list[Any]  # month numbers, or working days
    groups: list[Group]
    total: Cell
    totals: dict[Any, Cell]
    employees: int
    days_so_far: int = 0
    today: date = field(default_factory=date.today)


async def selected_employees(
    session: AsyncSession, visible: Visible, selection: Selection, start: date, end: date
) -> list[Employee]:
    """The visible employees of the selection: active ones, and former ones with figures in the period."""
    had_figures = exists().where(
        ManagerDayFigure.employee_id == Employee.id, ManagerDayFigure.day >= start, ManagerDayFigure.day <= end
    )
    stmt = select(Employee).where(or_(Employee.active.is_(True), had_figures))
    for clause in (visible.clause(Employee.id), await selection_clause(session, selection)):
        if clause is not None:
            stmt = stmt.where(clause)
    return list((await session.scalars(stmt.order_by(Employee.last_name, Employee.name, Employee.id))).all())


async def build_view(
    session: AsyncSession, visible: Visible, selection: Selection, year: int, month: int | None, today: date
) -> View:
    start, end_day = period_bounds(year, month)
    days = await working_days(session, start, end_day)
    employees = await selected_employees(session, visible, selection, start, end_day)
    ids = [e.id for e in employees]
    cells = await _cells(session, ids, days, month is not None, today)
    companies = await companies_called(session, ids, days, month is not None)
    for key, n in companies.items():
        if key[1] is not None:
            cells.setdefault(key, Cell()).companies = n
    periods: list[Any] = days if month else list(range(1, 13))
    departments = await all_departments(session)
    heads = effective_heads(departments)
    view = View(year, month, periods, [], Cell(), {p: Cell() for p in periods}, len(employees), today=today)
    view.days_so_far = sum(1 for d in days if d <= today)
    rows = {}
    for e in employees:
        own = {p: cells.get((e.id, p), Cell()) for p in periods}
        total = Cell()
        for c in own.values():
            total.add(c)
        total.companies = companies.get((e.id, None), 0)
        rows[e.id] = Row(e, False, own, total, _average(total.calls, view.days_so_far) if month else None)
        view.total.add(total)
        for p, c in own.items():
            view.totals[p].add(c)
    view.groups = _groups(departments, heads, employees, rows, periods, view.days_so_far if month else None)
    return view


def period_bounds(year: int, month: int | None) -> tuple[date, date]:
    if month is None:
        return date(year, 1, 1), date(year, 12, 31)
    return date(year, month, 1), date(year, month, pycal.monthrange(year, month)[1])


def _average(calls: int, days: int) -> int | None:
    return math.ceil(calls / days) if days else None


def _groups(
    departments: list[Department],
    heads: dict[int, int | None],
    employees: list[Employee],
    rows: dict[int, Row],
    periods: list[Any],
    days_so_far: int | None,
) -> list[Group]:
    """Departments in tree order that have selected people, each summing its subtree; the head first; then the
    people of no known department."""
    known = {d.id for d in departments}
    members: dict[int | None, list[int]] = {}
    for e in employees:
        members.setdefault(e.department_id if e.department_id in known else None, []).append(e.id)
    by_employee = {e.id: e for e in employees}
    sums = _SubtreeSums(departments, members, rows, periods)
    groups: list[Group] = []
    shown_depth: dict[int, int] = {}
    for d, _depth in indented(departments):
        if not members.get(d.id):
            continue
        depth = next((shown_depth[p] + 1 for p in _ancestors(d, departments) if p in shown_depth), 0)
        shown_depth[d.id] = depth
        head_id = heads.get(d.id)
        own = sorted(members[d.id], key=lambda i: (i != head_id,))
        groups.append(_group(d, depth, by_employee.get(head_id or -1), own, sums.of(d.id), rows, days_so_far))
        for r in groups[-1].rows:
            r.is_head = r.employee.id == head_id
    if members.get(None):
        loose = sums.people(members[None])
        groups.append(_group(None, 0, None, members[None], loose, rows, days_so_far))
    return groups


class _SubtreeSums:
    """The sums of each department's subtree per period and in all: its own people, then its children's sums
    (each person added once, each department once to its parent; not once per ancestor)."""

    def __init__(
        self,
        departments: list[Department],
        members: dict[int | None, list[int]],
        rows: dict[int, Row],
        periods: list[Any],
    ) -> None:
        self.members, self.rows, self.periods = members, rows, periods
        self.children: dict[int, list[int]] = {}
        for d in departments:
            if d.parent_id is not None:
                self.children.setdefault(d.parent_id, []).append(d.id)
        self.done: dict[int, tuple[dict[Any, Cell], Cell]] = {}

    def people(self, ids: list[int]) -> tuple[dict[Any, Cell], Cell]:
        cells, total = {p: Cell() for p in self.periods}, Cell()
        for employee_id in ids:
            row = self.rows[employee_id]
            for p in self.periods:
                cells[p].add(row.cells[p])
            total.add(row.total)
        return cells, total

    def of(self, dept_id: int) -> tuple[dict[Any, Cell], Cell]:
        if dept_id in self.done:
            return self.done[dept_id]
        cells, total = self.people(self.members.get(dept_id, []))
        self.done[dept_id] = (cells, total)  # before the children: a cycle in the tree ends here
        for child in self.children.get(dept_id, []):
            child_cells, child_total = self.of(child)
            for p in self.periods:
                cells[p].add(child_cells[p])
            total.add(child_total)
        return cells, total


def _ancestors(d: Department, departments: list[Department]) -> list[int]:
    by_id = {x.id: x for x in departments}
    out: list[int] = []
    parent = d.parent_id
    while parent in by_id and parent not in out and len(out) < 50:
        out.append(parent)
        parent = by_id[parent].parent_id
    return out


def _group(
    department: Department | None,
    depth: int,
    head: Employee | None,
    own: list[int],
    sums: tuple[dict[Any, Cell], Cell],
    rows: dict[int, Row],
    days_so_far: int | None,
) -> Group:
    cells, total = sums
    average = _average(total.calls, days_so_far) if days_so_far is not None else None
    return Group(department, depth, head, [rows[i] for i in own], cells, total, average)


# Facts and plans of the period in one pass: a person's day is one row of each table at most, so a full join by
# (employee, day) then a GROUP BY the period gives, per person and month (or day), the sums and the plan statuses;
# whole numbers come out of SQL (no Decimal per cell), the people and working days are two array parameters (not
# one bind parameter each), and the day range lets the primary keys (employee_id, day) be read as ranges. The
# working days are a hashed semi-join after the join: as a `day = ANY(:days)` in the index condition every row
# of a year was compared with ~250 days (300,000 buffer reads and 450 ms for the whole organisation, 150 ms so).
_CELLS = """
SELECT coalesce(f.employee_id, p.employee_id) AS employee_id, {period} AS period,
       coalesce(sum(f.calls), 0)::int, coalesce(sum(f.meetings), 0)::int, sum(p.calls)::int AS plan,
       count(p.day) FILTER (WHERE p.day < :today AND coalesce(f.calls, 0) >= p.calls)::int,
       count(p.day) FILTER (WHERE p.day < :today AND coalesce(f.calls, 0) < p.calls AND p.forced_at IS NULL)::int,
       count(p.day) FILTER (WHERE p.day < :today AND coalesce(f.calls, 0) < p.calls
                            AND p.forced_at IS NOT NULL)::int
FROM (SELECT employee_id, day, calls, meetings FROM manager_day_figures
      WHERE employee_id = ANY(:ids) AND day BETWEEN :lo AND :hi) f
FULL JOIN (SELECT employee_id, day, calls, forced_at FROM call_plans
           WHERE employee_id = ANY(:ids) AND day BETWEEN :lo AND :hi) p
  ON p.employee_id = f.employee_id AND p.day = f.day
WHERE coalesce(f.day, p.day) IN (SELECT unnest(CAST(:days AS date[])))
GROUP BY 1, 2
"""
_COMMENTS = """
SELECT employee_id, {period} AS period, count(*)::int FROM plan_day_comments
WHERE employee_id = ANY(:ids) AND day BETWEEN :lo AND :hi AND day IN (SELECT unnest(CAST(:days AS date[])))
GROUP BY 1, 2
"""


def _binds(ids: list[int], days: list[date]) -> list[BindParameter[Any]]:
    """The people and working days as two array parameters (not one bind parameter each), and the day range that
    lets the primary keys (employee_id, day) be read as ranges."""
    return [
        bindparam("ids", ids, type_=ARRAY(BigInteger)),
        bindparam("days", days, type_=ARRAY(Date)),
        bindparam("lo", min(days), type_=Date),
        bindparam("hi", max(days), type_=Date),
    ]


async def _cells(
    session: AsyncSession, ids: list[int], days: list[date], by_day: bool, today: date
) -> dict[tuple[int, Any], Cell]:
    """Facts, plans with their statuses, and comment counts per employee and period (a year is at most 12 rows
    per person, a month one per working day). A year's months that are over are read as kept sums
    (``month_figures``), the others from the days."""
    if not ids or not days:
        return {}
    out: dict[tuple[int, Any], Cell] = {}
    this_month, judged = today.replace(day=1), days
    if not by_day and days[0] < this_month:
        await _past_months(session, ids, days[0], this_month, out)
        judged = [d for d in days if d >= this_month]
    if judged:
        await _days(session, ids, judged, by_day, today, out)
    comments = _COMMENTS.format(period="day" if by_day else "extract(month FROM day)::int")
    for employee_id, p, n in await session.execute(text(comments).bindparams(*_binds(ids, days))):
        out.setdefault((employee_id, p), Cell()).comments = n
    return out


async def _past_months(
    session: AsyncSession, ids: list[int], start: date, before: date, out: dict[tuple[int, Any], Cell]
) -> None:
    kept = ManagerMonthFigure.__table__.c  # Core columns: plain rows, no ORM result processing (~10× faster here)
    rows = await session.execute(
        select(
            kept.employee_id,
            kept.month,
            kept.calls,
            kept.meetings,
            kept.plan,
            kept.fulfilled,
            kept.not_fulfilled,
            kept.forced,
        ).where(
            kept.employee_id == any_(bindparam("ids", ids, type_=ARRAY(BigInteger))),
            kept.month >= start.replace(day=1),
            kept.month < before,
        )
    )
    for employee_id, month, calls, meetings, plan, fulfilled, not_fulfilled, forced in rows.all():
        cell = Cell(calls=calls, meetings=meetings)
        if plan is not None:
            cell.plan, cell.fulfilled, cell.not_fulfilled, cell.forced = plan, fulfilled, not_fulfilled, forced
        out[(employee_id, month.month)] = cell


async def _days(
    session: AsyncSession, ids: list[int], days: list[date], by_day: bool, today: date, out: dict[tuple[int, Any], Cell]
) -> None:
    day = "coalesce(f.day, p.day)"
    sql = _CELLS.format(period=day if by_day else f"extract(month FROM {day})::int")
    binds = [*_binds(ids, days), bindparam("today", today, type_=Date)]
    rows = await session.execute(text(sql).bindparams(*binds))
    for employee_id, p, calls, meetings, plan, fulfilled, not_fulfilled, forced in rows.all():
        cell = Cell(calls=calls, meetings=meetings)
        if plan is not None:
            cell.plan, cell.fulfilled, cell.not_fulfilled, cell.forced = plan, fulfilled, not_fulfilled, forced
            if by_day:
                cell.status = FULFILLED if fulfilled else NOT_FULFILLED if not_fulfilled else FORCED if forced else NONE
        out[(employee_id, p)] = cell


async def meeting_kinds(session: AsyncSession) -> list[str]:
    """The activity kinds that count as meetings (the Integrations screen's setting)."""
    value = await session.scalar(select(Bitrix24Settings.meeting_kinds).where(Bitrix24Settings.id == 1))
    return list(value) if value else ["meeting"]


async def min_call_seconds(session: AsyncSession) -> int:
    value = await session.scalar(select(Bitrix24Settings.min_call_seconds).where(Bitrix24Settings.id == 1))
    return int(value) if value is not None else 20


async def companies_called(
    session: AsyncSession, ids: list[int], days: list[date], by_day: bool
) -> dict[tuple[int, Any], int]:
    """Distinct companies each manager called on working days (outgoing, at least the minimum duration):
    ``(employee, day or month) → n`` and ``(employee, None) → n`` for the whole period (the month, or the year),
    read from the counts kept by ``companies_called``: one row per employee and period."""
    if not ids or not days:
        return {}
    first = days[0]
    if by_day:
        cells, whole, start = DAY, MONTH, first.replace(day=1)
    else:
        cells, whole, start = MONTH, YEAR, first.replace(month=1, day=1)
    kept = ManagerCompaniesCalled.__table__.c  # Core columns: plain rows, no ORM result processing
    rows = await session.execute(
        select(kept.employee_id, kept.grain, kept.period, kept.companies).where(
            kept.employee_id == any_(bindparam("ids", ids, type_=ARRAY(BigInteger))),
            or_(
                and_(kept.grain == cells, kept.period.between(start, days[-1])),
                and_(kept.grain == whole, kept.period == start),
            ),
        )
    )
    working = set(days)
    out: dict[tuple[int, Any], int] = {}
    for employee_id, grain, period, n in rows.all():
        if grain == whole:
            out[(employee_id, None)] = n
        elif not by_day:
            out[(employee_id, period.month)] = n
        elif period in working:
            out[(employee_id, period)] = n
    return out
