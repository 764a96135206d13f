"""A manager's months are kept summed by triggers (plans.month_figures): whatever writes the daily figures (a
sync's recompute, a rebuild), the plans (set, forced, deleted) or the calendar, the kept months equal a sum from
scratch; and the year view reads the past months from them and the current month from the days, with the same
numbers as from the days alone."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import text

from crm.features.calendar.models import CalendarDay
from crm.features.calendar.services import ensure_year
from crm.features.clients.sync_models import ManagerDayFigure
from crm.features.plans.models import CallPlan
from crm.features.plans.month_figures import REBUILD
from crm.features.plans.scope import Selection, Visible
from crm.features.plans.stats import build_view
from tests.integration.test_plans_stats import org

YEAR = 2025
PEOPLE = (20, 21, 22, 31)


async def kept(db: Any) -> set[tuple[Any, ...]]:
    return {tuple(r) for r in (await db.execute(text("SELECT * FROM manager_month_figures"))).all()}


async def assert_kept_equals_a_rebuild(db: Any) -> set[tuple[Any, ...]]:
    await db.flush()
    before = await kept(db)
    for statement in REBUILD:
        await db.execute(text(statement))
    after = await kept(db)
    assert before == after, before ^ after
    return after


def a_day(rng: random.Random) -> date:
    return date(YEAR, 1, 1) + timedelta(days=rng.randrange(120))


async def test_the_kept_months_equal_a_sum_from_scratch_after_any_write(client, db) -> None:
    await org(db)
    rng = random.Random(7)
    for _ in range(300):
        key = (rng.choice(PEOPLE), a_day(rng))
        if rng.random() < 0.6:
            await db.merge(ManagerDayFigure(employee_id=key[0], day=key[1], calls=rng.randrange(15), meetings=1))
        if rng.random() < 0.6:
            await db.merge(CallPlan(employee_id=key[0], day=key[1], calls=rng.randrange(1, 12)))
    months = await assert_kept_equals_a_rebuild(db)
    assert len(months) >= 12

    for _ in range(6):  # writes of every kind, each statement followed by its trigger
        plans = (await db.execute(text("SELECT employee_id, day FROM call_plans"))).all()
        for employee_id, day in rng.sample(plans, 5):
            plan = await db.get(CallPlan, (employee_id, day))
            if rng.random() < 0.5:
                plan.forced_at = datetime.now(UTC)
            else:
                await db.delete(plan)
        figures = (await db.execute(text("SELECT employee_id, day FROM manager_day_figures"))).all()
        for employee_id, day in rng.sample(figures, 5):
            (await db.get(ManagerDayFigure, (employee_id, day))).calls = rng.randrange(20)
        await db.flush()
        await db.execute(
            text("DELETE FROM manager_day_figures WHERE employee_id = :e AND day < :d").bindparams(
                e=rng.choice(PEOPLE), d=a_day(rng)
            )
        )
        await assert_kept_equals_a_rebuild(db)
        db.expunge_all()  # the rows deleted by SQL are not the session's any more

    for day in (date(YEAR, 2, 3), date(YEAR, 2, 8), date(YEAR, 2, 3)):  # a working day off and back, a weekend on
        row = await db.get(CalendarDay, day)
        row.is_working = not row.is_working
        await assert_kept_equals_a_rebuild(db)
    await db.execute(text("DELETE FROM calendar_days"))
    db.expunge_all()
    await assert_kept_equals_a_rebuild(db)
    await ensure_year(db, YEAR)
    await assert_kept_equals_a_rebuild(db)
    await db.execute(text("TRUNCATE manager_day_figures"))
    assert {r[0:2] for r in await assert_kept_equals_a_rebuild(db)} <= {r[0:2] for r in months}


async def test_the_year_view_from_kept_months_equals_the_year_from_the_days(client, db) -> None:
    """The same year seen on 15 May (January–April kept, May onwards from the days), on its 1 January (every month
    from the days) and after it (every month kept): the facts and plans are equal, and the verdicts of the months
    that are over are those of the rule applied to the rows."""
    await org(db)
    rng = random.Random(11)
    for _ in range(400):
        key = (rng.choice(PEOPLE), date(YEAR, 1, 1) + timedelta(days=rng.randrange(365)))
        await db.merge(ManagerDayFigure(employee_id=key[0], day=key[1], calls=rng.randrange(15), meetings=1))
        if rng.random() < 0.7:
            forced = datetime.now(UTC) if rng.random() < 0.2 else None
            await db.merge(CallPlan(employee_id=key[0], day=key[1], calls=rng.randrange(1, 12), forced_at=forced))
    await db.commit()

    def cells(view: Any) -> dict[tuple[int, int], tuple[int, ...]]:
        return {
            (r.employee.id, m): (c.calls, c.meetings, c.plan or 0, c.fulfilled, c.not_fulfilled, c.forced, c.comments)
            for g in view.groups
            for r in g.rows
            for m, c in r.cells.items()
        }

    everything, nobody = Visible(everything=True), Selection()
    may = cells(await build_view(db, everything, nobody, YEAR, None, date(YEAR, 5, 15)))
    january = cells(await build_view(db, everything, nobody, YEAR, None, date(YEAR, 1, 1)))  # all from the days
    after = cells(await build_view(db, everything, nobody, YEAR, None, date(YEAR + 1, 1, 1)))  # all kept
    assert (
        {k: v[:3] for k, v in may.items()}
        == {k: v[:3] for k, v in january.items()}
        == {k: v[:3] for k, v in after.items()}
    )

    # the verdicts of the kept months against the rule applied to the rows (a day off is not counted)
    off = set((await db.execute(text("SELECT day FROM calendar_days WHERE NOT is_working"))).scalars())
    facts = {(e, d): c for e, d, c in await db.execute(text("SELECT employee_id, day, calls FROM manager_day_figures"))}
    expected: dict[tuple[int, int], list[int]] = {}
    for e, d, plan, forced in await db.execute(text("SELECT employee_id, day, calls, forced_at FROM call_plans")):
        if d in off:
            continue
        verdict = 0 if facts.get((e, d), 0) >= plan else 2 if forced else 1
        expected.setdefault((e, d.month), [0, 0, 0])[verdict] += 1
    judged = {k: list(v[3:6]) for k, v in after.items() if any(v[3:6])}
    assert judged == expected and sum(map(sum, expected.values())) > 100
    may_judged = {k: list(v[3:6]) for k, v in may.items() if any(v[3:6]) and k[1] < 5}
    assert may_judged == {k: v for k, v in expected.items() if k[1] < 5}  # January–April: over by 15 May
