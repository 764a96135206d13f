"""Task rules shared by the pages, the API and the jobs: reading input (form strings or JSON), saving, status
changes (a system entry in the thread), the list filters."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from litestar.exceptions import ValidationException
from sqlalchemy import Select, and_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.goals.models import Goal
from crm.features.sales.models import ErpClient
from crm.features.tasks import recurrence
from crm.features.tasks.models import CLOSED_STATUSES, OPEN_STATUSES, PRIORITIES, STATUSES, Comment, Task
from crm.features.tasks.scope import may_assign, task_clause, visible_strategy
from crm.lib.i18n import N_, local_tz
from crm.lib.lists import ListQuery, contains, yes_no_all
from crm.lib.web import FormErrors

log = logging.getLogger(__name__)
FIELDS = (
    "title",
    "description",
    "priority",
    "status",
    "assignee_id",
    "due_at",
    "starts_at",
    "client_id",
    "strategy_id",
    "goal_id",
    "address",
    "lat",
    "lon",
    "recurrence",
)
MAX_TITLE = 300
MAX_TEXT = 10_000
STATUS_LABELS = {
    "todo": N_("To do"),
    "in_progress": N_("In progress"),
    "done": N_("Done"),
    "cancelled": N_("Cancelled"),
}
PRIORITY_LABELS = {"low": N_("Low"), "medium": N_("Medium"), "high": N_("High")}


@dataclass
class TaskInput:
    values: dict[str, Any] = field(default_factory=dict)
    errors: FormErrors = field(default_factory=FormErrors)


def _text(raw: Any) -> str:
    return raw.strip() if isinstance(raw, str) else ""


def parse_moment(raw: Any) -> datetime | None:
    """An ISO date-time (an offset, or local time of the organisation when none) or a date (09:00 local)."""
    if isinstance(raw, datetime):
        value = raw
    else:
        text = _text(raw)
        if len(text) == 10:
            value = datetime.combine(date.fromisoformat(text), time(9))
        else:
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=local_tz())
    if not 2000 <= value.year <= 2100:
        raise ValueError("out of range")
    return value.astimezone(UTC)


def _id(raw: Any) -> int | None:
    if isinstance(raw, bool):
        raise ValueError
    if isinstance(raw, int):
        value = raw
    else:
        text = _text(raw)
        if not text:
            return None
        if not text.isdigit() or len(text) > 18:
            raise ValueError
        value = int(text)
    if not 0 < value < 2**63:
        raise ValueError
    return value


def _float(raw: Any, lo: float, hi: float) -> float | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool):
        raise ValueError
    value = float(str(raw).replace(",", ".")) if isinstance(raw, str) else float(raw)
    if not lo <= value <= hi:
        raise ValueError
    return value


def read_task(raw: Mapping[str, Any], *, partial: bool) -> TaskInput:
    """Field values and errors from a form (strings) or the API (JSON); ``partial``: only the keys given."""
    out = TaskInput()
    v, err = out.values, out.errors

    def given(name: str) -> bool:
        return name in raw or not partial

    _read_what(raw, given, out)
    _read_who_and_when(raw, given, out)
    _read_links(raw, given, out)
    _read_where(raw, given, out)
    _read_recurrence(raw, given, out)
    if "due_at" in v and "starts_at" in v and v["due_at"] and v["starts_at"] and v["starts_at"] > v["due_at"]:
        err.add("starts_at", N_("The start is after the due time."))
    if (v.get("lat") is None) != (v.get("lon") is None) and ("lat" in v or "lon" in v) and not partial:
        err.add("lat", N_("Give both the latitude and the longitude, or neither."))
    return out


def _read_what(raw: Mapping[str, Any], given: Callable[[str], bool], out: TaskInput) -> None:
    """The title, the description, the priority and the status."""
    v, err = out.values, out.errors
    if given("title"):
        title = _text(raw.get("title"))
        if not title:
            err.add("title", N_("Give the task a title."))
        elif len(title) > MAX_TITLE:
            err.add("title", N_("At most 300 characters."))
        v["title"] = title
    if given("description"):
        text = raw.get("description")
        text = text if isinstance(text, str) else ""
        if len(text) > MAX_TEXT:
            err.add("description", N_("At most 10,000 characters."))
        v["description"] = text.strip()
    for name, allowed, default in (("priority", PRIORITIES, "medium"), ("status", STATUSES, "todo")):
        if given(name):
            value = _text(raw.get(name)) or default
            if value not in allowed:
                err.add(name, N_("Choose one of the listed values."))
            v[name] = value


def _read_who_and_when(raw: Mapping[str, Any], given: Callable[[str], bool], out: TaskInput) -> None:
    """The assignee, the due time and the start."""
    v, err = out.values, out.errors
    if given("assignee_id"):
        text = _text(raw.get("assignee_id"))
        try:
            v["assignee_id"] = uuid.UUID(text) if text else None
        except ValueError:
            err.add("assignee_id", N_("Choose a person from the list."))
    for name in ("due_at", "starts_at"):
        if given(name):
            try:
                v[name] = parse_moment(raw.get(name)) if raw.get(name) not in (None, "") else None
            except (ValueError, TypeError):
                err.add(name, N_("A date and time, e.g. 2027-03-01 09:30."))


def _read_links(raw: Mapping[str, Any], given: Callable[[str], bool], out: TaskInput) -> None:
    """The client, the strategy and the goal the task is about (ids)."""
    v, err = out.values, out.errors
    for name in ("client_id", "strategy_id", "goal_id"):
        if given(name):
            try:
                v[name] = _id(raw.get(name))
            except (ValueError, TypeError):
                err.add(name, N_("Choose from the list."))


def _read_where(raw: Mapping[str, Any], given: Callable[[str], bool], out: TaskInput) -> None:
    """The address and the coordinates (of a visit)."""
    v, err = out.values, out.errors
    if given("address"):
        address = _text(raw.get("address"))
        if len(address) > 500:
            err.add("address", N_("At most 500 characters."))
        v["address"] = address
    for name, lo, hi in (("lat", -90.0, 90.0), ("lon", -180.0, 180.0)):
        if given(name):
            try:
                v[name] = _float(raw.get(name), lo, hi)
            except (ValueError, TypeError, OverflowError):
                err.add(name, N_("Latitude from -90 to 90, longitude from -180 to 180."))


def _read_recurrence(raw: Mapping[str, Any], given: Callable[[str], bool], out: TaskInput) -> None:
    """The repeat rule (none when empty)."""
    v, err = out.values, out.errors
    if given("recurrence"):
        rule = raw.get("recurrence")
        if rule in (None, {}, ""):
            v["recurrence"] = None
        else:
            try:
                v["recurrence"] = recurrence.parse(rule).as_json()
            except recurrence.RuleError as exc:
                err.add(exc.field, exc.message)


async def check_links(session: AsyncSession, user: Any, data: TaskInput, task: Task | None = None) -> None:
    """Links must exist (and the strategy be visible); the assignee must be someone the user may assign to."""
    v, err = data.values, data.errors
    assignee = v.get("assignee_id")
    changed = assignee is not None and (task is None or assignee != task.assignee_id)
    if changed and assignee is not None and not await may_assign(session, user, assignee):
        err.add("assignee_id", N_("Choose a person from the list."))
    if v.get("client_id") is not None and await session.get(ErpClient, v["client_id"]) is None:
        err.add("client_id", N_("No such client."))
    if v.get("goal_id") is not None and await session.get(Goal, v["goal_id"]) is None:
        err.add("goal_id", N_("No such goal."))
    if v.get("strategy_id") is not None and await visible_strategy(session, user, v["strategy_id"]) is None:
        err.add("strategy_id", N_("No such strategy."))
    rule = v.get("recurrence", task.recurrence if task else None)
    due = v.get("due_at", task.due_at if task else None)
    if rule and due is None:
        err.add("due_at", N_("A recurring task needs a due date."))
    lat = v.get("lat", task.lat if task else None)
    lon = v.get("lon", task.lon if task else None)
    if (lat is None) != (lon is None):
        err.add("lat", N_("Give both the latitude and the longitude, or neither."))


async def create_task(session: AsyncSession, actor: Any, values: Mapping[str, Any]) -> Task:
    data = {k: v for k, v in values.items() if k in FIELDS}
    if data.get("assignee_id") is None:
        data["assignee_id"] = actor.id
    task = Task(**{k: v for k, v in data.items() if v is not None or k != "status"}, creator_id=actor.id)
    if task.status in CLOSED_STATUSES:
        task.completed_at = datetime.now(UTC)
    session.add(task)
    await session.flush()
    if task.recurrence:
        task.series_id, task.occurrence = task.id, 1
    return task


async def update_task(session: AsyncSession, actor: Any, task: Task, values: Mapping[str, Any]) -> bool:
    """Apply the given fields; True when the change closed a recurring occurrence (the next one is due)."""
    closes = False
    for key, value in values.items():
        if key == "status":
            closes = await set_status(session, actor, task, value) or closes
        elif key in FIELDS:
            setattr(task, key, value)
    if task.recurrence and task.series_id is None:
        task.series_id, task.occurrence = task.id, 1
    return closes and bool(task.recurrence)


async def set_status(session: AsyncSession, actor: Any, task: Task, status: str) -> bool:
    """Change the status with a system entry in the task's thread; True when an open task became closed."""
    old = task.status
    if old == status:
        return False
    task.status = status
    task.completed_at = datetime.now(UTC) if status in CLOSED_STATUSES else None
    session.add(Comment(task_id=task.id, author_id=actor.id if actor else None, kind="status", text=f"{old}>{status}"))
    return old in OPEN_STATUSES and status in CLOSED_STATUSES


