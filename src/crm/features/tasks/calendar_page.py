"""The task calendar: a month (weeks of a month, Monday first) or a week, tasks on their due day in local time;
chips are dragged (or moved with the arrow keys) to another day. A day draws its first few tasks (due order, ties by
id) and says how many more it has, with a link to that day in the list: an organisation's day holds hundreds."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from litestar import Request, get
from sqlalchemy import Date, DateTime, Select, column, func, select, true, values
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.calendar.services import month_weeks
from crm.features.tasks import services
from crm.features.tasks.models import Task
from crm.features.tasks.pages import WORK, base_context
from crm.features.tasks.views import FILTER_KEYS
from crm.lib.deps import Db, Me
from crm.lib.i18n import gettext as _
from crm.lib.i18n import local_today, local_tz
from crm.lib.web import render

CHIPS = {"month": 4, "week": 15}  # tasks a day draws; the rest are "and N more", a link to that day in the list


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
async def calendar(request: Request, me: Me, db_session: Db) -> Any:
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
    stmt = await services.task_query(db_session, me, filters)
    by_day, counts = await day_tasks(db_session, stmt, start, end, CHIPS[mode])
    params = context["params"]  # "and N more" opens that day in the list, with the view's other filters
    others = urlencode([(k, params.get(k)) for k in FILTER_KEYS if k not in ("due_from", "due_to") and params.get(k)])
    context.update(
        {
            "mode": mode,
            "anchor": anchor,
            "weeks": weeks,
            "by_day": by_day,
            "counts": counts,
            "today": local_today(),
            "prev_on": prev_on,
            "next_on": next_on,
            "day_list": f"/tasks/list?{others}&" if others else "/tasks/list?",
        }
    )
    return render(request, "tasks/calendar.html", context, block="grid", status_code=422 if context["errors"] else 200)


async def day_tasks(
    session: AsyncSession, stmt: Select[Any], first: date, last: date, chips: int
) -> tuple[dict[date, list[Task]], dict[date, int]]:
    """The first ``chips`` tasks of each local day from ``first`` to ``last`` of ``stmt`` (a ``task_query``), in
    due order (ties by id), and how many tasks each day has, in one statement: for each day (a VALUES list of its
    local bounds) its count and, laterally, the ids of its first tasks, then those rows by primary key.

    Both read the covering index ``ix_tasks_due_cover`` (due_at, id) INCLUDE (assignee_id, creator_id): a day is a
    range of it, walked in order and stopped after ``chips`` matches, and the scope's assignee/creator test is
    answered there, so the table is read for the drawn tasks only. Before, the page took the first 500 tasks of the
    period in due order (for a head: the team's whole month, or the organisation's whole month through the plain
    due-time index, 12,762 rows from 4,071 pages, under a generic plan), so a busy month drew 500 chips on its
    first days and nothing after them."""
    days = values(
        column("on", Date), column("since", DateTime(timezone=True)), column("until", DateTime(timezone=True)),
        name="days",
    ).data([(d, _start(d), _start(d + timedelta(days=1))) for d in _dates(first, last)])  # fmt: skip
    in_day = stmt.where(Task.due_at >= days.c.since, Task.due_at < days.c.until).order_by(None).correlate(days)
    # laterals, both: a count in the select list would run again for every task drawn, not once a day; and counting
    # each day's range of the index is cheaper than one pass over the period grouped by local day (the time zone
    # conversion of every row: 15-30 ms for an organisation's month against 2-6 ms)
    total = in_day.with_only_columns(func.count().label("n")).select_from(Task).lateral("total")
    ids = in_day.with_only_columns(Task.id).order_by(Task.due_at, Task.id).limit(chips).lateral("ids")
    rows = await session.execute(
        select(days.c.on, total.c.n, Task)
        .select_from(days)
        .join(total, true())
        .outerjoin(ids, true())
        .outerjoin(Task, Task.id == ids.c.id)
        .order_by(days.c.on, Task.due_at, Task.id)
    )
    by_day: dict[date, list[Task]] = {}
    counts: dict[date, int] = {}
    for on, count, task in rows.tuples():
        counts[on] = count
        if task is not None:
            by_day.setdefault(on, []).append(task)
    return by_day, counts


def _dates(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


ROUTES: list[Any] = [calendar]
