"""Task views: the kanban by status, the list (filters, sort, pages, CSV/XLSX) and the one-request moves the
kanban and the calendar make (status, due day), each with an undo."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Response
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.tasks import board, moves, services, views
from crm.features.tasks.forms import MoveForm, RescheduleForm
from crm.features.tasks.models import STATUSES, Task
from crm.features.tasks.scope import visible_task
from crm.lib.auth import current_user
from crm.lib.deps import Db, Me
from crm.lib.export_jobs import ListSource, export
from crm.lib.exports import ExportColumn
from crm.lib.forms import Form
from crm.lib.i18n import gettext as _
from crm.lib.i18n import local_tz
from crm.lib.lists import ListParams
from crm.lib.web import FormErrors, block_only, render

WORK = {"permission": "tasks.work"}
COLUMN_LIMIT = 50  # cards of an open column; the rest are "N more — show in the list"
COUNT_CAP = 10_000
CLOSED_LIMIT = 30
BLOCKS = {"kanban": "board", "list": "list", "calendar": "grid"}  # the block each view's filter bar swaps


def local_time(value: datetime | None) -> str:
    return value.astimezone(local_tz()).strftime("%H:%M") if value else ""


def local_day(value: datetime | None) -> date | None:
    return value.astimezone(local_tz()).date() if value else None


async def base_context(request: Request, session: AsyncSession, view: str) -> tuple[dict[str, Any], Any]:
    user = current_user(request)
    params = ListParams.from_request(request, default_sort="due_at")
    errors = FormErrors()
    filters = views.read_page_filters(params, errors)
    picker = await views.assignee_filter(session, user, params, filters, errors)
    context = {
        "picker": picker,
        "picker_oob": block_only(request, BLOCKS[view]),
        "params": params,
        "errors": errors,
        "filters": filters,
        "view": view,
        "carry": views.filter_query(params),
        "client_label": await views.client_name(session, filters.client_id),
        "status_labels": services.STATUS_LABELS,
        "priority_labels": services.PRIORITY_LABELS,
        "statuses": STATUSES,
        "local_time": local_time,
        "local_day": local_day,
        "is_overdue": services.is_overdue,
        "now": views.now(),
        **await views.filter_choices(session, user, people=False),
    }
    return context, filters


@get("/tasks", opt=WORK, include_in_schema=False)
async def kanban(request: Request, me: Me, db_session: Db) -> Any:
    context, filters = await base_context(request, db_session, "kanban")
    stmt = await services.task_query(db_session, me, filters)
    columns: dict[str, list[Task]] = {}
    counts: dict[str, int] = {}
    for status in STATUSES:
        if filters.statuses and status not in filters.statuses:
            columns[status], counts[status] = [], 0
            continue
        closed = status in ("done", "cancelled")  # only the latest ones matter on a board
        limit = CLOSED_LIMIT if closed else COLUMN_LIMIT
        columns[status] = await board.column_tasks(db_session, stmt, status, closed, limit)
        counts[status] = len(columns[status])
        if counts[status] >= limit:  # counted up to a cap: "10,000+" on a column says enough
            counts[status] = await board.capped_count(db_session, stmt, status, COUNT_CAP)
    names = await views.names_for(db_session, [t for c in columns.values() for t in c])
    context.update(
        {
            "columns": columns,
            "counts": counts,
            "names": names,
            "limits": {s: CLOSED_LIMIT if s in ("done", "cancelled") else COLUMN_LIMIT for s in STATUSES},
            "cap": COUNT_CAP,
        }
    )
    return render(request, "tasks/kanban.html", context, block="board", status_code=422 if context["errors"] else 200)


async def export_columns(session: AsyncSession, rows: Any) -> list[ExportColumn]:
    names = await views.names_for(session, rows)
    return [
        ExportColumn(_("Title"), lambda t: t.title),
        ExportColumn(_("Status"), lambda t: _(services.STATUS_LABELS[t.status])),
        ExportColumn(_("Priority"), lambda t: _(services.PRIORITY_LABELS[t.priority])),
        ExportColumn(_("Due"), lambda t: t.due_at),
        ExportColumn(_("Assignee"), lambda t: names.user(t.assignee_id)),
        ExportColumn(_("Client"), lambda t: names.clients.get(t.client_id, "")),
        ExportColumn(_("Strategy"), lambda t: names.strategies.get(t.strategy_id, "")),
        ExportColumn(_("Address"), lambda t: t.address),
        ExportColumn(_("Overdue"), lambda t: _("yes") if services.is_overdue(t) else ""),
    ]


async def tasks_source(session: AsyncSession, user: Any, params: ListParams) -> ListSource:
    filters = views.read_page_filters(params, FormErrors())
    return ListSource(await services.tasks_list(session, user, filters), export_columns, "tasks")


@get("/tasks/list", opt=WORK, include_in_schema=False)
async def task_list(request: Request, me: Me, db_session: Db) -> Any:
    context, filters = await base_context(request, db_session, "list")
    params: ListParams = context["params"]
    if params.format and not context["errors"]:
        return await export(request, db_session, tasks_source, params)
    page = await (await services.tasks_list(db_session, me, filters)).page(db_session, params)
    context.update({"page": page, "names": await views.names_for(db_session, page.rows)})
    return render(request, "tasks/list.html", context, block="list", status_code=422 if context["errors"] else 200)


def _back(request: Request, fallback: str = "/tasks") -> str:
    referer = request.headers.get("referer", "")
    host = request.headers.get("host", "")
    if host and f"//{host}/" in referer:
        return "/" + referer.split(f"//{host}/", 1)[1]
    return fallback


def _field_errors(form: Form) -> list[dict[str, str]]:
    """A move's messages as the JSON errors of the API (``{field, message}``)."""
    return [{"field": name, "message": message} for name, message in form.errors.items()]


