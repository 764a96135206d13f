"""A task's form (new, edit) and its page: details, status buttons, the visit, photos and the comment thread."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts import people
from crm.features.tasks import comments as threads
from crm.features.tasks import services, views, visits
from crm.features.tasks.comment_pages import post_comment
from crm.features.tasks.forms import TaskForm
from crm.features.tasks.models import STATUSES, Task
from crm.features.tasks.pages import WORK, local_time
from crm.features.tasks.scope import visible_task
from crm.lib.auth import current_user
from crm.lib.deps import Db, Me
from crm.lib.i18n import gettext as _
from crm.lib.i18n import local_tz
from crm.lib.web import FormErrors, render, toast

WEEKDAYS = range(7)
ASSIGNEE = people.Pickers.of("assignee_id")  # the form's person picker


def values_of(task: Task | None, query: Any = None) -> dict[str, Any]:
    """The form's fields as strings: from a task, or prefilled from the query string of an entry point."""
    tz = local_tz()
    if task is None:
        q = query or {}
        return {k: q.get(k) or "" for k in ("client_id", "strategy_id", "goal_id", "title")} | {
            "priority": "medium",
            "status": "todo",
        }
    rule = task.recurrence or {}
    return {
        "title": task.title,
        "description": task.description,
        "priority": task.priority,
        "status": task.status,
        "assignee_id": str(task.assignee_id or ""),
        "due_at": task.due_at.astimezone(tz).strftime("%Y-%m-%dT%H:%M") if task.due_at else "",
        "starts_at": task.starts_at.astimezone(tz).strftime("%Y-%m-%dT%H:%M") if task.starts_at else "",
        "client_id": task.client_id or "",
        "strategy_id": task.strategy_id or "",
        "goal_id": task.goal_id or "",
        "address": task.address,
        "lat": "" if task.lat is None else task.lat,
        "lon": "" if task.lon is None else task.lon,
        "rec_freq": rule.get("freq", ""),
        "rec_interval": rule.get("interval", 1),
        "rec_weekdays": [str(d) for d in rule.get("weekdays", [])],
        "rec_month_day": rule.get("month_day", ""),
        "rec_until": rule.get("until", ""),
        "rec_count": rule.get("count", ""),
        "rec_skip": rule.get("skip_days_off", False),
        "rec_after_due": rule.get("after_due", False),
    }


async def form_context(
    request: Request,
    session: AsyncSession,
    values: dict[str, Any],
    errors: FormErrors,
    task: Task | None,
    picker: people.PersonPicker | None = None,
) -> dict[str, Any]:
    user = current_user(request)
    pickers = (
        await people.shown(session, user, values, "assignee_id") if picker is None else {"assignee_picker": picker}
    )
    client_id = values.get("client_id")
    text = str(client_id or "")
    label = await views.client_name(session, int(text)) if text.isdigit() and len(text) < 19 else ""
    return {
        "task": task,
        "values": values,
        "errors": errors,  # translated (TaskForm)
        "client_label": label,
        "client_options": [],
        "statuses": STATUSES,
        "status_labels": services.STATUS_LABELS,
        "priority_labels": services.PRIORITY_LABELS,
        "weekdays": WEEKDAYS,
        **pickers,
        **await views.filter_choices(session, user),
    }


async def _task_or_404(session: AsyncSession, request: Request, task_id: int) -> Task:
    task = await visible_task(session, current_user(request), task_id)
    if task is None:
        raise NotFoundException(detail="no such task in your scope")
    return task


@get("/tasks/new", opt=WORK, include_in_schema=False)
async def new_task(request: Request, me: Me, db_session: Db) -> Any:
    values = values_of(None, request.query_params)
    values["assignee_id"] = str(me.id)
    context = await form_context(request, db_session, values, FormErrors(), None)
    return render(request, "tasks/form.html", context)


