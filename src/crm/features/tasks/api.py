"""JSON API of tasks (spec strategies-tasks "Contracts"): list with filters, read, create, change, delete, and the
comments of a task. Out of scope → 404; bad fields → 422 ``{detail, errors: [{field, message}]}``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Request, delete, get, patch, post
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.tasks import comments as threads
from crm.features.tasks import services
from crm.features.tasks.models import Task
from crm.features.tasks.scope import visible_task
from crm.lib.auth import current_user
from crm.lib.deps import Db, Me
from crm.lib.i18n import gettext as _
from crm.lib.lists import ApiPage, PageNo, PageSize, sort_param
from crm.lib.web import FormErrors

TAGS = ["tasks"]
WORK = {"permission": "tasks.work"}


class TaskOut(msgspec.Struct):
    id: int
    title: str
    description: str
    priority: str
    status: str
    assignee_id: uuid.UUID | None
    creator_id: uuid.UUID | None
    due_at: datetime | None
    starts_at: datetime | None
    completed_at: datetime | None
    client_id: int | None
    strategy_id: int | None
    goal_id: int | None
    address: str
    lat: float | None
    lon: float | None
    recurrence: dict[str, Any] | None
    series_id: int | None
    occurrence: int | None
    overdue: bool
    created_at: datetime
    updated_at: datetime


class CommentOut(msgspec.Struct):
    id: int
    kind: str
    text: str
    author_id: uuid.UUID | None
    author: str
    created_at: datetime


def task_out(task: Task) -> TaskOut:
    return TaskOut(
        id=task.id,
        title=task.title,
        description=task.description,
        priority=task.priority,
        status=task.status,
        assignee_id=task.assignee_id,
        creator_id=task.creator_id,
        due_at=task.due_at,
        starts_at=task.starts_at,
        completed_at=task.completed_at,
        client_id=task.client_id,
        strategy_id=task.strategy_id,
        goal_id=task.goal_id,
        address=task.address,
        lat=task.lat,
        lon=task.lon,
        recurrence=task.recurrence,
        series_id=task.series_id,
        occurrence=task.occurrence,
        overdue=services.is_overdue(task),
        created_at=task.created_at,
        updated_at=task.updated_at,
    )


def invalid(errors: FormErrors) -> ValidationException:
    extra = []
    for key, message in errors.items():
        base, params = threads.error_text(message)
        extra.append({"key": key, "message": _(base, **params)})
    return ValidationException(detail="; ".join(f"{e['key']}: {e['message']}" for e in extra), extra=extra)


async def task_or_404(session: AsyncSession, request: Request, task_id: int, *, lock: bool = False) -> Task:
    task = await visible_task(session, current_user(request), task_id, lock=lock)
    if task is None:
        raise NotFoundException(detail="no such task in your scope")
    return task


Q = Annotated[str | None, QueryParameter(required=False)]


@get(
    "/api/v1/tasks",
    opt=WORK,
    tags=TAGS,
    summary="Tasks in your scope, filtered",
    description="Filters: `assignee_id` (uuid), `status` (todo, in_progress, done, cancelled; several separated by "
    "commas), `priority`, `due_from`/`due_to` (YYYY-MM-DD, local days, inclusive), `client_id`, `strategy_id`, "
    "`goal_id`, `overdue` (true: open and past due). A manager sees tasks assigned to or created by them, a head "
    "also those of their department subtree.",
)
async def list_tasks(
    me: Me,
    db_session: Db,
    page: PageNo = 1,
    page_size: PageSize = 50,
    sort: Annotated[str, sort_param(services.TASK_SORTS)] = "due_at",
    q: Q = None,
    assignee_id: Q = None,
    status: Q = None,
    priority: Q = None,
    due_from: Q = None,
    due_to: Q = None,
    client_id: Q = None,
    strategy_id: Q = None,
    goal_id: Q = None,
    overdue: Q = None,
) -> ApiPage[TaskOut]:
    errors = FormErrors()
    given = {
        "q": q,
        "assignee_id": assignee_id,
        "status": status,
        "priority": priority,
        "due_from": due_from,
        "due_to": due_to,
        "client_id": client_id,
        "strategy_id": strategy_id,
        "goal_id": goal_id,
        "overdue": overdue,
    }
    filters = services.read_filters(given.get, errors)
    if errors:
        raise invalid(errors)
    tasks = await services.tasks_list(db_session, me, filters)
    return await tasks.api(db_session, page, page_size, sort, task_out)


@get("/api/v1/tasks/{task_id:int}", opt=WORK, tags=TAGS, summary="One task")
async def read_task(request: Request, db_session: Db, task_id: FromPath[int]) -> TaskOut:
    return task_out(await task_or_404(db_session, request, task_id))


@post(
    "/api/v1/tasks",
    opt=WORK,
    tags=TAGS,
    summary="Create a task",
    description="Fields: title (required), description, priority, status, assignee_id (default: you), due_at, "
    "starts_at (ISO 8601; without an offset: the organisation's local time), client_id, strategy_id, goal_id, "
    "address, lat, lon, recurrence `{freq, interval, weekdays, month_day, until, count, skip_days_off, after_due}` "
    "(`after_due`: the next occurrence also comes when the due date passes, done or not).",
)
async def create_task(me: Me, db_session: Db, data: JSONBody[dict[str, Any]]) -> TaskOut:
    unknown = sorted(set(data) - set(services.FIELDS))
    parsed = services.read_task(data, partial=False)
    for key in unknown:
        parsed.errors.add(key, "unknown field")
    if not parsed.errors:
        await services.check_links(db_session, me, parsed)
    if parsed.errors:
        raise invalid(parsed.errors)
    task = await services.create_task(db_session, me, parsed.values)
    await db_session.commit()
    return task_out(task)


@patch("/api/v1/tasks/{task_id:int}", opt=WORK, tags=TAGS, summary="Change some fields of a task")
async def change_task(
    request: Request, me: Me, db_session: Db, task_id: FromPath[int], data: JSONBody[dict[str, Any]]
) -> TaskOut:
    task = await task_or_404(db_session, request, task_id, lock=True)
    unknown = sorted(set(data) - set(services.FIELDS))
    parsed = services.read_task(data, partial=True)
    for key in unknown:
        parsed.errors.add(key, "unknown field")
    if not parsed.errors:
        await services.check_links(db_session, me, parsed, task)
    if parsed.errors:
        raise invalid(parsed.errors)
    closes = await services.update_task(db_session, me, task, parsed.values)
    await db_session.commit()
    if closes:
        await services.enqueue_next(getattr(request.app.state, "queue", None), task.id)
    return task_out(task)


@delete("/api/v1/tasks/{task_id:int}", opt=WORK, tags=TAGS, summary="Delete a task", status_code=204)
async def delete_task(request: Request, db_session: Db, task_id: FromPath[int]) -> None:
    task = await task_or_404(db_session, request, task_id, lock=True)
    await db_session.delete(task)
    await db_session.commit()


class CommentIn(msgspec.Struct):
    text: Annotated[str, msgspec.Meta(max_length=20_000, examples=["Called, meeting on Friday @head@example.com"])]


def comment_out(entry: threads.Entry) -> CommentOut:
    c = entry.comment
    return CommentOut(
        id=c.id, kind=c.kind, text=c.text, author_id=c.author_id, author=entry.author, created_at=c.created_at
    )


@get("/api/v1/tasks/{task_id:int}/comments", opt=WORK, tags=TAGS, summary="The thread of a task")
async def task_comments(request: Request, db_session: Db, task_id: FromPath[int]) -> ApiPage[CommentOut]:
    """The whole thread on one page (a task's thread is short)."""
    task = await task_or_404(db_session, request, task_id)
    rows = [comment_out(e) for e in await threads.thread(db_session, task_id=task.id)]
    return ApiPage(total=len(rows), page=1, page_size=max(len(rows), 1), rows=rows)


@post(
    "/api/v1/tasks/{task_id:int}/comments",
    opt=WORK,
    tags=TAGS,
    summary="Comment on a task",
    description="`@email` mentions notify the person (an alert and a mail); they must be able to see the task.",
)
async def comment_task(
    request: Request, me: Me, db_session: Db, task_id: FromPath[int], data: JSONBody[CommentIn]
) -> CommentOut:
    task = await task_or_404(db_session, request, task_id)
    comment, errors = await threads.add_comment(db_session, me, data.text, task_id=task.id)
    if errors or comment is None:
        raise invalid(errors)
    await db_session.commit()
    await enqueue_mentions(request, comment.id)
    return comment_out(threads.Entry(comment, me.name or me.email))


async def enqueue_mentions(request: Request, comment_id: int) -> None:
    queue = getattr(request.app.state, "queue", None)
    if queue is not None and comment_id:
        await queue.enqueue("tasks_send_mentions", comment_id=comment_id, timeout=120, retries=5, retry_delay=30.0)


ROUTES: list[Any] = [list_tasks, read_task, create_task, change_task, delete_task, task_comments, comment_task]
