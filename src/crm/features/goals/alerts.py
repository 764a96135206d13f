"""Alerts of the goals slice (see crm.features.alerts.registry): "goal_behind" — a goal of the current month under
70 % of its pro-rata target with fewer than 15 days left in the month, for the goal's person and their heads (the
people whose scope holds the goal's person)."""

from __future__ import annotations

import calendar
from datetime import datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.alerts.registry import Alert
from crm.features.goals import analysis, services
from crm.features.goals.config import VARIABLE_LABELS
from crm.features.goals.models import Goal
from crm.features.goals.scope import scope_for
from crm.lib.i18n import fmt_number, local_today, local_tz
from crm.lib.i18n import gettext as _

THRESHOLD = Decimal("0.7")
DAYS_LEFT = 15
MAX_ALERTS = 50


async def alerts(session: AsyncSession, user: Any) -> list[Alert]:
    if not user.can("goals.view"):
        return []
    today = local_today()
    days = calendar.monthrange(today.year, today.month)[1]
    if days - today.day >= DAYS_LEFT:
        return []
    scope = await scope_for(session, user)
    stmt = services.scoped_goals(scope).where(Goal.year == today.year, Goal.responsible_id.is_not(None))
    goals = list((await session.scalars(stmt.order_by(Goal.id).limit(500))).all())
    if not goals:
        return []
    targets = await services.targets_of(session, [g.id for g in goals])
    pairs = {(g.family, g.responsible_id) for g in goals if g.responsible_id}
    facts = await analysis.actuals_by_person(session, today.year, pairs, today.month)
    names = await _names(session, {g.responsible_id for g in goals if g.responsible_id})
    created = datetime.combine(today, time(0, 0), local_tz())
    out: list[Alert] = []
    for goal in goals:
        target = targets[goal.id].get(today.month)
        if not target:
            continue
        pro_rata = target * today.day / days
        month_facts = facts.get((goal.family, goal.responsible_id), {}).get(today.month, {})
        actual = month_facts.get(goal.variable, Decimal(0))
        if actual >= pro_rata * THRESHOLD:
            continue
        digits = 2 if goal.variable == "revenue" else 0
        message = _(
            "Goal behind: %(variable)s of %(person)s is at %(actual)s of %(pro_rata)s expected by today "
            "(%(percent)s %%)",
            variable=_(VARIABLE_LABELS.get(goal.variable, goal.variable)),
            person=names.get(goal.responsible_id, "—"),
            actual=fmt_number(actual, digits),
            pro_rata=fmt_number(pro_rata, digits),
            percent=fmt_number(analysis.percent(actual, pro_rata) or 0, 1),
        )
        link = f"/control?year={today.year}&from={today.month}&to={today.month}"
        out.append(Alert("goal_behind", message, link, created))
        if len(out) >= MAX_ALERTS:
            break
    return out


async def _names(session: AsyncSession, ids: set[Any]) -> dict[Any, str]:
    from sqlalchemy import select

    from crm.features.accounts.models import User

    if not ids:
        return {}
    rows = (await session.execute(select(User.id, User.name, User.email).where(User.id.in_(ids)))).all()
    return {i: n or e for i, n, e in rows}