async def _save(request: Request, session: AsyncSession, task: Task | None) -> Any:
    user = current_user(request)
    picks = await ASSIGNEE.parse(await request.form()).resolve(session, user)
    form = picks.apply(TaskForm.parse(await request.form()))
    if form.ok:
        await services.check_links(session, user, form.input, task)
        form.add_service_errors()
    if not form.ok:
        context = await form_context(request, session, form.typed(), form.errors, task, picks.pickers["assignee_id"])
        return render(request, "tasks/form.html", context, status_code=422)
    parsed = form.input
    if task is None:
        task = await services.create_task(session, user, parsed.values)
        closes = False
        toast(request, _("Task created."))
    else:
        closes = await services.update_task(session, user, task, parsed.values)
        toast(request, _("Task saved."))
    await session.commit()
    if closes:
        await services.enqueue_next(getattr(request.app.state, "queue", None), task.id)
    return Redirect(f"/tasks/{task.id}", status_code=303)


@post("/tasks/new", opt=WORK, include_in_schema=False)
async def create_task(request: Request, db_session: Db) -> Any:
    return await _save(request, db_session, None)


@get("/tasks/{task_id:int}/edit", opt=WORK, include_in_schema=False)
async def edit_task(request: Request, db_session: Db, task_id: FromPath[int]) -> Any:
    task = await _task_or_404(db_session, request, task_id)
    context = await form_context(request, db_session, values_of(task), FormErrors(), task)
    return render(request, "tasks/form.html", context)


@post("/tasks/{task_id:int}/edit", opt=WORK, include_in_schema=False)
async def save_task(request: Request, me: Me, db_session: Db, task_id: FromPath[int]) -> Any:
    task = await visible_task(db_session, me, task_id, lock=True)
    if task is None:
        raise NotFoundException(detail="no such task in your scope")
    return await _save(request, db_session, task)


async def page_context(request: Request, session: AsyncSession, task: Task) -> dict[str, Any]:
    names = await views.names_for(session, [task])
    visit = await visits.visit_of(session, task.id)
    return {
        "task": task,
        "names": names,
        "thread": await threads.thread(session, task_id=task.id),
        "visit": visit,
        "far": visits.is_far(visit),
        "photos": await visits.photos_of(session, task.id),
        "statuses": STATUSES,
        "status_labels": services.STATUS_LABELS,
        "priority_labels": services.PRIORITY_LABELS,
        "overdue": services.is_overdue(task),
        "local_time": local_time,
        "comment_errors": {},
        "comment_text": "",
    }


@get("/tasks/{task_id:int}", opt=WORK, include_in_schema=False)
async def task_page(request: Request, me: Me, db_session: Db, task_id: FromPath[int]) -> Any:
    task = await _task_or_404(db_session, request, task_id)
    await threads.mark_read(db_session, me, task_id=task.id)
    await db_session.commit()
    return render(request, "tasks/task.html", await page_context(request, db_session, task))


@post("/tasks/{task_id:int}/comments", opt=WORK, include_in_schema=False)
async def comment(request: Request, db_session: Db, task_id: FromPath[int]) -> Any:
    task = await _task_or_404(db_session, request, task_id)
    return await post_comment(
        request,
        db_session,
        template="tasks/task.html",
        page_context=lambda: page_context(request, db_session, task),
        back=f"/tasks/{task.id}",
        task_id=task.id,
    )


@post("/tasks/{task_id:int}/delete", opt=WORK, include_in_schema=False)
async def delete_task(request: Request, me: Me, db_session: Db, task_id: FromPath[int]) -> Any:
    task = await visible_task(db_session, me, task_id, lock=True)
    if task is None:
        raise NotFoundException(detail="no such task in your scope")
    await db_session.delete(task)
    await db_session.commit()
    toast(request, _("Task deleted."))
    return Redirect("/tasks", status_code=303)


@get("/tasks/client-options", opt=WORK, include_in_schema=False)
async def client_options(request: Request, me: Me, db_session: Db) -> Any:
    """The client picker's options for a typed name: the clients the person looks after (their team's for a head,
    every client with scope.all), at most 30, the chosen one kept."""
    q = (request.query_params.get("client_q") or "").strip()[:100]
    chosen = str(request.query_params.get("client_id") or "")
    label = await views.client_name(db_session, int(chosen)) if chosen.isdigit() and len(chosen) < 19 else ""
    options = await views.find_clients(db_session, me, q) if len(q) >= 2 else []
    context = {"values": {"client_id": chosen if label else ""}, "client_label": label, "client_options": options}
    return render(request, "tasks/_client_select.html", context)


ROUTES: list[Any] = [client_options, new_task, create_task, edit_task, save_task, task_page, comment, delete_task]
