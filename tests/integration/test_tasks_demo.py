"""Demo data of tasks: strategies and tasks for the demo people, visits today in Moscow; loading twice adds nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from crm.features.tasks.models import Strategy, Task


async def test_the_demo_has_strategies_tasks_and_todays_visits_and_loads_once(client, db) -> None:
    from crm.demo import load_demo

    await load_demo(db)
    await db.commit()
    tasks = await db.scalar(select(func.count()).select_from(Task))
    assert tasks >= 40
    assert await db.scalar(select(func.count()).select_from(Strategy)) == 3
    assert await db.scalar(select(func.count()).select_from(Task).where(Task.series_id.is_not(None))) == 3
    assert await db.scalar(select(func.count()).select_from(Task).where(Task.lat.is_not(None))) == 5
    await load_demo(db)
    await db.commit()
    assert await db.scalar(select(func.count()).select_from(Task)) == tasks
