"""Goals: validation, create/update/delete (audited), "repeat value" and "grow by N %", team sums."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import delete, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts.models import Role, User, user_roles
from crm.features.accounts.services import record
from crm.features.goals.config import VARIABLE_LABELS, parse_decimal
from crm.features.goals.models import VARIABLES, Goal, GoalTarget
from crm.features.goals.scope import Scope
from crm.features.org.tree import all_departments
from crm.lib.i18n import N_

MONTHS = tuple(range(1, 13))
MAX_TARGET = Decimal(10) ** 13
MAX_FAMILY = 80
MAX_NAME = 120
KOPECK = Decimal("0.01")


def money(value: Decimal) -> Decimal:
    return value.quantize(KOPECK, rounding=ROUND_HALF_UP)


@dataclass
class GoalInput:
    variable: str = "revenue"
    family: str = ""
    responsible_id: uuid.UUID | None = None
    year: int = 0
    name: str = ""
    targets: dict[int, Decimal] = field(default_factory=dict)


def parse_target(raw: Any) -> Decimal | None:
    """A monthly target: a number ≥ 0 (kopecks half-up), spaces and a decimal comma allowed; None when bad."""
    value = parse_decimal(raw) if not isinstance(raw, (int, float, Decimal)) or isinstance(raw, bool) else None
    if isinstance(raw, (int, Decimal)) and not isinstance(raw, bool):
        value = Decimal(raw)
    elif isinstance(raw, float):
        value = Decimal(str(raw))
    if value is None or not value.is_finite() or value < 0 or value >= MAX_TARGET:
        return None
    return money(value)


async def check(
    session: AsyncSession, scope: Scope, data: dict[str, Any], partial: Goal | None = None
) -> tuple[GoalInput, dict[str, str]]:
    """Read a goal from a form or JSON (``partial``: the goal being edited supplies what is missing)."""
    errors: dict[str, str] = {}
    out = GoalInput()
    if partial is not None:
        out = GoalInput(partial.variable, partial.family, partial.responsible_id, partial.year, partial.name)
    if "variable" in data or partial is None:
        out.variable = str(data.get("variable") or "")
        if out.variable not in VARIABLES:
            errors["variable"] = N_("Choose a variable from the list.")
    if "family" in data:
        out.family = " ".join(str(data.get("family") or "").split())
        if len(out.family) > MAX_FAMILY:
            errors["family"] = N_("At most 80 characters.")
    if "name" in data:
        out.name = " ".join(str(data.get("name") or "").split())[:MAX_NAME]
    if "year" in data or partial is None:
        raw = str(data.get("year") if data.get("year") is not None else "").strip()
        out.year = int(raw) if raw.isascii() and raw.isdigit() and len(raw) == 4 else 0
        if not 2000 <= out.year <= 2100:
            errors["year"] = N_("A year from 2000 to 2100.")
    if "responsible_id" in data or partial is None:
        raw = str(data.get("responsible_id") or "").strip()
        try:
            person = uuid.UUID(raw) if raw else None
        except ValueError:
            person = None
        stmt = scope.where(select(User.id).where(User.id == person, User.is_active.is_(True)), User.id)
        if person is None or await session.scalar(stmt) is None:
            errors["responsible_id"] = N_("Choose a person from the list.")
        out.responsible_id = person
    raw_targets = data.get("targets")
    if raw_targets is not None or partial is None:
        if not isinstance(raw_targets, dict):
            errors["targets"] = N_("Twelve monthly targets are expected.")
        else:
            for key, value in raw_targets.items():
                month = int(key) if str(key).isdigit() and len(str(key)) <= 2 else 0
                if month not in MONTHS:
                    errors["targets"] = N_("Months are numbered 1 to 12.")
                    continue
                if value is None or (isinstance(value, str) and not value.strip()):
                    continue
                target = parse_target(value)
                if target is None:
                    errors[f"target_{month}"] = N_("A number from 0, e.g. 120000 or 1 250 000,50.")
                else:
                    out.targets[month] = target
    return out, errors


async def duplicate(session: AsyncSession, data: GoalInput, except_id: int | None = None) -> bool:
    stmt = select(Goal.id).where(
        Goal.variable == data.variable,
        Goal.family == data.family,
        Goal.responsible_id == data.responsible_id,
        Goal.year == data.year,
    )
    if except_id is not None:
        stmt = stmt.where(Goal.id != except_id)
    return await session.scalar(stmt.limit(1)) is not None


async def targets_of(session: AsyncSession, goal_ids: list[int]) -> dict[int, dict[int, Decimal]]:
    out: dict[int, dict[int, Decimal]] = {i: {} for i in goal_ids}
    if goal_ids:
        stmt = select(GoalTarget).where(GoalTarget.goal_id.in_(goal_ids))
        for t in (await session.scalars(stmt)).all():
            out[t.goal_id][t.month] = t.target
    return out


async def _set_targets(session: AsyncSession, goal_id: int, targets: dict[int, Decimal]) -> None:
    await session.execute(delete(GoalTarget).where(GoalTarget.goal_id == goal_id))
    session.add_all([GoalTarget(goal_id=goal_id, month=m, target=v) for m, v in sorted(targets.items())])
    await session.flush()


def _audit_values(data: GoalInput) -> dict[str, Any]:
    values: dict[str, Any] = {
        "variable": data.variable,
        "family": data.family,
        "responsible_id": str(data.responsible_id) if data.responsible_id else None,
        "year": data.year,
        "name": data.name,
    }
    values.update({f"target_{m}": str(v) for m, v in sorted(data.targets.items())})
    return values


async def create(session: AsyncSession, actor: User, data: GoalInput) -> Goal:
    goal = Goal(
        variable=data.variable, family=data.family, responsible_id=data.responsible_id, year=data.year, name=data.name
    )
    session.add(goal)
    await session.flush()
    await _set_targets(session, goal.id, data.targets)
    changes = {k: [None, v] for k, v in _audit_values(data).items()}
    await record(session, actor, "goal", str(goal.id), "create", changes, summary=_summary(data))
    return goal


async def update(session: AsyncSession, actor: User, goal: Goal, data: GoalInput, targets_given: bool) -> None:
    old_targets = (await targets_of(session, [goal.id]))[goal.id]
    before = _audit_values(
        GoalInput(goal.variable, goal.family, goal.responsible_id, goal.year, goal.name, old_targets)
    )
    goal.variable, goal.family, goal.responsible_id = data.variable, data.family, data.responsible_id
    goal.year, goal.name = data.year, data.name
    if not targets_given:
        data.targets = old_targets
    await _set_targets(session, goal.id, data.targets)
    after = _audit_values(data)
    changes = {
        k: [before.get(k), after.get(k)] for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k)
    }
    if changes:
        await record(session, actor, "goal", str(goal.id), "update", changes, summary=_summary(data))


async def remove(session: AsyncSession, actor: User, goal: Goal) -> None:
    data = GoalInput(goal.variable, goal.family, goal.responsible_id, goal.year, goal.name)
    await record(session, actor, "goal", str(goal.id), "delete", {"year": [goal.year, None]}, summary=_summary(data))
    await session.delete(goal)
    await session.flush()


def _summary(data: GoalInput) -> str:
    return f"{data.variable} {data.family or '*'} {data.year}"


def fill(
    targets: dict[int, Decimal], from_month: int, value: Decimal | None = None, grow_percent: Decimal | None = None
) -> dict[int, Decimal]:
    """ "Repeat value": months ``from_month``..12 get ``value``. "Grow by N %": each month after ``from_month`` is the
    month before it grown by N % (compounding month over month), rounded half-up to kopecks; with a value too, the
    growth starts from it."""
    out = dict(targets)
    if value is not None:
        for m in range(from_month, 13):
            out[m] = money(value)
    if grow_percent is not None:
        factor = 1 + grow_percent / 100
        current = out.get(from_month, Decimal(0))
        for m in range(from_month + 1, 13):
            current = money(current * factor)
            out[m] = current
    return out


def scoped_goals(scope: Scope) -> Any:
    return scope.where(select(Goal), Goal.responsible_id)


async def visible_goal(session: AsyncSession, scope: Scope, goal_id: int) -> Goal | None:
    return await session.scalar(scoped_goals(scope).where(Goal.id == goal_id))


@dataclass
class Team:
    head: User
    variable: str
    family: str
    targets: dict[int, Decimal]
    members: int

    @property
    def total(self) -> Decimal:
        return sum(self.targets.values(), Decimal(0))


async def teams(
    session: AsyncSession, scope: Scope, year: int, variable: str = "", family: str | None = None
) -> list[Team]:
    """For each visible head (a person whose role sees their department) with goals below them, the sum of the
    goals of the people of their department subtree for the same variable/family/year. Computed, never stored: the
    targets summed per department in SQL, each department's subtree summed once (bottom-up, memoised), each head
    taking the sums of their own department. (The sums used to be the goal rows of the whole year walked once per
    head in Python: 7,300 rows × 36 heads, 150 ms of the large organisation's goals page.)"""
    sums = await _department_sums(session, year, variable, family)
    if not sums:
        return []
    children: dict[int | None, list[int]] = {}
    for d in await all_departments(session):
        children.setdefault(d.parent_id, []).append(d.id)
    subtree: dict[int, dict[tuple[str, str], _Sum]] = {}

    def total(dep: int) -> dict[tuple[str, str], _Sum]:
        if dep not in subtree:
            out = {key: _Sum(dict(s.targets), s.members) for key, s in sums.get(dep, {}).items()}
            subtree[dep] = out  # before the children: a cycle in a synced tree ends here
            for child in children.get(dep, []):
                for key, s in total(child).items():
                    mine = out.setdefault(key, _Sum({}, 0))
                    mine.members += s.members
                    for month, value in s.targets.items():
                        mine.targets[month] = mine.targets.get(month, Decimal(0)) + value
        return subtree[dep]

    out: list[Team] = []
    for head in await _heads(session, scope):
        rows = total(head.department_id) if head.department_id is not None else {}  # (_heads: never None)
        out += [Team(head, var, fam, s.targets, s.members) for (var, fam), s in sorted(rows.items())]
    return out


@dataclass
class _Sum:
    targets: dict[int, Decimal]
    members: int


async def _department_sums(
    session: AsyncSession, year: int, variable: str, family: str | None
) -> dict[int, dict[tuple[str, str], _Sum]]:
    """The year's targets summed per department, variable, family and month, and how many people have them."""
    conditions = [Goal.year == year, User.department_id.is_not(None)]
    if variable:
        conditions.append(Goal.variable == variable)
    if family is not None:
        conditions.append(Goal.family == family)
    keys = (User.department_id, Goal.variable, Goal.family)

    def rows(*columns: Any) -> Any:
        return (
            select(*keys, *columns)
            .join_from(Goal, GoalTarget, GoalTarget.goal_id == Goal.id)
            .join(User, User.id == Goal.responsible_id)
        )

    monthly = rows(GoalTarget.month, func.sum(GoalTarget.target))
    people = rows(func.count(distinct(Goal.responsible_id)))
    out: dict[int, dict[tuple[str, str], _Sum]] = {}
    for dep, var, fam, members in await session.execute(people.where(*conditions).group_by(*keys)):
        out.setdefault(dep, {})[(var, fam)] = _Sum({}, members)
    for dep, var, fam, month, target in await session.execute(
        monthly.where(*conditions).group_by(*keys, GoalTarget.month)
    ):
        out[dep][(var, fam)].targets[month] = target
    return out


async def _heads(session: AsyncSession, scope: Scope) -> list[User]:
    """The visible heads: active people in a department whose role sees the department (at most 500, by name)."""
    role_ids = [r.id for r in (await session.scalars(select(Role))).all() if "scope.department" in r.permissions]
    stmt = scope.where(
        select(User)
        .where(User.is_active.is_(True), User.department_id.is_not(None))
        .where(User.id.in_(select(user_roles.c.user_id).where(user_roles.c.role_id.in_(role_ids)))),
        User.id,
    )
    return list((await session.scalars(stmt.order_by(User.name).limit(500))).all())


def variable_label(variable: str) -> str:
    return VARIABLE_LABELS.get(variable, variable)
