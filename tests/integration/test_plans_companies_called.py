"""The distinct companies called per day, month and year are kept by triggers (plans.companies_called): whatever
writes the companies per day (a full rebuild, a sync's recompute of some days) or the calendar (a year filled, a day
toggled), the kept counts equal a count from scratch, and the plans views read them."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import text

from crm.features.calendar.models import CalendarDay
from crm.features.calendar.services import ensure_year
from crm.features.clients import figures
from crm.features.clients.models import Call
from crm.features.clients.store import Touched
from crm.features.plans.companies_called import REBUILD
from crm.features.plans.scope import Selection, Visible
from crm.features.plans.stats import build_view
from crm.lib.i18n import local_tz
from tests.integration.test_plans_stats import org

YEAR = 2025
KEPT = ("manager_period_companies", "manager_companies_called")


async def kept(db: Any) -> dict[str, set[tuple[Any, ...]]]:
    out = {}
    for table in KEPT:
        out[table] = {tuple(r) for r in (await db.execute(text(f"SELECT * FROM {table}"))).all()}  # noqa: S608
    return out


async def assert_kept_equals_a_rebuild(db: Any) -> dict[str, set[tuple[Any, ...]]]:
    before = await kept(db)
    for statement in REBUILD:
        await db.execute(text(statement))
    after = await kept(db)
    for table in KEPT:
        assert before[table] == after[table], (table, before[table] ^ after[table])
    return after


def random_calls(rng: random.Random, first_id: int, n: int) -> list[Call]:
    """Calls of four managers to a dozen companies over three months that cross a year's end, some too short,
    some incoming, some at night (another local day than in UTC)."""
    calls = []
    start = date(YEAR, 11, 20)
    for i in range(n):
        day = start + timedelta(days=rng.randrange(75))
        at = datetime.combine(day, time(rng.choice([0, 1, 10, 23]), rng.randrange(60)), local_tz())
        calls.append(
            Call(
                id=first_id + i,
                user_id=rng.choice([20, 21, 22, 31]),
                company_id=rng.choice([None, *range(500, 512)]),
                duration=rng.choice([5, 19, 20, 60, 300]),
                call_type=rng.choice([1, 1, 1, 2]),
                start_at=at,
            )
        )
    return calls


async def test_the_kept_counts_equal_a_count_from_scratch_after_rebuilds_recomputes_and_calendar_edits(
    client, db
) -> None:
    await org(db)
    await ensure_year(db, YEAR + 1)
    rng = random.Random(2026)
    db.add_all(random_calls(rng, 1, 400))
    await db.flush()
    await figures.rebuild(db)
    counts = await assert_kept_equals_a_rebuild(db)
    assert len(counts["manager_companies_called"]) > 50

    for round_ in range(5):  # a sync: some calls change, come and go; their days are recomputed
        touched = Touched()
        calls = (await db.execute(text("SELECT id FROM calls WHERE active"))).scalars().all()
        for call_id in rng.sample(list(calls), 30):
            call = await db.get(Call, call_id)
            touched.manager_days.add((call.user_id, call.start_at.astimezone(local_tz()).date()))
            if rng.random() < 0.5:
                call.active = False
            else:
                call.company_id = rng.choice([None, *range(500, 512)])
        for call in random_calls(rng, 1000 + 100 * round_, 20):
            db.add(call)
            touched.manager_days.add((call.user_id, call.start_at.astimezone(local_tz()).date()))
        await db.flush()
        await figures.recompute(db, touched)
        await assert_kept_equals_a_rebuild(db)

    # the calendar: a working day made a day off and back, a day off made a working day, a year's days removed
    # and filled again
    for day in (date(YEAR, 12, 1), date(YEAR, 12, 6), date(YEAR + 1, 1, 5), date(YEAR, 12, 1)):
        row = await db.get(CalendarDay, day)
        row.is_working = not row.is_working
        await db.flush()
        await assert_kept_equals_a_rebuild(db)
    await db.execute(text("DELETE FROM calendar_days WHERE day >= :d").bindparams(d=date(YEAR + 1, 1, 1)))
    await assert_kept_equals_a_rebuild(db)
    await ensure_year(db, YEAR + 1)
    await db.flush()
    await assert_kept_equals_a_rebuild(db)
    await figures.rebuild(db)
    await assert_kept_equals_a_rebuild(db)


async def test_a_day_made_a_day_off_drops_its_companies_from_the_month_and_the_year(client, db) -> None:
    await org(db)

    def call(call_id: int, company: int, day: date) -> Call:
        at = datetime.combine(day, time(10), local_tz())
        return Call(id=call_id, user_id=21, company_id=company, duration=60, call_type=1, start_at=at)

    db.add_all([call(1, 500, date(YEAR, 3, 3)), call(2, 501, date(YEAR, 3, 4)), call(3, 500, date(YEAR, 3, 4))])
    await db.flush()
    await figures.rebuild(db)
    await db.commit()

    async def anna(month: int | None) -> Any:
        view = await build_view(db, Visible(everything=True), Selection(), YEAR, month, date(YEAR + 1, 1, 1))
        return next(r for g in view.groups for r in g.rows if r.employee.id == 21)

    assert (await anna(3)).total.companies == 2 and (await anna(None)).total.companies == 2
    (await db.get(CalendarDay, date(YEAR, 3, 4))).is_working = False  # 501 was called only that day
    await db.commit()
    march, year = await anna(3), await anna(None)
    assert march.total.companies == 1 and year.total.companies == 1 and year.cells[3].companies == 1
    assert date(YEAR, 3, 4) not in march.cells and march.cells[date(YEAR, 3, 3)].companies == 1
