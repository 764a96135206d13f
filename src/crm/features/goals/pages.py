"""Goal pages: the list of a year (filters: variable, family, person) with team sums, and the goal form with its
twelve months, "repeat value" and "grow by N %" (recomputed on the server, nothing saved until "Save")."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from babel import Locale
from babel.numbers import get_group_symbol
from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts.models import User
from crm.features.accounts.people import PersonPicker, Pickers, find, resolve
from crm.features.goals import services
from crm.features.goals.config import VARIABLE_LABELS
from crm.features.goals.forms import GoalForm
from crm.features.goals.models import VARIABLES, Goal
from crm.features.goals.scope import scope_for
from crm.lib.auth import current_user
from crm.lib.deps import Db, Me
from crm.lib.i18n import get_locale, local_today
from crm.lib.i18n import gettext as _
from crm.lib.lists import ListParams, ListQuery
from crm.lib.web import parse_int, render, toast

VIEW = {"permission": "goals.view"}
PERSON = Pickers.of("responsible_id")  # the goal form's person picker
MANAGE = {"permission": "goals.manage"}
ONE = Decimal(1)
GOALS_PAGE_SIZE = 25  # a goal row is twelve months and a year; ?page_size= still widens the page


def variable_options() -> list[tuple[str, str]]:
    return [(v, _(VARIABLE_LABELS[v])) for v in VARIABLES]


@get("/goals", opt=VIEW, include_in_schema=False)
async def goals_page(request: Request, me: Me, db_session: Db) -> Any:
    params = ListParams.from_request(request)
    if not request.query_params.get("page_size"):
        params.page_size = GOALS_PAGE_SIZE
    year = parse_int(params.get("year"), 2000, 2100) or local_today().year
    scope = await scope_for(db_session, me)
    stmt = services.scoped_goals(scope).where(Goal.year == year)
    variable = params.get("variable")
    if variable in VARIABLES:
        stmt = stmt.where(Goal.variable == variable)
    family = params.get("family")
    if family:
        stmt = stmt.where(Goal.family == ("" if family == "*" else family))
    picker = await resolve(db_session, me, params.get("person") or "", params.get("person_q") or "")
    person = picker.value
    try:
        person_id = uuid.UUID(person) if person and not picker.problem else None
    except ValueError:
        person_id = None
    if person_id:
        stmt = stmt.where(Goal.responsible_id == person_id)
    # paged like every list (600 goals × 12 months on one page was 400 KB of HTML); the order the plan reads in
    page = await ListQuery(stmt.order_by(Goal.variable, Goal.family, Goal.id), {}, "", None).page(db_session, params)
    goals = list(page.rows)
    targets = await services.targets_of(db_session, [g.id for g in goals])
    # the team sums are of the whole year, not of a page: drawn once, under the first page of goals
    variable_or_all = variable if variable in VARIABLES else ""
    family_or_all = None if not family else family.strip("*")
    teams = await services.teams(db_session, scope, year, variable_or_all, family_or_all) if page.page == 1 else []
    families = sorted(f for f in await db_session.scalars(stmt.with_only_columns(Goal.family).distinct()) if f)
    context = {
        "year": year,
        "goals": goals,
        "page": page,
        "params": params,
        "targets": targets,
        "names": await _names(db_session, goals),
        "teams": teams,
        "teams_on_first": page.page > 1 and (scope.everything or bool(scope.department_ids)),
        "person_picker_state": picker,
        "many_people": (await find(db_session, me, "", 1))[1],  # more than themselves to choose from
        "variables": variable_options(),
        "labels": {k: _(v) for k, v in VARIABLE_LABELS.items()},
        "families": families,
        "filters": {"variable": variable, "family": family, "person": person},
        "can_manage": me.can("goals.manage"),
        "months": services.MONTHS,
        "whole": whole_numbers(),
    }
    return render(request, "goals/goals.html", context, block="list")


async def _names(session: AsyncSession, goals: list[Goal]) -> dict[uuid.UUID, str]:
    """The names of the people of the goals on the page (not every person the viewer may see: 500 for an admin)."""
    ids = {g.responsible_id for g in goals if g.responsible_id}
    if not ids:
        return {}
    rows = await session.execute(select(User.id, User.name, User.email).where(User.id.in_(ids)))
    return {i: name or email for i, name, email in rows.all()}


def whole_numbers() -> Callable[[Decimal | int | None], str]:
    """``value | number`` for the goals table's cells (1,700 on an admin's first page), the same text (the
    locale's thousands sign, whole numbers rounded half to even as Babel does) without parsing the locale and the
    pattern again for every cell, which was half of the page's CPU."""
    group = get_group_symbol(Locale.parse(get_locale()))

    def whole(value: Decimal | int | None) -> str:
        if value is None:
            return ""
        return f"{int(Decimal(value).quantize(ONE, rounding=ROUND_HALF_EVEN)):,}".replace(",", group)

    return whole


def _typed_from_goal(goal: Goal | None, targets: dict[int, Decimal], year: int) -> dict[str, Any]:
    typed: dict[str, Any] = {
        "variable": goal.variable if goal else "revenue",
        "family": goal.family if goal else "",
        "responsible_id": str(goal.responsible_id) if goal and goal.responsible_id else "",
        "year": goal.year if goal else year,
        "name": goal.name if goal else "",
    }
    for m in services.MONTHS:
        value = targets.get(m)
        typed[f"t{m}"] = "" if value is None else _plain(value)
    return typed


def _plain(value: Decimal) -> str:
    return f"{value:.2f}".removesuffix(".00")


async def _form_context(
    session: AsyncSession,
    user: Any,
    goal: Goal | None,
    typed: dict[str, Any],
    errors: dict[str, str],
    picker: PersonPicker | None = None,
) -> dict[str, Any]:
    if picker is None:
        picker = await resolve(session, user, typed.get("responsible_id") or "", "")
    return {
        "goal": goal,
        "typed": typed,
        "errors": errors,
        "person_picker": picker,
        "variables": variable_options(),
        "months": services.MONTHS,
    }


@get("/goals/new", opt=MANAGE, include_in_schema=False)
async def goal_new(request: Request, me: Me, db_session: Db) -> Any:
    params = ListParams.from_request(request)
    year = parse_int(params.get("year"), 2000, 2100) or local_today().year
    typed = _typed_from_goal(None, {}, year)
    return render(request, "goals/goal_form.html", await _form_context(db_session, me, None, typed, {}))


async def _visible(session: AsyncSession, user: Any, goal_id: int) -> Goal:
    goal = await services.visible_goal(session, await scope_for(session, user), goal_id)
    if goal is None:
        raise NotFoundException()
    return goal


@get("/goals/{goal_id:int}", opt=MANAGE, include_in_schema=False)
async def goal_edit(request: Request, me: Me, db_session: Db, goal_id: FromPath[int]) -> Any:
    goal = await _visible(db_session, me, goal_id)
    targets = (await services.targets_of(db_session, [goal.id]))[goal.id]
    typed = _typed_from_goal(goal, targets, goal.year)
    return render(request, "goals/goal_form.html", await _form_context(db_session, me, goal, typed, {}))


async def _submit(request: Request, session: AsyncSession, goal: Goal | None) -> Any:
    user = current_user(request)
    picks = await PERSON.parse(await request.form()).resolve(session, user)
    form = picks.apply(GoalForm.parse(await request.form()))
    picker = picks.pickers["responsible_id"]
    typed = form.typed()
    if form.action in ("repeat", "grow"):  # fill the targets in and show the form again; nothing is saved
        if form.ok:
            for m, value in form.filled_targets().items():
                typed[f"t{m}"] = _plain(value)
        context = await _form_context(session, user, goal, typed, form.errors, picker)
        return render(request, "goals/goal_form.html", context, status_code=422 if form.errors else 200)
    data: dict[str, Any] = {k: typed[k] for k in ("variable", "family", "responsible_id", "year", "name")}
    data["targets"] = {str(m): typed[f"t{m}"] for m in services.MONTHS}
    scope = await scope_for(session, user)
    goal_in, raw_errors = await services.check(session, scope, data)
    raw_errors = {**raw_errors, **form.errors}  # (the form's are translated already; gettext leaves them as they are)
    if not raw_errors and await services.duplicate(session, goal_in, except_id=goal.id if goal else None):
        raw_errors["variable"] = "This person already has a goal for this variable, family and year."
    if raw_errors:
        errors = {k: _(v) for k, v in raw_errors.items()}
        context = await _form_context(session, user, goal, typed, errors, picker)
        return render(request, "goals/goal_form.html", context, status_code=422)
    if goal is None:
        goal = await services.create(session, user, goal_in)
        toast(request, _("Goal created."))
    else:
        await services.update(session, user, goal, goal_in, targets_given=True)
        toast(request, _("Goal saved."))
    await session.commit()
    return Redirect(f"/goals?year={goal.year}", status_code=303)


@post("/goals/new", opt=MANAGE, include_in_schema=False)
async def goal_create(request: Request, db_session: Db) -> Any:
    return await _submit(request, db_session, None)


@post("/goals/{goal_id:int}", opt=MANAGE, include_in_schema=False)
async def goal_save(request: Request, me: Me, db_session: Db, goal_id: FromPath[int]) -> Any:
    goal = await _visible(db_session, me, goal_id)
    return await _submit(request, db_session, goal)


@post("/goals/{goal_id:int}/delete", opt=MANAGE, include_in_schema=False)
async def goal_delete(request: Request, me: Me, db_session: Db, goal_id: FromPath[int]) -> Any:
    goal = await _visible(db_session, me, goal_id)
    year = goal.year
    await services.remove(db_session, me, goal)
    await db_session.commit()
    toast(request, _("Goal deleted."))
    return Redirect(f"/goals?year={year}", status_code=303)


ROUTES: list[Any] = [goals_page, goal_new, goal_edit, goal_create, goal_save, goal_delete]
