"""Demo goals: for the demo managers, this year's revenue (all families and one family), client count and new
clients goals, sized on the demo sales so the dashboard shows months over and under target. Twice adds nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts.models import User
from crm.features.goals import services
from crm.features.goals.models import Goal, GoalTarget
from crm.features.sales.models import ClientMonthSales

MANAGERS = ("manager@example.com", "manager2@example.com")


async def load(session: AsyncSession, scale: str = "small") -> list[str]:
    year = date.today().year
    people = list((await session.scalars(select(User).where(User.email.in_(MANAGERS)))).all())
    if not people:
        return ["Goals: no demo managers."]
    if await session.scalar(select(func.count()).select_from(Goal).where(Goal.year == year)):
        return ["Goals: the demo goals are already there."]
    since = date(year - 1, 1, 1)
    monthly = await session.scalar(
        select(func.coalesce(func.sum(ClientMonthSales.revenue), 0)).where(ClientMonthSales.month >= since)
    )
    months = max(1, (date.today().year - since.year) * 12 + date.today().month)
    base = services.money(Decimal(monthly or 0) / months / len(people)) or Decimal(100000)
    family = await session.scalar(
        select(ClientMonthSales.family)
        .where(ClientMonthSales.family != "")
        .group_by(ClientMonthSales.family)
        .order_by(func.sum(ClientMonthSales.revenue).desc())
        .limit(1)
    )
    created = 0
    for person in people:
        plans = [
            ("revenue", "", base, Decimal(2)),
            ("client_count", "", Decimal(8), Decimal(0)),
            ("new_clients", "", Decimal(2), Decimal(0)),
        ]
        if family:
            plans.append(("revenue", family, services.money(base / 3), Decimal(1)))
        for variable, fam, first, grow in plans:
            goal = Goal(variable=variable, family=fam, responsible_id=person.id, year=year)
            session.add(goal)
            await session.flush()
            targets = services.fill({1: first}, 1, grow_percent=grow) if grow else {m: first for m in range(1, 13)}
            session.add_all([GoalTarget(goal_id=goal.id, month=m, target=v) for m, v in targets.items()])
            created += 1
    await session.flush()
    return [f"Goals: {created} demo goals for {year}."]
