"""Strategy rules: reading input, saving with the first task, progress, ROI and the clients' sales impact."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Select, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.goals.models import Goal
from crm.features.sales.models import ClientMonthSales, ErpClient
from crm.features.tasks.models import STATES, Strategy, Task, strategy_clients, strategy_goals
from crm.features.tasks.scope import may_assign, strategy_clause
from crm.features.tasks.services import create_task, parse_moment
from crm.lib.i18n import N_, local_today, local_tz
from crm.lib.web import FormErrors

MONEY_LIMIT = Decimal("1e13")
STATE_LABELS = {
    "planned": N_("Planned"),
    "in_progress": N_("In progress"),
    "paused": N_("Paused"),
    "finished": N_("Finished"),
}
SCALARS = (
    "name",
    "description",
    "state",
    "owner_id",
    "starts_on",
    "ends_on",
    "cost",
    "expected_result",
    "actual_result",
)


@dataclass
class StrategyInput:
    values: dict[str, Any] = field(default_factory=dict)
    errors: FormErrors = field(default_factory=FormErrors)
    first_task: dict[str, Any] | None = None


def _money(raw: Any) -> Decimal | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool):
        raise ValueError
    text = str(raw).strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError from None
    if not value.is_finite() or abs(value) >= MONEY_LIMIT:
        raise ValueError
    return value.quantize(Decimal("0.01"))


def _ids(raw: Any) -> list[int]:
    if raw in (None, ""):
        return []
    items = raw if isinstance(raw, list | tuple) else [raw]
    out: list[int] = []
    for item in items:
        if isinstance(item, bool):
            raise ValueError
        value = item if isinstance(item, int) else int(str(item).strip())
        if not 0 < value < 2**63:
            raise ValueError
        if value not in out:
            out.append(value)
    if len(out) > 1000:
        raise ValueError
    return out


def read_strategy(raw: Mapping[str, Any], *, partial: bool) -> StrategyInput:
    out = StrategyInput()
    v, err = out.values, out.errors

    def given(name: str) -> bool:
        return name in raw or not partial

    _read_about(raw, given, out)
    for name in ("goal_ids", "client_ids"):
        if given(name):
            try:
                v[name] = _ids(raw.get(name))
            except (ValueError, TypeError):
                err.add(name, N_("Choose from the list."))
    _read_dates(raw, given, out)
    _read_money(raw, given, out)
    if v.get("starts_on") and v.get("ends_on") and v["ends_on"] < v["starts_on"]:
        err.add("ends_on", N_("The end is before the start."))
    first = raw.get("first_task")
    if first is not None:
        if not isinstance(first, Mapping):
            err.add("first_task", N_("An object with title, assignee_id and due_at."))
        else:
            out.first_task = dict(first)
    return out


def _read_about(raw: Mapping[str, Any], given: Callable[[str], bool], out: StrategyInput) -> None:
    """The name, the description, the state and the owner."""
    v, err = out.values, out.errors
    if given("name"):
        raw_name = raw.get("name")
        name = raw_name.strip() if isinstance(raw_name, str) else ""
        if not name:
            err.add("name", N_("Give the strategy a name."))
        elif len(name) > 300:
            err.add("name", N_("At most 300 characters."))
        v["name"] = name
    if given("description"):
        raw_text = raw.get("description")
        text = raw_text if isinstance(raw_text, str) else ""
        if len(text) > 10_000:
            err.add("description", N_("At most 10,000 characters."))
        v["description"] = text.strip()
    if given("state"):
        state = (raw.get("state") or "planned") if isinstance(raw.get("state"), str | None) else "?"
        if state not in STATES:
            err.add("state", N_("Choose one of the listed values."))
        v["state"] = state
    if given("owner_id"):
        owner = raw.get("owner_id")
        try:
            v["owner_id"] = uuid.UUID(str(owner).strip()) if owner not in (None, "") else None
        except ValueError:
            err.add("owner_id", N_("Choose a person from the list."))


def _read_dates(raw: Mapping[str, Any], given: Callable[[str], bool], out: StrategyInput) -> None:
    """The start and the end (days of the years 2000 to 2100)."""
    v, err = out.values, out.errors
    for name in ("starts_on", "ends_on"):
        if given(name):
            value = raw.get(name)
            try:
                day = date.fromisoformat(str(value).strip()) if value not in (None, "") else None
                if day is not None and not 2000 <= day.year <= 2100:
                    raise ValueError
                v[name] = day
            except ValueError:
                err.add(name, N_("A date YYYY-MM-DD."))


def _read_money(raw: Mapping[str, Any], given: Callable[[str], bool], out: StrategyInput) -> None:
    """The cost (not negative), the expected and the actual result."""
    v, err = out.values, out.errors
    for name in ("cost", "expected_result", "actual_result"):
        if given(name):
            try:
                v[name] = _money(raw.get(name))
                if name == "cost" and v[name] is not None and v[name] < 0:
                    raise ValueError
            except ValueError:
                err.add(name, N_("An amount of money, e.g. 150000.00."))


async def check_strategy(session: AsyncSession, user: Any, data: StrategyInput, strategy: Strategy | None) -> None:
    v, err = data.values, data.errors
    owner = v.get("owner_id")
    changed = owner is not None and (strategy is None or owner != strategy.owner_id)
    if changed and owner is not None and not await may_assign(session, user, owner):
        err.add("owner_id", N_("Choose a person from the list."))
    for name, model in (("goal_ids", Goal), ("client_ids", ErpClient)):
        ids = v.get(name) or []
        if ids:
            found = set((await session.scalars(select(model.id).where(model.id.in_(ids)))).all())
            if found != set(ids):
                err.add(name, N_("Some of these are not in the list."))
    start = v.get("starts_on", strategy.starts_on if strategy else None)
    end = v.get("ends_on", strategy.ends_on if strategy else None)
    if start and end and end < start:
        err.add("ends_on", N_("The end is before the start."))
    if data.first_task is not None:
        first = data.first_task
        title = first.get("title")
        if title is not None and (not isinstance(title, str) or not title.strip() or len(title) > 300):
            err.add("first_task.title", N_("Give the task a title."))
        assignee = first.get("assignee_id")
        if assignee not in (None, ""):
            try:
                if not await may_assign(session, user, uuid.UUID(str(assignee))):
                    raise ValueError
            except ValueError:
                err.add("first_task.assignee_id", N_("Choose a person from the list."))
        if first.get("due_at") not in (None, ""):
            try:
                parse_moment(first["due_at"])
            except (ValueError, TypeError):
                err.add("first_task.due_at", N_("A date and time, e.g. 2027-03-01 09:30."))


def proposed_first_task(name: str, owner_id: uuid.UUID | None) -> dict[str, Any]:
    """The first task a new strategy gets unless told otherwise: its name, its owner, a week from today."""
    due = datetime.combine(local_today() + timedelta(days=7), time(9), tzinfo=local_tz())
    return {"title": name, "assignee_id": owner_id, "due_at": due}


async def _set_links(session: AsyncSession, strategy_id: int, name: str, ids: list[int]) -> None:
    table, column = (strategy_goals, "goal_id") if name == "goal_ids" else (strategy_clients, "client_id")
    await session.execute(delete(table).where(table.c.strategy_id == strategy_id))
    if ids:
        await session.execute(insert(table), [{"strategy_id": strategy_id, column: i} for i in ids])


async def create_strategy(session: AsyncSession, actor: Any, data: StrategyInput) -> tuple[Strategy, Task]:
    v = data.values
    strategy = Strategy(**{k: v[k] for k in SCALARS if k in v}, created_by_id=actor.id)
    strategy.owner_id = strategy.owner_id or actor.id
    session.add(strategy)
    await session.flush()
    for name in ("goal_ids", "client_ids"):
        await _set_links(session, strategy.id, name, v.get(name) or [])
    proposed = proposed_first_task(strategy.name, strategy.owner_id)
    given = {k: val for k, val in (data.first_task or {}).items() if val not in (None, "")}
    first = {**proposed, **given}
    if isinstance(first["assignee_id"], str):
        first["assignee_id"] = uuid.UUID(first["assignee_id"])
    if not isinstance(first["due_at"], datetime):
        first["due_at"] = parse_moment(first["due_at"])
    first["title"] = str(first["title"]).strip()
    clients = v.get("client_ids") or []
    goals = v.get("goal_ids") or []
    task = await create_task(
        session,
        actor,
        {
            "title": first["title"],
            "assignee_id": first["assignee_id"],
            "due_at": first["due_at"],
            "strategy_id": strategy.id,
            "client_id": clients[0] if len(clients) == 1 else None,
            "goal_id": goals[0] if len(goals) == 1 else None,
        },
    )
    return strategy, task


async def update_strategy(session: AsyncSession, strategy: Strategy, data: StrategyInput) -> None:
    for key in SCALARS:
        if key in data.values:
            setattr(strategy, key, data.values[key])
    for name in ("goal_ids", "client_ids"):
        if name in data.values:
            await _set_links(session, strategy.id, name, data.values[name])


async def links(session: AsyncSession, strategy_ids: list[int]) -> dict[int, dict[str, list[int]]]:
    out: dict[int, dict[str, list[int]]] = {i: {"goal_ids": [], "client_ids": []} for i in strategy_ids}
    if not strategy_ids:
        return out
    for table, key, column in ((strategy_goals, "goal_ids", "goal_id"), (strategy_clients, "client_ids", "client_id")):
        rows = await session.execute(
            select(table.c.strategy_id, table.c[column])
            .where(table.c.strategy_id.in_(strategy_ids))
            .order_by(table.c[column])
        )
        for sid, other in rows.all():
            out[sid][key].append(other)
    return out


async def progress(session: AsyncSession, strategy_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Strategy id → (tasks in all, tasks done); cancelled ones count in neither."""
    if not strategy_ids:
        return {}
    rows = await session.execute(
        select(
            Task.strategy_id,
            func.count().filter(Task.status != "cancelled"),
            func.count().filter(Task.status == "done"),
        )
        .where(Task.strategy_id.in_(strategy_ids))
        .group_by(Task.strategy_id)
    )
    found = {sid: (total, done) for sid, total, done in rows.all()}
    return {i: found.get(i, (0, 0)) for i in strategy_ids}


