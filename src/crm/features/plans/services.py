"""The rules of call plans: who may set them and until when, forced completion, day comments, report settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts.services import record
from crm.features.calendar.services import working_days
from crm.features.clients.sync_models import ManagerDayFigure
from crm.features.org.models import Department, Employee
from crm.features.plans.models import CallPlan, DayComment, PlanSettings
from crm.features.plans.scope import Visible
from crm.features.plans.stats import NOT_FULFILLED, day_status, period_bounds
from crm.lib.i18n import N_, gettext
from crm.lib.web import FormErrors, parse_int

if TYPE_CHECKING:
    from crm.features.plans.forms import PlanSettingsForm

MAX_PLAN = 1000
MAX_COMMENT = 2000
MIN_YEAR, MAX_YEAR = 2000, 2100


async def settings(session: AsyncSession) -> PlanSettings:
    row = await session.get(PlanSettings, 1)
    return row or PlanSettings(id=1, edit_deadline_day=5, default_department_id=None)


def edit_deadline(day: date, deadline_day: int) -> date:
    """The last date on which a plan of ``day`` may be edited: the deadline day of the following month."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return date(year, month, deadline_day)


def may_edit_day(user: Any, day: date, today: date, deadline_day: int) -> bool:
    return today <= edit_deadline(day, deadline_day) or user.can("plans.edit_past")


async def visible_employee(session: AsyncSession, visible: Visible, employee_id: int) -> Employee | None:
    stmt = select(Employee).where(Employee.id == employee_id)
    clause = visible.clause(Employee.id)
    if clause is not None:
        stmt = stmt.where(clause)
    return await session.scalar(stmt)


# --------------------------------------------------------------------------- plans


@dataclass
class PlanForm:
    """A month's plan as typed: one number for every working day, or a number (or nothing) per day."""

    daily: int | None = None
    days: dict[date, int | None] = field(default_factory=dict)
    errors: FormErrors = field(default_factory=FormErrors)


def check_plan(raw_daily: Any, raw_days: dict[str, Any], month_days: list[date]) -> PlanForm:
    """``raw_days``: ISO date → typed value for the days of the month; an empty value removes that day's plan."""
    form = PlanForm()
    allowed = {d.isoformat(): d for d in month_days}
    if raw_daily not in (None, ""):
        form.daily = parse_int(str(raw_daily), 0, MAX_PLAN)
        if form.daily is None:
            form.errors.add("daily", N_("Enter a whole number from 0 to 1000."))
        return form
    if not raw_days:
        form.errors.add("daily", N_("Enter the daily plan or the plans of the days."))
    for key, raw in raw_days.items():
        day = allowed.get(key)
        name = f"day-{key}"
        if day is None:
            form.errors.add(name, N_("Not a working day of this month."))
            continue
        if raw in (None, ""):
            form.days[day] = None
            continue
        value = parse_int(str(raw), 0, MAX_PLAN)
        if value is None:
            form.errors.add(name, N_("Enter a whole number from 0 to 1000."))
        form.days[day] = value
    return form


async def month_plans(session: AsyncSession, employee_id: int, year: int, month: int) -> dict[date, CallPlan]:
    start, end = period_bounds(year, month)
    rows = await session.scalars(
        select(CallPlan).where(CallPlan.employee_id == employee_id, CallPlan.day >= start, CallPlan.day <= end)
    )
    return {r.day: r for r in rows}


async def save_plan(
    session: AsyncSession, user: Any, employee: Employee, year: int, month: int, form: PlanForm, today: date
) -> int:
    """Store the plan of the month's editable working days; days past the deadline are refused (``form.errors``)
    unless the user may edit past plans. Returns how many days changed."""
    start, end = period_bounds(year, month)
    days = await working_days(session, start, end)
    deadline_day = (await settings(session)).edit_deadline_day
    wanted: dict[date, int | None] = dict.fromkeys(days, form.daily) if form.daily is not None else dict(form.days)
    existing = await month_plans(session, employee.id, year, month)
    changes: dict[date, tuple[int | None, int | None]] = {}
    for day, value in wanted.items():
        old = existing[day].calls if day in existing else None
        if old == value:
            continue
        if not may_edit_day(user, day, today, deadline_day):
            if form.daily is None:
                form.errors.add(f"day-{day.isoformat()}", N_("Past the deadline for editing plans."))
            continue
        changes[day] = (old, value)
    if form.errors:
        return 0
    for day, (_old, value) in changes.items():
        if value is None:
            await session.execute(delete(CallPlan).where(CallPlan.employee_id == employee.id, CallPlan.day == day))
            continue
        stmt = insert(CallPlan).values(employee_id=employee.id, day=day, calls=value, set_by_id=user.id)
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=["employee_id", "day"],
                set_={"calls": value, "set_by_id": user.id, "updated_at": func.now()},
            )
        )
    if changes:
        summary = f"{employee.full_name} {year}-{month:02d}"
        audit = {d.isoformat(): list(pair) for d, pair in changes.items()}
        await record(
            session, user, "plan", f"{employee.id}:{year}-{month:02d}", "set", audit,
            summary=summary, department_id=employee.department_id,
        )  # fmt: skip
    return len(changes)


