"""The statistics page: a year by months or a month by working days; switching swaps the grid (``#list``)."""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar import Request, get
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.org.models import Employee
from crm.features.org.tree import all_departments, indented
from crm.features.plans import services
from crm.features.plans.refresh import run_for_page
from crm.features.plans.scope import Selection, Visible, department_exists, parse_scope, visible_for
from crm.features.plans.stats import FORCED, FULFILLED, NONE, NOT_FULFILLED, View, build_view
from crm.lib.deps import Db, Me
from crm.lib.i18n import N_, local_today
from crm.lib.i18n import gettext as _
from crm.lib.lists import ListParams
from crm.lib.web import FormErrors, parse_int, render

VIEW = {"permission": "plans.view"}
STATUS_KIND = {FULFILLED: "ok", NOT_FULFILLED: "bad", FORCED: "warn", NONE: ""}
STATUS_ICON = {FULFILLED: "✓", NOT_FULFILLED: "✗", FORCED: "⚑", NONE: ""}
STATUS_LABEL = {FULFILLED: N_("fulfilled"), NOT_FULFILLED: N_("not fulfilled"), FORCED: N_("forced"), NONE: ""}


COLLAPSE_ABOVE = 60
# The managers filter lists everybody up to this many; beyond, the chosen ones, and everybody when it is opened
# (``/plans/managers``) or, without JavaScript, on ``managers=all``.
MANAGERS_INLINE = 60


def read_period(params: ListParams, today: date, errors: FormErrors) -> tuple[int, int | None]:
    year: int = today.year
    month: int | None = today.month
    raw_year, raw_month = params.get("year"), params.get("month")
    if raw_year:
        parsed = parse_int(raw_year, services.MIN_YEAR, services.MAX_YEAR)
        if parsed is None:
            errors.add("year", _("A year from 2000 to 2100."))
        else:
            year = parsed
        month = None  # a year given alone: the year view
    if raw_month:
        parsed = parse_int(raw_month, 1, 12)
        if parsed is None:
            errors.add("month", _("A month from 1 to 12."))
        month = parsed
    return year, month


async def read_selection(
    session: AsyncSession, user: Any, visible: Visible, params: ListParams, errors: FormErrors
) -> Selection:
    """``department``, ``employee`` (repeated) or the API's ``scope``; else the person's default."""
    raw_scope = params.get("scope")
    department = params.get("department")
    employees = [v.strip() for v in params.query.getall("employee", []) if v.strip()]
    if department:
        raw_scope = f"department:{department}"
    elif employees:
        raw_scope = ",".join(f"employee:{e}" for e in employees)
    selection = parse_scope(raw_scope)
    field = "department" if department else "employee" if employees else "scope"
    if selection is None:
        errors.add(field, _("Choose a department or managers from the list."))
        return await default_selection(session, user, visible)
    if selection.department_id is not None and not (
        visible.sees_department(selection.department_id) and await department_exists(session, selection.department_id)
    ):
        errors.add(field, _("This department is not yours to see."))
        return await default_selection(session, user, visible)
    if selection.employee_ids:
        stmt = select(Employee.id).where(Employee.id.in_(selection.employee_ids))
        clause = visible.clause(Employee.id)
        if clause is not None:
            stmt = stmt.where(clause)
        if len((await session.scalars(stmt)).all()) != len(selection.employee_ids):
            errors.add(field, _("Some of these managers are not yours to see."))
            return await default_selection(session, user, visible)
    explicit = any(key in params.query for key in ("department", "employee", "scope"))
    if selection == Selection() and not explicit:
        return await default_selection(session, user, visible)
    return selection


async def default_selection(session: AsyncSession, user: Any, visible: Visible) -> Selection:
    if visible.everything:
        default = (await services.settings(session)).default_department_id
        return Selection(department_id=default) if default else Selection()
    if visible.department_ids and user.department_id:
        return Selection(department_id=user.department_id)
    if visible.employee_id is not None:
        return Selection(employee_ids=(visible.employee_id,))
    return Selection()


