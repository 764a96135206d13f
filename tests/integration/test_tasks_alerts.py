"""Alerts of tasks (spec: overdue tasks to the assignee and their head; strategies planned or in progress without
an open task to the owner; unread mentions)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crm.features.tasks.alerts import alerts
from crm.features.tasks.models import Strategy, Task
from crm.lib import i18n
from tests.integration.test_tasks_api import team


@pytest.fixture(autouse=True)
def english():
    token = i18n.set_locale("en")
    yield
    i18n._current.reset(token)


async def test_an_overdue_task_alerts_its_assignee_and_their_head_but_nobody_else(client, db) -> None:
    people = await team(db)
    anna = people["anna"]
    db.add_all(
        [
            Task(
                title="Late call", assignee_id=anna.id, creator_id=anna.id, due_at=datetime.now(UTC) - timedelta(days=1)
            ),
            Task(
                title="Future call",
                assignee_id=anna.id,
                creator_id=anna.id,
                due_at=datetime.now(UTC) + timedelta(days=1),
            ),
            Task(
                title="Late but done", assignee_id=anna.id, status="done", due_at=datetime.now(UTC) - timedelta(days=1)
            ),
        ]
    )
    await db.commit()
    mine = [a for a in await alerts(db, anna) if a.kind == "task_overdue"]
    assert [a.message for a in mine] == ["Overdue: Late call"] and mine[0].link.startswith("/tasks/")
    head = [a for a in await alerts(db, people["head"]) if a.kind == "task_overdue"]
    assert len(head) == 1 and "1 overdue task in your team" in head[0].message
    assert [a for a in await alerts(db, people["olga"]) if a.kind == "task_overdue"] == []
    assert [a for a in await alerts(db, people["boris"]) if a.kind == "task_overdue"] == []


async def test_a_strategy_without_an_open_task_alerts_its_owner_until_it_gets_one_or_is_paused(client, db) -> None:
    people = await team(db)
    head = people["head"]
    idle = Strategy(name="Idle", owner_id=head.id, state="in_progress")
    busy = Strategy(name="Busy", owner_id=head.id, state="planned")
    paused = Strategy(name="Paused", owner_id=head.id, state="paused")
    db.add_all([idle, busy, paused])
    await db.flush()
    db.add_all(
        [
            Task(title="open", strategy_id=busy.id, assignee_id=head.id),
            Task(title="closed", strategy_id=idle.id, assignee_id=head.id, status="done"),
        ]
    )
    await db.commit()
    found = [a for a in await alerts(db, head) if a.kind == "strategy_without_tasks"]
    assert [a.message for a in found] == ["Strategy without open tasks: Idle"]
    assert [a for a in await alerts(db, people["anna"]) if a.kind == "strategy_without_tasks"] == []