@dataclass
class TaskFilters:
    assignee_id: uuid.UUID | None = None
    statuses: tuple[str, ...] = ()
    priority: str | None = None
    due_from: date | None = None
    due_to: date | None = None
    client_id: int | None = None
    strategy_id: int | None = None
    goal_id: int | None = None
    overdue: bool | None = None
    q: str = ""


def read_filters(get: Any, errors: FormErrors) -> TaskFilters:
    """Filters from a query string (``get(name)`` → str); bad values become field errors."""
    f = TaskFilters()
    raw = get("assignee_id")
    if raw:
        try:
            f.assignee_id = uuid.UUID(raw)
        except ValueError:
            errors.add("assignee_id", N_("Choose a person from the list."))
    statuses = tuple(s for s in (get("status") or "").split(",") if s)
    if any(s not in STATUSES for s in statuses):
        errors.add("status", N_("Choose one of the listed values."))
    else:
        f.statuses = statuses
    priority = get("priority")
    if priority:
        if priority not in PRIORITIES:
            errors.add("priority", N_("Choose one of the listed values."))
        else:
            f.priority = priority
    for name in ("due_from", "due_to"):
        raw = get(name)
        if raw:
            try:
                day = date.fromisoformat(raw)
                if not 2000 <= day.year <= 2100:
                    raise ValueError
                setattr(f, name, day)
            except ValueError:
                errors.add(name, N_("A date YYYY-MM-DD."))
    for name in ("client_id", "strategy_id", "goal_id"):
        try:
            setattr(f, name, _id(get(name)))
        except ValueError:
            errors.add(name, N_("Choose from the list."))
    try:
        f.overdue = yes_no_all("overdue", get("overdue"))
    except ValidationException:
        errors.add("overdue", N_("true, false or all"))
    f.q = (get("q") or "").strip()[:200]
    return f


