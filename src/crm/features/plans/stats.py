"""The statistics views: a year by months or a month by working days, per manager, with department rows.

Read from the daily figures the sync keeps (``ManagerDayFigure``) with one grouped query for the facts and one for
the plans and their statuses, whatever the size of the organisation; days off are neither shown nor counted.
"""

from __future__ import annotations

import calendar as pycal
import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Date, and_, cast, exists, extract, func, literal, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.calendar.services import working_days
from crm.features.clients.models import Call
from crm.features.clients.sync_models import Bitrix24Settings, ManagerDayFigure
from crm.features.org.models import Department, Employee
from crm.features.org.tree import all_departments, effective_heads, indented
from crm.features.plans.models import CallPlan, DayComment
from crm.features.plans.scope import Selection, Visible, selection_clause
from crm.lib.i18n import local_tz

FULFILLED, NOT_FULFILLED, FORCED, NONE = "fulfilled", "not_fulfilled", "forced", "none"


def day_status(day: date, today: date, plan: int | None, fact: int, forced: bool) -> str:
    """A past working day with a plan is fulfilled when fact ≥ plan, else forced (when a head forced it) or not
    fulfilled; today and future days, and days without a plan, are neither."""
    if plan is None or day >= today:
        return NONE
    if fact >= plan:
        return FULFILLED
    return FORCED if forced else NOT_FULFILLED


@dataclass
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
    """Departments in tree order that have selected people, each summing its subtree; the head first."""
    members: dict[int | None, list[int]] = {}
    known = {d.id for d in departments}
    for e in employees:
        members.setdefault(e.department_id if e.department_id in known else None, []).append(e.id)
    by_employee = {e.id: e for e in employees}
    tree = indented(departments)
    children: dict[int, list[int]] = {}
    for d in departments:
        if d.parent_id is not None:
            children.setdefault(d.parent_id, []).append(d.id)

    def subtree(dept_id: int) -> list[int]:
        out = list(members.get(dept_id, []))
        for child in children.get(dept_id, []):
            out.extend(subtree(child))
        return out

    groups: list[Group] = []
    shown_depth: dict[int, int] = {}
    for d, _depth in tree:
        if not members.get(d.id):
            continue
        depth = next((shown_depth[p] + 1 for p in _ancestors(d, departments) if p in shown_depth), 0)
        shown_depth[d.id] = depth
        head_id = heads.get(d.id)
        own = sorted(members[d.id], key=lambda i: (i != head_id,))
        groups.append(_group(d, depth, by_employee.get(head_id or -1), own, subtree(d.id), rows, periods, days_so_far))
        for r in groups[-1].rows:
            r.is_head = r.employee.id == head_id
    if members.get(None):
        groups.append(_group(None, 0, None, members[None], members[None], rows, periods, days_so_far))
    return groups


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
    summed: list[int],
    rows: dict[int, Row],
    periods: list[Any],
    days_so_far: int | None,
) -> Group:
    cells = {p: Cell() for p in periods}
    total = Cell()
    for employee_id in dict.fromkeys(summed):
        row = rows[employee_id]
        for p in periods:
            cells[p].add(row.cells[p])
        total.add(row.total)
    average = _average(total.calls, days_so_far) if days_so_far is not None else None
    return Group(department, depth, head, [rows[i] for i in own], cells, total, average)


async def _cells(
    session: AsyncSession, ids: list[int], days: list[date], by_day: bool, today: date
) -> dict[tuple[int, Any], Cell]:
    """Facts, plans with their statuses, and comment counts per employee and period (three grouped queries)."""
    if not ids or not days:
        return {}
    f = ManagerDayFigure
    period = f.day if by_day else extract("month", f.day)
    facts = await session.execute(
        select(f.employee_id, period, func.sum(f.calls), func.sum(f.meetings))
        .where(f.employee_id.in_(ids), f.day.in_(days))
        .group_by(f.employee_id, period)
    )
    out: dict[tuple[int, Any], Cell] = {}
    for employee_id, p, calls, meetings in facts:
        out[(employee_id, _key(p, by_day))] = Cell(calls=int(calls or 0), meetings=int(meetings or 0))

    p_ = CallPlan
    fact = func.coalesce(f.calls, 0)
    past = p_.day < today
    pperiod = p_.day if by_day else extract("month", p_.day)
    plans = await session.execute(
        select(
            p_.employee_id,
            pperiod,
            func.sum(p_.calls),
            func.count().filter(past, fact >= p_.calls),
            func.count().filter(past, fact < p_.calls, p_.forced_at.is_(None)),
            func.count().filter(past, fact < p_.calls, p_.forced_at.is_not(None)),
        )
        .outerjoin(f, and_(f.employee_id == p_.employee_id, f.day == p_.day))
        .where(p_.employee_id.in_(ids), p_.day.in_(days))
        .group_by(p_.employee_id, pperiod)
    )
    for employee_id, p, plan, fulfilled, not_fulfilled, forced in plans:
        cell = out.setdefault((employee_id, _key(p, by_day)), Cell())
        cell.plan = int(plan)
        cell.fulfilled, cell.not_fulfilled, cell.forced = int(fulfilled), int(not_fulfilled), int(forced)
        if by_day:
            cell.status = FULFILLED if fulfilled else NOT_FULFILLED if not_fulfilled else FORCED if forced else NONE

    c = DayComment
    cperiod = c.day if by_day else extract("month", c.day)
    comments = await session.execute(
        select(c.employee_id, cperiod, func.count())
        .where(c.employee_id.in_(ids), c.day.in_(days))
        .group_by(c.employee_id, cperiod)
    )
    for employee_id, p, n in comments:
        out.setdefault((employee_id, _key(p, by_day)), Cell()).comments = int(n)
    return out


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
    """Distinct companies each manager called (outgoing, at least the minimum duration, on working days in the
    organisation's zone): ``(employee, day or month) → n`` and ``(employee, None) → n`` for the whole period, in
    one grouped query (GROUPING SETS) served by ``ix_calls_user_start`` (user_id, start_at)."""
    if not ids or not days:
        return {}
    tz = local_tz()
    start = datetime.combine(min(days), time(), tz)
    end = datetime.combine(max(days) + timedelta(days=1), time(), tz)
    local_day = cast(func.timezone(literal(str(tz), literal_execute=True), Call.start_at), Date)
    period = (local_day if by_day else extract("month", local_day)).label("period")
    rows = await session.execute(
        select(Call.user_id, period, func.count(func.distinct(Call.company_id)))
        .where(
            Call.user_id.in_(ids),
            Call.start_at >= start,
            Call.start_at < end,
            Call.active.is_(True),
            Call.call_type == 1,
            Call.duration >= await min_call_seconds(session),
            Call.company_id.is_not(None),
            local_day.in_(days),
        )
        .group_by(func.grouping_sets(tuple_(Call.user_id, period), tuple_(Call.user_id)))
    )
    return {(user_id, None if p is None else _key(p, by_day)): int(n) for user_id, p, n in rows}


def _key(period: Any, by_day: bool) -> Any:
    return period if by_day else int(period)