async def _task(session: AsyncSession, request: Request, task_id: int) -> Task:
    task = await visible_task(session, current_user(request), task_id, lock=True)
    if task is None:
        raise NotFoundException(detail="no such task in your scope")
    return task


@post("/tasks/{task_id:int}/move", opt=WORK, include_in_schema=False, status_code=200)
async def move(request: Request, me: Me, db_session: Db, task_id: FromPath[int]) -> Any:
    """One request per kanban move: the new status; JSON for the script (with the previous status for the undo),
    a redirect back for a plain form."""
    task = await _task(db_session, request, task_id)
    form = MoveForm.parse(await request.form())
    if not form.ok:
        return Response({"detail": form.errors["status"], "errors": _field_errors(form)}, status_code=422)
    status = form.status
    previous = task.status
    closes = await services.update_task(db_session, me, task, {"status": status})
    await db_session.commit()
    if closes:
        await services.enqueue_next(getattr(request.app.state, "queue", None), task.id)
    label = _(services.STATUS_LABELS[status])
    message = _("“%(title)s” moved to %(status)s", title=task.title, status=label)
    if views.wants_json(request):
        return Response({"id": task.id, "status": status, "previous": previous, "message": message})
    return Redirect(_back(request), status_code=303)


@post("/tasks/{task_id:int}/reschedule", opt=WORK, include_in_schema=False, status_code=200)
async def reschedule(request: Request, db_session: Db, task_id: FromPath[int]) -> Any:
    """The calendar's drag: a new due day, the local time of day kept (09:00 for a task without one)."""
    task = await _task(db_session, request, task_id)
    form = RescheduleForm.parse(await request.form())
    if form.day is None:
        return Response({"detail": form.errors["day"], "errors": _field_errors(form)}, status_code=422)
    day = form.day
    previous = moves.reschedule(task, day)
    await db_session.commit()
    message = _("“%(title)s” moved to %(day)s", title=task.title, day=day.strftime("%d.%m.%Y"))
    before = local_day(previous)
    if views.wants_json(request):
        return Response(
            {
                "id": task.id,
                "day": day.isoformat(),
                "previous": before.isoformat() if before else None,
                "message": message,
            }
        )
    return Redirect(_back(request, "/tasks/calendar"), status_code=303)


ROUTES: list[Any] = [kanban, task_list, move, reschedule]
