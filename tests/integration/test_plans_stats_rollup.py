"""The statistics' sums per month (or working day) and per department subtree, computed in one grouped statement
and summed bottom-up through the tree, equal a plain count over the daily rows, for the year and the month views:
facts, plans, fulfilled / not fulfilled / forced days, comments; days off left out."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

from crm.features.calendar.services import working_days
from crm.features.plans.models import CallPlan, DayComment
from crm.features.plans.scope import Selection, Visible
from crm.features.plans.stats import FORCED, FULFILLED, NONE, NOT_FULFILLED, build_view
from tests.integration.test_plans_stats import YEAR, fig, org

TODAY = date(YEAR, 6, 18)  # mid-year: later days are not judged yet


async def _data(db: Any) -> tuple[dict[str, int], list[Any], list[Any], list[Any]]:
    ids = await org(db)
    rng = random.Random(3)
    figures, plans, comments = [], [], []
    day = date(YEAR, 1, 1)
    while day.year == YEAR:  # every day, days off included (they must not count)
        for employee in (10, 20, 21, 22, 30, 31):
            if rng.random() < 0.7:
                figures.append(fig(employee, day, rng.randrange(0, 30), rng.randrange(0, 3)))
            if employee != 10 and rng.random() < 0.8:
                forced = datetime(YEAR, 1, 1, tzinfo=UTC) if rng.random() < 0.1 else None
                plans.append(CallPlan(employee_id=employee, day=day, calls=rng.randrange(5, 25), forced_at=forced))
            if rng.random() < 0.05:
                comments.append(DayComment(employee_id=employee, day=day, body="на выставке"))
        day += timedelta(days=1)
    db.add_all([*figures, *plans, *comments])
    await db.commit()
    return ids, figures, plans, comments


def _expected(figures: list[Any], plans: list[Any], comments: list[Any], days: set[date], key: Any) -> dict[Any, Any]:
    """(employee, period) → [calls, meetings, plan or None, fulfilled, not fulfilled, forced, comments]."""
    out: dict[Any, list[Any]] = defaultdict(lambda: [0, 0, None, 0, 0, 0, 0])
    facts = {(f.employee_id, f.day): f.calls for f in figures}
    for f in figures:
        if f.day in days:
            out[(f.employee_id, key(f.day))][0] += f.calls
            out[(f.employee_id, key(f.day))][1] += f.meetings
    for p in plans:
        if p.day not in days:
            continue
        cell = out[(p.employee_id, key(p.day))]
        cell[2] = (cell[2] or 0) + p.calls
        if p.day < TODAY:
            done = facts.get((p.employee_id, p.day), 0) >= p.calls
            cell[3 if done else 5 if p.forced_at else 4] += 1
    for c in comments:
        if c.day in days:
            out[(c.employee_id, key(c.day))][6] += 1
    return out


def _as_list(cell: Any) -> list[Any]:
    return [cell.calls, cell.meetings, cell.plan, cell.fulfilled, cell.not_fulfilled, cell.forced, cell.comments]


async def test_the_year_and_month_views_equal_a_count_over_the_daily_rows(db) -> None:
    ids, figures, plans, comments = await _data(db)
    members = {"Sales": [10, 20, 21, 22, 30, 31], "Moscow": [20, 21, 22], "Regions": [30, 31]}
    for month in (None, 3, 6):
        first, last = (date(YEAR, 1, 1), date(YEAR, 12, 31)) if month is None else (date(YEAR, month, 1), None)
        last = last or (date(YEAR, month + 1, 1) - timedelta(days=1))  # type: ignore[operator]
        days = set(await working_days(db, first, last))
        key = (lambda d: d.month) if month is None else (lambda d: d)
        expected = _expected(figures, plans, comments, days, key)
        view = await build_view(db, Visible(everything=True), Selection(), YEAR, month, TODAY)
        rows = {r.employee.id: r for g in view.groups for r in g.rows}
        assert set(rows) == {10, 20, 21, 22, 30, 31}
        for employee, row in rows.items():
            for period in view.periods:
                want = expected.get((employee, period), [0, 0, None, 0, 0, 0, 0])
                assert _as_list(row.cells[period]) == want, (month, employee, period)
                if month is not None:  # a day's status
                    f, n, x = want[3:6]
                    status = FULFILLED if f else NOT_FULFILLED if n else FORCED if x else NONE
                    assert row.cells[period].status == (status if want[2] is not None else NONE)
        for group in view.groups:
            for period in view.periods:
                summed = [0, 0, None, 0, 0, 0, 0]
                for employee in members[group.department.name]:
                    for i, v in enumerate(expected.get((employee, period), [0, 0, None, 0, 0, 0, 0])):
                        if v is not None:  # a plan of nobody stays None, as on the screen
                            summed[i] = (summed[i] or 0) + v
                assert _as_list(group.cells[period]) == summed, (month, group.department.name, period)
            assert group.total.calls == sum(group.cells[p].calls for p in view.periods)
        assert view.total.calls == sum(view.totals[p].calls for p in view.periods)
    assert ids