def roi(strategy: Strategy) -> float | None:
    """(actual − cost) / cost, when a cost (other than zero) and an actual result are given."""
    if strategy.cost is None or strategy.cost == 0 or strategy.actual_result is None:
        return None
    return round(float((strategy.actual_result - strategy.cost) / strategy.cost), 4)


async def strategy_query(session: AsyncSession, user: Any) -> Select[Any]:
    stmt = select(Strategy)
    clause = await strategy_clause(session, user)
    return stmt if clause is None else stmt.where(clause)


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass
class Impact:
    before: tuple[date, date]
    during: tuple[date, date]
    rows: list[tuple[int, str, Decimal, Decimal]]  # client id, name, before, during
    total_before: Decimal
    total_during: Decimal

    @property
    def change(self) -> float | None:
        if not self.total_before:
            return None
        return float((self.total_during - self.total_before) / self.total_before)


async def impact(session: AsyncSession, strategy: Strategy) -> Impact | None:
    """Revenue of the strategy's clients in the months of the strategy (to this month) against as many months
    just before it."""
    start = _month_start(strategy.starts_on or strategy.created_at.astimezone(local_tz()).date())
    end_day = min(strategy.ends_on or local_today(), local_today())
    end = _month_start(end_day)
    if end < start:
        end = start
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    before_start = _add_months(start, -months)
    clients = select(strategy_clients.c.client_id).where(strategy_clients.c.strategy_id == strategy.id)
    stmt = (
        select(
            ErpClient.id,
            ErpClient.name,
            func.coalesce(func.sum(ClientMonthSales.revenue).filter(ClientMonthSales.month < start), 0),
            func.coalesce(func.sum(ClientMonthSales.revenue).filter(ClientMonthSales.month >= start), 0),
        )
        .outerjoin(
            ClientMonthSales,
            (ClientMonthSales.client_id == ErpClient.id)
            & (ClientMonthSales.month >= before_start)
            & (ClientMonthSales.month <= end),
        )
        .where(ErpClient.id.in_(clients))
        .group_by(ErpClient.id, ErpClient.name)
        .order_by(ErpClient.name)
    )
    rows = [(cid, name, Decimal(b), Decimal(d)) for cid, name, b, d in (await session.execute(stmt)).all()]
    if not rows:
        return None
    return Impact(
        before=(before_start, _add_months(start, -1)),
        during=(start, end),
        rows=rows,
        total_before=sum((r[2] for r in rows), Decimal(0)),
        total_during=sum((r[3] for r in rows), Decimal(0)),
    )