def local_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=local_tz()).astimezone(UTC)


async def task_query(session: AsyncSession, user: Any, f: TaskFilters) -> Select[Any]:
    stmt = select(Task)
    clause = await task_clause(session, user)
    conditions = [] if clause is None else [clause]
    if f.assignee_id:
        conditions.append(Task.assignee_id == f.assignee_id)
    if f.statuses:
        conditions.append(Task.status.in_(f.statuses))
    if f.priority:
        conditions.append(Task.priority == f.priority)
    if f.due_from:
        conditions.append(Task.due_at >= local_start(f.due_from))
    if f.due_to:
        conditions.append(Task.due_at < local_start(f.due_to + timedelta(days=1)))
    for name in ("client_id", "strategy_id", "goal_id"):
        if getattr(f, name) is not None:
            conditions.append(getattr(Task, name) == getattr(f, name))
    now = datetime.now(UTC)
    if f.overdue is True:
        conditions += [Task.status.in_(OPEN_STATUSES), Task.due_at < now]
    elif f.overdue is False:
        conditions.append(~and_(Task.status.in_(OPEN_STATUSES), Task.due_at < now).self_group())
    if f.q:
        conditions.append(Task.title.ilike(contains(f.q)))
    return stmt.where(*conditions).execution_options(tasks_scoped=clause is not None)


def scoped(stmt: Select[Any]) -> bool:
    """Whether a query of ``task_query`` is limited to a person's (or a team's) tasks."""
    return bool(stmt.get_execution_options().get("tasks_scoped"))


TASK_SORTS = {
    "due_at": Task.due_at,
    "title": Task.title,
    "priority": Task.priority,
    "status": Task.status,
    "created_at": Task.created_at,
    "id": Task.id,
}


async def tasks_list(session: AsyncSession, user: Any, f: TaskFilters) -> ListQuery:
    """The tasks list of the page, its export and the API (the due time ordered as ``due_order`` says)."""
    stmt = await task_query(session, user, f)
    return ListQuery(stmt, {**TASK_SORTS, "due_at": due_order(stmt)}, "due_at", Task.id)


def due_order(stmt: Select[Any]) -> Any:
    """The due time to order by. Over a person's or a team's tasks it is an expression, so PostgreSQL gathers
    their rows through the assignee/creator indexes and sorts the few thousands instead of walking the
    organisation-wide due-time index in order, filtering out nearly every row (seconds at a million tasks)."""
    return Task.due_at + text("interval '0 seconds'") if scoped(stmt) else Task.due_at


def is_overdue(task: Task, now: datetime | None = None) -> bool:
    return task.status in OPEN_STATUSES and task.due_at is not None and task.due_at < (now or datetime.now(UTC))


async def enqueue_next(queue: Any, task_id: int) -> None:
    """Ask the worker for the next occurrence (the sweep catches it if the queue is unreachable)."""
    if queue is None:
        return
    try:
        await queue.enqueue("tasks_next_occurrence", task_id=task_id, timeout=60, retries=3, retry_delay=2.0)
    except Exception:
        log.warning("could not enqueue the next occurrence of task %s", task_id)
