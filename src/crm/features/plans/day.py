"""What happens to one manager: the month's plan form, the day drill-down (calls, meetings, plan, forced completion,
comments), and their actions. Out-of-scope managers are 404; bad input is 422 with the message next to the field."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.calendar.services import is_working_day, working_days
from crm.features.clients.models import Activity, Call, Company
from crm.features.org.models import Employee
from crm.features.plans import services
from crm.features.plans.forms import DayCommentForm, ForceForm, MonthPlanForm
from crm.features.plans.models import DayComment
from crm.features.plans.pages import STATUS_ICON, STATUS_KIND, STATUS_LABEL
from crm.features.plans.scope import visible_for
from crm.features.plans.stats import day_status, meeting_kinds, period_bounds
from crm.lib.auth import current_user
from crm.lib.deps import Db, Me
from crm.lib.i18n import gettext as _
from crm.lib.i18n import local_today, local_tz
from crm.lib.web import render, toast

VIEW = {"permission": "plans.view"}
SET = {"permission": "plans.set"}


async def _employee(request: Request, session: AsyncSession, employee_id: int) -> Employee:
    visible = await visible_for(session, current_user(request))
    employee = await services.visible_employee(session, visible, employee_id)
    if employee is None:
        raise NotFoundException()
    return employee


def _month(raw: str) -> tuple[int, int]:
    year, _, month = raw.partition("-")
    if not (len(year) == 4 and year.isdigit() and len(month) == 2 and month.isdigit()):
        raise NotFoundException()
    y, m = int(year), int(month)
    if not (services.MIN_YEAR <= y <= services.MAX_YEAR and 1 <= m <= 12):
        raise NotFoundException()
    return y, m


def _day(day: date) -> date:
    if not services.MIN_YEAR <= day.year <= services.MAX_YEAR:
        raise NotFoundException()
    return day


# --------------------------------------------------------------------------- the month's plan


async def _plan_context(
    request: Request, session: AsyncSession, employee: Employee, year: int, month: int
) -> dict[str, Any]:
    user = current_user(request)
    today = local_today()
    start, end = period_bounds(year, month)
    days = await working_days(session, start, end)
    plans = await services.month_plans(session, employee.id, year, month)
    deadline_day = (await services.settings(session)).edit_deadline_day
    editable = {d: services.may_edit_day(user, d, today, deadline_day) for d in days}
    return {
        "employee": employee,
        "year": year,
        "month": month,
        "days": days,
        "day_keys": {d.isoformat() for d in days},
        "plans": plans,
        "editable": editable,
        "deadline": services.edit_deadline(start, deadline_day),
        "today": today,
        "errors": {},
        "typed": {},
    }


@get("/plans/{employee_id:int}/{month:str}/plan", opt=SET, include_in_schema=False)
async def plan_form(request: Request, employee_id: FromPath[int], month: FromPath[str], db_session: Db) -> Any:
    year, m = _month(month)
    employee = await _employee(request, db_session, employee_id)
    return render(request, "plans/plan.html", await _plan_context(request, db_session, employee, year, m))


@post("/plans/{employee_id:int}/{month:str}/plan", opt=SET, include_in_schema=False)
async def plan_save(request: Request, me: Me, employee_id: FromPath[int], month: FromPath[str], db_session: Db) -> Any:
    year, m = _month(month)
    employee = await _employee(request, db_session, employee_id)
    typed = MonthPlanForm.parse(await request.form())
    context = await _plan_context(request, db_session, employee, year, m)
    if typed.copy:  # the numbers typed on the page do not count
        typed.errors.clear()
        form = await services.copy_previous_month(db_session, me, employee, year, m, local_today())
    else:
        form = services.check_plan(typed.daily, typed.day, context["days"])  # the month's days: the service's rule
        if typed.ok and not form.errors:
            await services.save_plan(db_session, me, employee, year, m, form, local_today())
    for name, message in form.errors.items():
        typed.errors.add(name, _(message))
    if not typed.ok:  # nothing was written
        context = await _plan_context(request, db_session, employee, year, m)
        page = {**context, "errors": typed.errors, "typed": typed.shown()}
        return render(request, "plans/plan.html", page, status_code=422)
    await db_session.commit()
    toast(request, _("The plan of %(name)s is saved.", name=employee.full_name))
    return Redirect(f"/plans/{employee.id}/{year}-{m:02d}/plan", status_code=303)


# --------------------------------------------------------------------------- the day


async def _day_context(request: Request, session: AsyncSession, employee: Employee, day: date) -> dict[str, Any]:
    today = local_today()
    tz = local_tz()
    start = datetime.combine(day, time(), tz)
    end = start + timedelta(days=1)
    calls = (
        await session.execute(
            select(Call, Company.title)
            .outerjoin(Company, Company.id == Call.company_id)
            .where(Call.user_id == employee.id, Call.active, Call.start_at >= start, Call.start_at < end)
            .order_by(Call.start_at)
        )
    ).all()
    at = func.coalesce(Activity.end_at, Activity.start_at)
    meetings = (
        await session.execute(
            select(Activity, Company.title)
            .outerjoin(Company, Company.id == Activity.company_id)
            .where(
                Activity.responsible_id == employee.id,
                Activity.active,
                Activity.kind.in_(await meeting_kinds(session)),
                Activity.completed.is_(True),
                at >= start,
                at < end,
            )
            .order_by(at)
        )
    ).all()
    plan = await services.month_plans(session, employee.id, day.year, day.month)
    fact = await services.day_fact(session, employee.id, day)
    row = plan.get(day)
    status = day_status(day, today, row.calls if row else None, fact.calls if fact else 0, bool(row and row.forced_at))
    user = current_user(request)
    return {
        "employee": employee,
        "day": day,
        "working": await is_working_day(session, day),
        "calls": calls,
        "meetings": meetings,
        "plan": row,
        "fact": fact,
        "day_state": status,
        "status_kind": STATUS_KIND,
        "status_icon": STATUS_ICON,
        "status_label": STATUS_LABEL,
        "comments": await services.day_comments(session, employee.id, day),
        "can_force": user.can("plans.force"),
        "can_comment": user.can("comments.write"),
        "can_verify": user.can("comments.verify"),
        "errors": {},
        "typed": {},
    }


@get("/plans/{employee_id:int}/day/{day:date}", opt=VIEW, include_in_schema=False)
async def day_page(request: Request, employee_id: FromPath[int], day: FromPath[date], db_session: Db) -> Any:
    employee = await _employee(request, db_session, employee_id)
    return render(request, "plans/day.html", await _day_context(request, db_session, employee, _day(day)))


async def _refused(
    request: Request,
    session: AsyncSession,
    employee: Employee,
    day: date,
    errors: dict[str, str],
    typed: dict[str, str],
) -> Any:
    """The day page again with the messages next to the fields and what was typed kept (status 422)."""
    context = await _day_context(request, session, employee, day)
    translated = {k: _(v) for k, v in errors.items()}
    kept = {k: v[:4000] for k, v in typed.items()}
    return render(request, "plans/day.html", {**context, "errors": translated, "typed": kept}, status_code=422)


@post("/plans/{employee_id:int}/day/{day:date}/force", opt={"permission": "plans.force"}, include_in_schema=False)
async def day_force(request: Request, me: Me, employee_id: FromPath[int], day: FromPath[date], db_session: Db) -> Any:
    employee = await _employee(request, db_session, employee_id)
    form = ForceForm.parse(await request.form())
    errors = form.errors or await services.force_completion(
        db_session, me, employee, _day(day), form.comment, local_today()
    )
    if errors:  # nothing was written
        return await _refused(request, db_session, employee, day, errors, {"comment": form.raw("comment")})
    await db_session.commit()
    toast(request, _("The plan of the day counts as done (forced)."))
    return Redirect(f"/plans/{employee.id}/day/{day.isoformat()}", status_code=303)


@post("/plans/{employee_id:int}/day/{day:date}/comments", opt={"permission": "comments.write"}, include_in_schema=False)
async def day_comment(request: Request, me: Me, employee_id: FromPath[int], day: FromPath[date], db_session: Db) -> Any:
    employee = await _employee(request, db_session, employee_id)
    form = DayCommentForm.parse(await request.form())
    errors = form.errors or await services.add_comment(db_session, me, employee, _day(day), form.body)
    if errors:  # nothing was written
        return await _refused(request, db_session, employee, day, errors, {"body": form.raw("body")})
    await db_session.commit()
    toast(request, _("Comment added."))
    return Redirect(f"/plans/{employee.id}/day/{day.isoformat()}#comments", status_code=303)


@post("/plans/comments/{comment_id:int}/verify", opt={"permission": "comments.verify"}, include_in_schema=False)
async def comment_verify(request: Request, me: Me, comment_id: FromPath[int], db_session: Db) -> Any:
    comment = await db_session.get(DayComment, comment_id)
    if comment is None:
        raise NotFoundException()
    employee = await _employee(request, db_session, comment.employee_id)
    await services.verify_comment(db_session, me, comment)
    await db_session.commit()
    toast(request, _("Comment verified."))
    return Redirect(f"/plans/{employee.id}/day/{comment.day.isoformat()}#comments", status_code=303)


ROUTES: list[Any] = [plan_form, plan_save, day_page, day_force, day_comment, comment_verify]
