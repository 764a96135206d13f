"""Recurring tasks (spec "Recurrence rule"): closing an occurrence makes the worker create the next one, copying
its title, assignee, links and time of day, exactly once however often it is asked, and never past count/until."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from crm.features.tasks import series
from crm.features.tasks.models import Task
from crm.lib.db import alchemy_config
from crm.lib.i18n import local_tz
from tests.integration.test_plans_api import bearer
from tests.integration.test_tasks_api import drain_queue, new_task, team


def local(day: date, hour: int = 9, minute: int = 30) -> str:
    return datetime.combine(day, time(hour, minute), tzinfo=local_tz()).isoformat()


async def occurrences(db, series_id: int) -> list[Task]:
    db.expire_all()
    return list((await db.scalars(select(Task).where(Task.series_id == series_id).order_by(Task.occurrence))).all())


async def test_done_makes_the_worker_create_the_next_occurrence_with_the_same_links_and_time(client, db) -> None:
    await team(db)
    anna = await bearer(client, "anna@example.com")
    first = await new_task(
        client,
        anna,
        title="Weekly visit",
        due_at=local(date(2027, 3, 1)),  # a Monday
        priority="high",
        address="Арбат, 10",
        lat=55.75,
        lon=37.59,
        recurrence={"freq": "weekly", "weekdays": [0, 3]},
    )
    assert (first["series_id"], first["occurrence"]) == (first["id"], 1)
    answer = await client.patch(f"/api/v1/tasks/{first['id']}", json={"status": "done"}, headers=anna)
    assert answer.status_code == 200
    await drain_queue()
    rows = await occurrences(db, first["id"])
    assert [r.occurrence for r in rows] == [1, 2]
    nxt = rows[1]
    assert nxt.due_at.astimezone(local_tz()) == datetime(2027, 3, 4, 9, 30, tzinfo=local_tz())  # Thursday
    assert (nxt.title, nxt.priority, nxt.address, nxt.status) == ("Weekly visit", "high", "Арбат, 10", "todo")
    assert nxt.assignee_id == rows[0].assignee_id and nxt.recurrence == rows[0].recurrence


async def test_two_concurrent_completions_and_a_job_run_twice_make_one_next_occurrence(client, db) -> None:
    await team(db)
    anna = await bearer(client, "anna@example.com")
    first = await new_task(client, anna, due_at=local(date(2027, 3, 1)), recurrence={"freq": "daily"})
    url = f"/api/v1/tasks/{first['id']}"
    answers = await asyncio.gather(
        client.patch(url, json={"status": "done"}, headers=anna),
        client.patch(url, json={"status": "cancelled"}, headers=anna),
    )
    assert {a.status_code for a in answers} == {200}
    await drain_queue()
    config = alchemy_config()

    async def once() -> int | None:
        async with config.get_session() as session:
            made = await series.create_next(session, first["id"])
            await session.commit()
            return made

    assert await asyncio.gather(once(), once(), once()) == [None, None, None]  # exists already
    await drain_queue()
    rows = await occurrences(db, first["id"])
    assert [r.occurrence for r in rows] == [1, 2]


async def test_concurrent_jobs_on_a_fresh_completion_insert_exactly_one_row(client, db) -> None:
    await team(db)
    anna = await bearer(client, "anna@example.com")
    first = await new_task(client, anna, due_at=local(date(2027, 3, 1)), recurrence={"freq": "daily"})
    await db.execute(Task.__table__.update().where(Task.id == first["id"]).values(status="done"))
    await db.commit()
    config = alchemy_config()

    async def once() -> int | None:
        async with config.get_session() as session:
            made = await series.create_next(session, first["id"])
            await session.commit()
            return made

    made = await asyncio.gather(*(once() for _ in range(4)))
    assert len([m for m in made if m]) == 1
    assert len(await occurrences(db, first["id"])) == 2


async def test_a_series_stops_at_its_count_and_at_its_until_date(client, db) -> None:
    await team(db)
    anna = await bearer(client, "anna@example.com")
    counted = await new_task(client, anna, due_at=local(date(2027, 3, 1)), recurrence={"freq": "daily", "count": 2})
    await client.patch(f"/api/v1/tasks/{counted['id']}", json={"status": "done"}, headers=anna)
    await drain_queue()
    second = (await occurrences(db, counted["id"]))[1]
    await client.patch(f"/api/v1/tasks/{second.id}", json={"status": "done"}, headers=anna)
    await drain_queue()
    assert len(await occurrences(db, counted["id"])) == 2
    until = await new_task(
        client, anna, due_at=local(date(2027, 3, 1)), recurrence={"freq": "daily", "interval": 3, "until": "2027-03-03"}
    )
    await client.patch(f"/api/v1/tasks/{until['id']}", json={"status": "done"}, headers=anna)
    await drain_queue()
    assert len(await occurrences(db, until["id"])) == 1


async def test_days_off_of_the_working_day_calendar_are_skipped(client, db) -> None:
    await team(db)
    anna = await bearer(client, "anna@example.com")
    # 2027-01-01..08 are the New Year holidays in the Russian production calendar; 2026-12-31 is a Thursday
    first = await new_task(
        client, anna, due_at=local(date(2026, 12, 31)), recurrence={"freq": "daily", "skip_days_off": True}
    )
    await client.patch(f"/api/v1/tasks/{first['id']}", json={"status": "done"}, headers=anna)
    await drain_queue()
    nxt = (await occurrences(db, first["id"]))[1]
    assert nxt.due_at.astimezone(local_tz()).date() == date(2027, 1, 11)


async def test_the_sweep_creates_a_next_occurrence_the_queue_missed(client, db) -> None:
    await team(db)
    anna = await bearer(client, "anna@example.com")
    first = await new_task(client, anna, due_at=local(date(2027, 3, 1)), recurrence={"freq": "monthly"})
    await db.execute(
        Task.__table__.update().where(Task.id == first["id"]).values(status="done", completed_at=datetime.now(UTC))
    )
    await db.commit()
    assert await series.missing_next(db, datetime.now(UTC) - timedelta(days=1)) == [first["id"]]
    from crm.features.tasks.jobs import tasks_sweep_series

    ctx = {"db": alchemy_config()}
    assert await tasks_sweep_series(ctx) == "created 1"
    assert await tasks_sweep_series(ctx) == "created 0"
    rows = await occurrences(db, first["id"])
    assert rows[1].due_at.astimezone(local_tz()).date() == date(2027, 4, 1)


async def test_with_after_due_the_next_occurrence_comes_when_the_date_passes_even_if_not_done(client, db) -> None:
    await team(db)
    anna = await bearer(client, "anna@example.com")
    yesterday = datetime.now(UTC) - timedelta(hours=22)  # the next one is due in two hours: not past yet
    first = await new_task(client, anna, due_at=yesterday.isoformat(), recurrence={"freq": "daily", "after_due": True})
    plain = await new_task(client, anna, due_at=yesterday.isoformat(), recurrence={"freq": "daily"})
    assert first["recurrence"]["after_due"] is True
    from crm.features.tasks.jobs import tasks_sweep_series

    ctx = {"db": alchemy_config()}
    assert await tasks_sweep_series(ctx) == "created 1"
    assert await tasks_sweep_series(ctx) == "created 0"
    rows = await occurrences(db, first["id"])
    assert [r.status for r in rows] == ["todo", "todo"]
    assert len(await occurrences(db, plain["id"])) == 1  # without the setting it waits for done
    await client.patch(f"/api/v1/tasks/{first['id']}", json={"status": "done"}, headers=anna)
    await drain_queue()
    assert len(await occurrences(db, first["id"])) == 2
