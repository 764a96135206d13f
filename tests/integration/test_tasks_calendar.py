"""The task calendar at scale: a day draws its first tasks in due order (ties by id) and says how many more it has,
with a link to that day in the list; the counts follow the person's scope and the view's filters; a period is
read through the covering due-time index."""

from __future__ import annotations

import contextlib
import re
from datetime import date, datetime, time, timedelta
from typing import Any
from unittest.mock import patch

from sqlalchemy import text

from crm.features.tasks import calendar_page, services
from crm.features.tasks.models import Task
from crm.lib.i18n import local_tz
from tests.conftest import login
from tests.integration.test_tasks_api import team

DAY = date(2026, 3, 11)  # a Wednesday


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=local_tz())


def chips(page: str, day: date) -> list[str]:
    cell = page[page.index(f'role="gridcell" data-day="{day.isoformat()}"') :]
    cell = cell[: cell.index('role="gridcell"', 10)] if 'role="gridcell"' in cell[10:] else cell
    return re.findall(r'class="tk-chip-task[^"]*"[^>]*><span class="tk-time">[^<]*</span> (?:[✓⚠] )?([^<]+)</a>', cell)


async def _busy_day(db, people) -> None:  # type: ignore[no-untyped-def]
    anna, boris, olga = people["anna"], people["boris"], people["olga"]
    for i in range(30):  # 30 of Anna's on one day, the later ones first by id: the order is the due time's
        db.add(Task(title=f"a{29 - i:02d}", assignee_id=anna.id, creator_id=anna.id, due_at=at(DAY, 8, 29 - i)))
    db.add(Task(title="tie-1", assignee_id=boris.id, creator_id=boris.id, due_at=at(DAY, 8, 0)))  # ties a00: by id
    db.add(Task(title="early", assignee_id=boris.id, creator_id=boris.id, due_at=at(DAY, 7), priority="high"))
    db.add(Task(title="olga", assignee_id=olga.id, creator_id=olga.id, due_at=at(DAY, 6)))  # not the head's team
    db.add(Task(title="next day", assignee_id=anna.id, creator_id=anna.id, due_at=at(DAY + timedelta(days=1), 9)))
    db.add(Task(title="late evening", assignee_id=anna.id, creator_id=anna.id, due_at=at(DAY, 23, 59)))
    await db.commit()


async def test_a_busy_day_draws_its_first_tasks_and_links_the_rest_to_the_list(client, db) -> None:
    people = await team(db)
    await _busy_day(db, people)
    await login(client, "head@example.com")
    month = await client.get(f"/tasks/calendar?on={DAY.isoformat()}")
    assert month.status_code == 200
    # the head's team: Anna's 31 that day and Boris's 2 (Olga is not in the subtree); four drawn, in due order
    assert chips(month.text, DAY) == ["early", "a00", "tie-1", "a01"]
    assert "and 29 more" in month.text and ">olga</a>" not in month.text
    link = f"/tasks/list?due_from={DAY.isoformat()}&amp;due_to={DAY.isoformat()}"
    assert link in month.text
    assert chips(month.text, DAY + timedelta(days=1)) == ["next day"]  # a quiet day: no "more"
    listed = await client.get(link.replace("&amp;", "&"))
    assert listed.status_code == 200 and "a29" in listed.text and "next day" not in listed.text
    week = await client.get(f"/tasks/calendar?mode=week&on={DAY.isoformat()}")
    assert len(chips(week.text, DAY)) == calendar_page.CHIPS["week"] and "and 18 more" in week.text


async def test_the_counts_follow_the_scope_and_the_filters_and_the_link_keeps_them(client, db) -> None:
    people = await team(db)
    await _busy_day(db, people)
    await login(client, "boris@example.com")
    mine = await client.get(f"/tasks/calendar?on={DAY.isoformat()}")
    assert chips(mine.text, DAY) == ["early", "tie-1"] and "more</a>" not in mine.text
    await login(client, "admin@example.com")
    everyone = await client.get(f"/tasks/calendar?on={DAY.isoformat()}")
    assert chips(everyone.text, DAY) == ["olga", "early", "a00", "tie-1"] and "and 30 more" in everyone.text
    high = await client.get(f"/tasks/calendar?on={DAY.isoformat()}&priority=high&due_from=2026-03-01")
    assert chips(high.text, DAY) == ["early"] and "more</a>" not in high.text
    anna = await client.get(f"/tasks/calendar?on={DAY.isoformat()}&q=a2")
    assert chips(anna.text, DAY) == ["a20", "a21", "a22", "a23"] and "and 6 more" in anna.text
    assert f"/tasks/list?q=a2&amp;due_from={DAY.isoformat()}&amp;due_to={DAY.isoformat()}" in anna.text


async def test_a_period_is_read_from_the_covering_due_time_index(db) -> None:
    people = await team(db)
    await _busy_day(db, people)
    stmt = await services.task_query(db, people["head"], services.TaskFilters())
    by_day, counts = await calendar_page.day_tasks(db, stmt, DAY, DAY + timedelta(days=6), 4)
    assert counts[DAY] == 33 and counts[DAY + timedelta(days=1)] == 1 and counts[DAY + timedelta(days=2)] == 0
    assert [t.title for t in by_day[DAY]] == ["early", "a00", "tie-1", "a01"]
    sql, values = await _statement(db, stmt)
    for setting in ("enable_seqscan", "enable_bitmapscan"):  # the planner's choice at scale, on a few rows
        await db.execute(text(f"SET LOCAL {setting} = off"))
    raw = (await (await db.connection()).get_raw_connection()).driver_connection
    plan = "\n".join(r[0] for r in await raw.fetch("EXPLAIN " + sql, *values))
    assert "Index Only Scan using ix_tasks_due_cover" in plan and "Seq Scan" not in plan, plan
    await db.rollback()


async def _statement(db, stmt) -> tuple[str, list[Any]]:  # type: ignore[no-untyped-def]
    """The calendar's statement for a week of ``stmt`` as ``day_tasks`` sends it: SQL and values."""
    sent: list[Any] = []

    class Sent(Exception):
        pass

    async def execute(statement, *_args, **_kwargs):  # type: ignore[no-untyped-def]
        sent.append(statement)
        raise Sent

    with patch.object(db, "execute", execute), contextlib.suppress(Sent):
        await calendar_page.day_tasks(db, stmt, DAY, DAY + timedelta(days=6), 4)
    compiled = sent[0].compile(dialect=db.bind.dialect, compile_kwargs={"render_postcompile": True})
    return str(compiled), [compiled.params[name] for name in compiled.positiontup]