async def copy_previous_month(
    session: AsyncSession, user: Any, employee: Employee, year: int, month: int, today: date
) -> PlanForm:
    """The previous month's plan as this month's: its most common daily number on every working day."""
    py, pm = (year - 1, 12) if month == 1 else (year, month - 1)
    previous = await month_plans(session, employee.id, py, pm)
    form = PlanForm()
    if not previous:
        form.errors.add("copy", N_("The previous month has no plan."))
        return form
    values = [p.calls for p in previous.values()]
    form.daily = max(set(values), key=values.count)
    await save_plan(session, user, employee, year, month, form, today)
    return form


# --------------------------------------------------------------------------- forced completion


async def day_fact(session: AsyncSession, employee_id: int, day: date) -> ManagerDayFigure | None:
    return await session.get(ManagerDayFigure, (employee_id, day))


async def force_completion(
    session: AsyncSession, user: Any, employee: Employee, day: date, comment: str, today: date
) -> FormErrors:
    """A head marks a not fulfilled day as done (a comment is required); anything else is refused."""
    errors = FormErrors()
    text = (comment or "").strip()
    if not text:
        errors.add("comment", N_("Say why the plan counts as done."))
    elif len(text) > MAX_COMMENT:
        errors.add("comment", N_("At most 2000 characters."))
    plan = await session.get(CallPlan, (employee.id, day), with_for_update=True)
    fact = await day_fact(session, employee.id, day)
    status = day_status(
        day, today, plan.calls if plan else None, fact.calls if fact else 0, bool(plan and plan.forced_at)
    )
    if status != NOT_FULFILLED:
        errors.add("day", N_("Only a past day with a plan that is not fulfilled can be forced."))
    if errors or plan is None:
        return errors
    plan.forced_at = datetime.now(UTC)
    plan.forced_by_id = user.id
    plan.force_comment = text
    await record(
        session, user, "plan", f"{employee.id}:{day.isoformat()}", "force", {"comment": [None, text]},
        summary=f"{employee.full_name} {day.isoformat()}", department_id=employee.department_id,
    )  # fmt: skip
    return errors


# --------------------------------------------------------------------------- day comments


async def day_comments(session: AsyncSession, employee_id: int, day: date) -> list[DayComment]:
    rows = await session.scalars(
        select(DayComment)
        .where(DayComment.employee_id == employee_id, DayComment.day == day)
        .order_by(DayComment.created_at, DayComment.id)
    )
    return list(rows)


async def add_comment(session: AsyncSession, user: Any, employee: Employee, day: date, body: str) -> FormErrors:
    errors = FormErrors()
    text = (body or "").strip()
    if not text:
        errors.add("body", N_("Write the comment."))
    elif len(text) > MAX_COMMENT:
        errors.add("body", N_("At most 2000 characters."))
    if not errors:
        session.add(DayComment(employee_id=employee.id, day=day, author_id=user.id, body=text))
        await session.flush()
    return errors


async def verify_comment(session: AsyncSession, user: Any, comment: DayComment) -> None:
    if comment.verified:
        return
    comment.verified, comment.verified_by_id, comment.verified_at = True, user.id, datetime.now(UTC)
    await record(session, user, "day_comment", str(comment.id), "verify", {"verified": [False, True]})


# --------------------------------------------------------------------------- report settings


async def save_settings(session: AsyncSession, user: Any, form: PlanSettingsForm) -> FormErrors:
    """The deadline day for plan edits (1–28) and the department the statistics open with (or none); audited.
    The form's messages, and one for a department that does not exist; nothing is saved then."""
    deadline, department = form.edit_deadline_day, form.default_department_id
    if department is not None and await session.get(Department, department) is None:
        form.errors.add("default_department_id", gettext("Choose a department from the list."))
    if not form.ok:
        return form.errors
    errors = form.errors
    row = await session.get(PlanSettings, 1, with_for_update=True)
    if row is None:
        row = PlanSettings(id=1, edit_deadline_day=5, default_department_id=None)
        session.add(row)
    changes = {
        k: [getattr(row, k), v]
        for k, v in (("edit_deadline_day", deadline), ("default_department_id", department))
        if getattr(row, k) != v
    }
    row.edit_deadline_day, row.default_department_id = deadline or 5, department
    if changes:
        await record(session, user, "plan_settings", "1", "update", changes)
    return errors