async def choices(session: AsyncSession, visible: Visible) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    departments = [
        (d.id, "\u2003" * depth + d.name)
        for d, depth in indented(await all_departments(session))
        if visible.sees_department(d.id)
    ]
    return departments, await people_choices(session, visible)


async def people_choices(session: AsyncSession, visible: Visible) -> list[tuple[int, str]]:
    """The active managers ``visible`` sees, by name: (id, full name)."""
    stmt = select(Employee).where(Employee.active.is_(True)).order_by(Employee.last_name, Employee.name)
    clause = visible.clause(Employee.id)
    if clause is not None:
        stmt = stmt.where(clause)
    return [(e.id, e.full_name) for e in (await session.scalars(stmt)).all()]


@get("/plans", opt=VIEW, include_in_schema=False)
async def plans_page(request: Request, me: Me, db_session: Db) -> Any:
    params = ListParams.from_request(request)
    errors = FormErrors()
    today = local_today()
    year, month = read_period(params, today, errors)
    visible = await visible_for(db_session, me)
    selection = await read_selection(db_session, me, visible, params, errors)
    view = await build_view(db_session, visible, selection, year, month, today)
    departments, people = await choices(db_session, visible)
    people_total = len(people)
    if people_total > MANAGERS_INLINE and params.get("managers") != "all":
        people = [p for p in people if p[0] in selection.employee_ids]
    context = {
        "view": view,
        "selection": selection,
        "errors": errors,
        "departments": departments,
        "people": people,
        "people_total": people_total,
        "status_kind": STATUS_KIND,
        "status_icon": STATUS_ICON,
        "status_label": STATUS_LABEL,
        # translated once per page, not once per cell (a month of the whole organisation is 5,000 cells)
        "cell_text": {
            **{key: _(label) for key, label in STATUS_LABEL.items() if label},
            "meetings": _("meetings"),
        },
        "scope_query": _scope_query(selection),
        "can_set": me.can("plans.set"),
        "plan_month": f"{year}-{month or (today.month if year == today.year else 1):02d}",
        "chart": month_chart(view),
        # everybody, beyond this many managers: the departments' rows only (each opens its managers); the whole
        # organisation's month would otherwise be some 5,000 cells and 1.7 MB of page
        "collapsed": view.employees > COLLAPSE_ABOVE
        and selection.department_id is None
        and not selection.employee_ids
        and params.get("rows") != "all",
        "can_refresh": me.can("sync.period"),
        "refresh_run": await run_for_page(db_session, params.get("run")) if me.can("sync.period") else None,
    }
    return render(request, "plans/stats.html", context, block="list", status_code=422 if errors else 200)


@get("/plans/managers", opt=VIEW, include_in_schema=False)
async def plans_managers(request: Request, me: Me, db_session: Db) -> Any:
    """The managers filter's whole list (htmx, when it is opened), the chosen ones (``employee``) ticked."""
    visible = await visible_for(db_session, me)
    chosen = {parse_int(v, 1) for v in request.query_params.getall("employee", [])}
    context = {"people": await people_choices(db_session, visible), "chosen": chosen}
    return render(request, "plans/_managers.html", context)


def month_chart(view: View) -> dict[str, Any] | None:
    """Plan vs fact of the shown people per working day of the month (the chart and its table); None for a year."""
    if view.month is None or not view.periods:
        return None
    return {
        "labels": [f"{d.day:02d}.{d.month:02d}" for d in view.periods],
        "datasets": [
            {"label": _("Calls (fact)"), "data": [view.totals[d].calls for d in view.periods]},
            {"label": _("Plan"), "data": [view.totals[d].plan or 0 for d in view.periods]},
        ],
    }


def _scope_query(selection: Selection) -> str:
    if selection.department_id is not None:
        return f"department={selection.department_id}"
    return "&".join(f"employee={i}" for i in selection.employee_ids)


ROUTES: list[Any] = [plans_page, plans_managers]
