"""The task calendar: a month (weeks of a month, Monday first) or a week, tasks on their due day in local time;
chips are dragged (or moved with the arrow keys) to another day."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from litestar import Request, get
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.calendar.services import month_weeks
from crm.features.tasks import services, views
from crm.features.tasks.models import Task
from crm.features.tasks.pages import WORK, base_context, local_day
from crm.lib.auth import current_user
from crm.lib.i18n import gettext as _
from crm.lib.i18n import local_today, local_tz
from crm.lib.web import render

DAY_LIMIT = 500  # chips drawn on one screen; a busier month says how many are left out


def _start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=local_tz())


def read_period(request: Request, errors: Any) -> tuple[str, date]:
    mode = request.query_params.get("mode") or "month"
    today = local_today()
    if mode not in ("month", "week"):
        errors.add("mode", _("Choose one of the listed values."))
        mode = "month"
    raw = request.query_params.get("on") or ""
    try:
        anchor = date.fromisoformat(raw) if raw else today
        if not 2000 <= anchor.year <= 2100:
            raise ValueError
    except ValueError:
        errors.add("on", _("A date YYYY-MM-DD."))
        anchor = today
    return mode, anchor


@get("/tasks/calendar", opt=WORK, include_in_schema=False)
async def calendar(request: Request, db_session: NamedDependency[AsyncSession]) -> Any:
    user = current_user(request)
    context, filters = await base_context(request, db_session, "calendar")
    mode, anchor = read_period(request, context["errors"])
    if mode == "week":
        first = anchor - timedelta(days=anchor.weekday())
        weeks: list[list[date | None]] = [[first + timedelta(days=i) for i in range(7)]]
        start, end = first, first + timedelta(days=6)
        prev_on, next_on = first - timedelta(days=7), first + timedelta(days=7)
    else:
        weeks = month_weeks(anchor.year, anchor.month)
        start = anchor.replace(day=1)
        end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        prev_on = (start - timedelta(days=1)).replace(day=1)
        next_on = end + timedelta(days=1)
    stmt = await services.task_query(db_session, user, filters)
    stmt = stmt.where(Task.due_at >= _start(start), Task.due_at < _start(end + timedelta(days=1)))
    tasks = list(
        (await db_session.scalars(stmt.order_by(services.due_order(stmt), Task.id).limit(DAY_LIMIT + 1))).all()
    )
    cut = len(tasks) > DAY_LIMIT
    tasks = tasks[:DAY_LIMIT]
    by_day: dict[date, list[Task]] = {}
    for task in tasks:
        day = local_day(task.due_at)
        if day is not None:
            by_day.setdefault(day, []).append(task)
    context.update(
        {
            "mode": mode,
            "anchor": anchor,
            "weeks": weeks,
            "by_day": by_day,
            "cut": cut,
            "today": local_today(),
            "prev_on": prev_on,
            "next_on": next_on,
            "names": await views.names_for(db_session, tasks),
        }
    )
    return render(request, "tasks/calendar.html", context, block="grid", status_code=422 if context["errors"] else 200)


ROUTES: list[Any] = [calendar]
