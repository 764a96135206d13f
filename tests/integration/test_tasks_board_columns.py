"""The board's columns at scale: the first tasks of a status in due order within the person's scope (no due date
last, ties by id; closed columns latest first), counted up to a cap, read through the covering index."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from crm.features.tasks import board, services
from crm.features.tasks.models import Task
from tests.conftest import login
from tests.integration.test_tasks_api import team

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


async def _tasks(db, people) -> dict[str, int]:  # type: ignore[no-untyped-def]
    anna, boris, olga, head = people["anna"], people["boris"], people["olga"], people["head"]
    rows = {
        "a3": Task(title="a3", assignee_id=anna.id, creator_id=anna.id, due_at=T0 + timedelta(days=3)),
        "b1": Task(title="b1", assignee_id=boris.id, creator_id=boris.id, due_at=T0 + timedelta(days=1)),
        "a1": Task(title="a1", assignee_id=anna.id, creator_id=anna.id, due_at=T0 + timedelta(days=1)),  # tie: id
        "none": Task(title="none", assignee_id=anna.id, creator_id=anna.id, due_at=None),
        "o0": Task(title="o0", assignee_id=olga.id, creator_id=olga.id, due_at=T0),  # not the head's team
        "mine": Task(title="mine", assignee_id=olga.id, creator_id=head.id, due_at=T0 + timedelta(days=2)),
        "d1": Task(title="d1", assignee_id=anna.id, creator_id=anna.id, status="done", due_at=T0),
        "d2": Task(title="d2", assignee_id=boris.id, creator_id=boris.id, status="done", due_at=T0 + timedelta(days=5)),
    }
    db.add_all(rows.values())
    await db.commit()
    return {k: t.id for k, t in rows.items()}


async def test_a_column_is_the_first_tasks_in_due_order_within_the_scope(client, db) -> None:
    people = await team(db)
    await _tasks(db, people)
    stmt = await services.task_query(db, people["head"], services.TaskFilters())
    titles = [t.title for t in await board.column_tasks(db, stmt, "todo", closed=False, limit=10)]
    assert titles == ["b1", "a1", "mine", "a3", "none"]  # b1 was created first; no due date last; not Olga's own
    assert [t.title for t in await board.column_tasks(db, stmt, "todo", closed=False, limit=2)] == ["b1", "a1"]
    assert [t.title for t in await board.column_tasks(db, stmt, "done", closed=True, limit=10)] == ["d2", "d1"]
    assert await board.capped_count(db, stmt, "todo", 3) == 4  # "3+" on the board
    assert await board.capped_count(db, stmt, "todo", 100) == 5

    anna = await services.task_query(db, people["anna"], services.TaskFilters())
    assert await board.capped_count(db, anna, "todo", 1) == 2  # her own
    assert await board.capped_count(db, anna, "todo", 100) == 3
    admin = await services.task_query(db, people["admin"], services.TaskFilters())
    assert await board.capped_count(db, admin, "todo", 100) == 6
    everything = [t.title for t in await board.column_tasks(db, admin, "todo", False, 10)]
    assert everything == ["o0", "b1", "a1", "mine", "a3", "none"]

    await login(client, "head@example.com")
    page = (await client.get("/tasks")).text
    column = page[page.index('id="col-todo"') : page.index('id="col-in_progress"')]
    shown = [t for t in re.findall(r">(a1|a3|b1|none|mine|o0)<", column)]
    assert shown == ["b1", "a1", "mine", "a3", "none"]


async def test_the_column_is_walked_from_the_covering_index(db) -> None:
    people = await team(db)
    await _tasks(db, people)
    stmt = await services.task_query(db, people["head"], services.TaskFilters())
    ids = board._ids(stmt, "todo", closed=False, limit=100)
    sql = str(ids.compile(compile_kwargs={"literal_binds": True}))
    for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
        await db.execute(text(f"SET LOCAL {setting} = off"))
    plan = "\n".join(r[0] for r in await db.execute(text("EXPLAIN " + sql)))
    assert "Index Only Scan using ix_tasks_status_due_cover" in plan and "Sort" not in plan, plan
    # a query that does not name the status (the calendar, the list) cannot use it, even told to avoid the rest
    month = stmt.where(Task.due_at >= T0, Task.due_at < T0 + timedelta(days=31)).with_only_columns(Task.id)
    sql = str(month.compile(compile_kwargs={"literal_binds": True}))
    plan = "\n".join(r[0] for r in await db.execute(text("EXPLAIN " + sql)))
    assert "ix_tasks_status_due_cover" not in plan, plan
    await db.rollback()
