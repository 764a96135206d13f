"""JSON API of the plans slice (spec/plans.md, "API"): statistics, a month's plan, forced completion, day comments.

The rules are the pages' (crm.features.plans.services and .stats): one rule, one place. Row-level scope: a manager
sees and acts on their own row only, a head their department subtree, an admin everybody; anybody else is a 404.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import msgspec
from litestar import get, post, put
from litestar.exceptions import NotFoundException, ValidationException
from litestar.openapi.spec import Example
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts.models import User
from crm.features.calendar.services import working_days
from crm.features.org.models import Employee
from crm.features.plans import services
from crm.features.plans.scope import Selection, Visible, department_exists, parse_scope, visible_for
from crm.features.plans.stats import FORCED, FULFILLED, NOT_FULFILLED, Cell, build_view, period_bounds
from crm.lib.deps import Db, Me
from crm.lib.i18n import local_today
from crm.lib.web import FormErrors

TAGS = ["plans"]
VIEW = {"permission": "plans.view"}


# --------------------------------------------------------------------------- schemas


class PeriodOut(msgspec.Struct):
    period: str  # YYYY-MM (year view) or YYYY-MM-DD (month view, working days only)
    calls: int
    meetings: int
    companies_called: int
    plan: int | None
    status: str | dict[str, int]  # a day: fulfilled|not_fulfilled|forced|none; a month: its days by status
    comments: int


class EmployeeStats(msgspec.Struct):
    employee_id: int
    name: str
    department_id: int | None
    periods: list[PeriodOut]


class StatsOut(msgspec.Struct):
    year: int
    month: int | None
    rows: list[EmployeeStats]


class PlanIn(msgspec.Struct, forbid_unknown_fields=True):
    """One number for every working day of the month, or a number per day (null removes that day's plan)."""

    daily: Annotated[int, msgspec.Meta(ge=0, le=services.MAX_PLAN, examples=[30])] | None = None
    days: (
        Annotated[
            dict[
                Annotated[str, msgspec.Meta(max_length=10)],
                Annotated[int, msgspec.Meta(ge=0, le=services.MAX_PLAN)] | None,
            ],
            msgspec.Meta(max_length=31, examples=[{"2026-03-02": 25, "2026-03-03": 30}]),
        ]
        | None
    ) = None


class PlanOut(msgspec.Struct):
    employee_id: int
    month: str
    changed: int
    days: dict[str, int]


class ForceIn(msgspec.Struct):
    comment: Annotated[str, msgspec.Meta(max_length=services.MAX_COMMENT, examples=["At the exhibition all day"])]


class ForceOut(msgspec.Struct):
    employee_id: int
    day: date
    status: str
    plan: int
    calls: int
    comment: str
    forced_at: datetime | None


class CommentIn(msgspec.Struct):
    body: Annotated[str, msgspec.Meta(max_length=services.MAX_COMMENT, examples=["На выставке"])]


class CommentOut(msgspec.Struct):
    id: int
    employee_id: int
    day: date
    body: str
    author: str | None
    verified: bool
    created_at: datetime


# --------------------------------------------------------------------------- helpers


def _invalid(errors: FormErrors, rename: dict[str, str] | None = None) -> ValidationException:
    """The services' field errors as a 422 ``{detail, errors: [{field, message}]}``."""
    from crm.lib.i18n import gettext as _

    extra = []
    for key, message in errors.items():
        field = (rename or {}).get(key) or (f"days.{key.removeprefix('day-')}" if key.startswith("day-") else key)
        extra.append({"key": field, "message": _(message)})
    return ValidationException(detail="; ".join(f"{e['key']}: {e['message']}" for e in extra), extra=extra)


async def _employee(session: AsyncSession, user: Any, employee_id: int) -> Employee:
    employee = await services.visible_employee(session, await visible_for(session, user), employee_id)
    if employee is None:
        raise NotFoundException(detail="employee_id: no such employee in your scope")
    return employee


def _month(raw: str) -> tuple[int, int]:
    year, _sep, month = raw.partition("-")
    if len(year) == 4 and year.isdigit() and len(month) == 2 and month.isdigit():
        y, m = int(year), int(month)
        if services.MIN_YEAR <= y <= services.MAX_YEAR and 1 <= m <= 12:
            return y, m
    raise NotFoundException(detail="month: expected YYYY-MM, a year from 2000 to 2100")


def _day(day: date) -> date:
    if not services.MIN_YEAR <= day.year <= services.MAX_YEAR:
        raise NotFoundException(detail="day: a date from 2000 to 2100")
    return day


async def _selection(session: AsyncSession, visible: Visible, raw: str) -> Selection:
    selection = parse_scope(raw)
    if selection is None:
        raise ValidationException(
            detail="scope: expected department:<id> or employee:<id>,employee:<id>…",
            extra=[{"key": "scope", "message": "expected department:<id> or employee:<id>,employee:<id>…"}],
        )
    if selection.department_id is not None and not (
        visible.sees_department(selection.department_id) and await department_exists(session, selection.department_id)
    ):
        raise NotFoundException(detail=f"scope: no department {selection.department_id} in your scope")
    if selection.employee_ids:
        stmt = select(Employee.id).where(Employee.id.in_(selection.employee_ids))
        clause = visible.clause(Employee.id)
        if clause is not None:
            stmt = stmt.where(clause)
        missing = set(selection.employee_ids) - set((await session.scalars(stmt)).all())
        if missing:
            raise NotFoundException(detail=f"scope: no employee {min(missing)} in your scope")
    return selection


def _period(cell: Cell, key: Any, year: int, by_day: bool) -> PeriodOut:
    status: str | dict[str, int]
    if by_day:
        label, status = key.isoformat(), cell.status
    else:
        label = f"{year}-{key:02d}"
        status = {FULFILLED: cell.fulfilled, NOT_FULFILLED: cell.not_fulfilled, FORCED: cell.forced}
    return PeriodOut(
        period=label,
        calls=cell.calls,
        meetings=cell.meetings,
        companies_called=cell.companies,
        plan=cell.plan,
        status=status,
        comments=cell.comments,
    )


# --------------------------------------------------------------------------- statistics


@get(
    "/api/v1/plans/stats",
    opt=VIEW,
    tags=TAGS,
    summary="Calls, meetings, companies called, plan, status and comments per employee per month or working day",
    description="A year by months (`year` alone) or a month by working days (`year` and `month`). Days off are "
    "neither shown nor counted. In the year view a month's `status` counts its days by status and its `plan` "
    "is the sum of its days' plans. A manager sees their own row, a head their department subtree.",
)
async def api_stats(
    me: Me,
    db_session: Db,
    year: Annotated[
        int | None,
        QueryParameter(
            ge=services.MIN_YEAR,
            le=services.MAX_YEAR,
            description="the year (default: the current one)",
            examples=[Example(value=2026)],
        ),
    ] = None,
    month: Annotated[
        int | None, QueryParameter(ge=1, le=12, description="a month: the month view", examples=[Example(value=3)])
    ] = None,
    scope_: Annotated[
        str,
        QueryParameter(
            name="scope",
            max_length=20_000,
            description="department:<id> (with its sub-departments) or employee:<id>,employee:<id>…; "
            "empty: everybody the caller may see",
            examples=[Example(value="department:1"), Example(value="employee:21,employee:22")],
        ),
    ] = "",
) -> StatsOut:
    today = local_today()
    year = year or today.year
    visible = await visible_for(db_session, me)
    selection = await _selection(db_session, visible, scope_)
    view = await build_view(db_session, visible, selection, year, month, today)
    by_day = month is not None
    rows = [
        EmployeeStats(
            employee_id=row.employee.id,
            name=row.employee.full_name,
            department_id=row.employee.department_id,
            periods=[_period(row.cells[p], p, year, by_day) for p in view.periods],
        )
        for group in view.groups
        for row in group.rows
    ]
    return StatsOut(year=year, month=month, rows=rows)


# --------------------------------------------------------------------------- plans


@put(
    "/api/v1/plans/{employee_id:int}/{month:str}",
    opt={"permission": "plans.set"},
    tags=TAGS,
    summary="Set an employee's daily call plan for a month (YYYY-MM): one number or a number per working day",
    description='`{"daily": 30}` sets every working day; `{"days": {"2026-03-02": 25}}` sets the days given (null '
    "removes a day's plan). Days past the edit deadline are refused unless the caller may edit past plans.",
)
async def api_set_plan(
    me: Me,
    employee_id: FromPath[int],
    month: FromPath[str],
    data: JSONBody[PlanIn],
    db_session: Db,
) -> PlanOut:
    year, m = _month(month)
    employee = await _employee(db_session, me, employee_id)
    start, end = period_bounds(year, m)
    days = await working_days(db_session, start, end)
    form = services.check_plan(data.daily, data.days or {}, days)
    if not form.errors:
        changed = await services.save_plan(db_session, me, employee, year, m, form, local_today())
    if form.errors:  # nothing was written
        raise _invalid(form.errors)
    await db_session.commit()
    plans = await services.month_plans(db_session, employee.id, year, m)
    return PlanOut(
        employee_id=employee.id,
        month=f"{year}-{m:02d}",
        changed=changed,
        days={d.isoformat(): p.calls for d, p in sorted(plans.items())},
    )


@post(
    "/api/v1/plans/{employee_id:int}/{day:date}/force",
    opt={"permission": "plans.force"},
    tags=TAGS,
    status_code=200,
    summary="Force the completion of a past working day whose plan is not fulfilled (a comment is required)",
)
async def api_force(
    me: Me,
    employee_id: FromPath[int],
    day: FromPath[date],
    data: JSONBody[ForceIn],
    db_session: Db,
) -> ForceOut:
    employee = await _employee(db_session, me, employee_id)
    errors = await services.force_completion(db_session, me, employee, _day(day), data.comment, local_today())
    if errors:
        raise _invalid(errors)
    await db_session.commit()
    plans = await services.month_plans(db_session, employee.id, day.year, day.month)
    plan = plans[day]
    fact = await services.day_fact(db_session, employee.id, day)
    return ForceOut(
        employee_id=employee.id,
        day=day,
        status=FORCED,
        plan=plan.calls,
        calls=fact.calls if fact else 0,
        comment=plan.force_comment,
        forced_at=plan.forced_at,
    )


# --------------------------------------------------------------------------- day comments


async def _comments_out(session: AsyncSession, employee_id: int, day: date) -> list[CommentOut]:
    comments = await services.day_comments(session, employee_id, day)
    authors = {c.author_id for c in comments if c.author_id}
    names = (
        {u.id: u.name or u.email for u in (await session.scalars(select(User).where(User.id.in_(authors)))).all()}
        if authors
        else {}
    )
    return [
        CommentOut(
            id=c.id,
            employee_id=c.employee_id,
            day=c.day,
            body=c.body,
            author=names.get(c.author_id) if c.author_id else None,
            verified=c.verified,
            created_at=c.created_at,
        )
        for c in comments
    ]


@get(
    "/api/v1/plans/{employee_id:int}/{day:date}/comments",
    opt=VIEW,
    tags=TAGS,
    summary="The comment thread of an employee's day, oldest first",
)
async def api_comments(me: Me, employee_id: FromPath[int], day: FromPath[date], db_session: Db) -> list[CommentOut]:
    employee = await _employee(db_session, me, employee_id)
    return await _comments_out(db_session, employee.id, _day(day))


@post(
    "/api/v1/plans/{employee_id:int}/{day:date}/comments",
    opt={"permission": "comments.write"},
    tags=TAGS,
    summary="Comment on an employee's day (e.g. at the exhibition); answers the thread",
)
async def api_add_comment(
    me: Me,
    employee_id: FromPath[int],
    day: FromPath[date],
    data: JSONBody[CommentIn],
    db_session: Db,
) -> list[CommentOut]:
    employee = await _employee(db_session, me, employee_id)
    errors = await services.add_comment(db_session, me, employee, _day(day), data.body)
    if errors:
        raise _invalid(errors)
    await db_session.commit()
    return await _comments_out(db_session, employee.id, day)


ROUTES: list[Any] = [api_stats, api_set_plan, api_force, api_comments, api_add_comment]
