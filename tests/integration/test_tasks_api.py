"""Tasks and strategies API (spec strategies-tasks "Contracts"): the list contract and filters, row scope (others'
tasks are 404), validation, strategies with their first task, progress and ROI, comments with mentions."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from crm.features.org.models import Department
from crm.features.sales.models import ErpClient
from crm.features.tasks.models import Comment, Mention, Task
from crm.lib.i18n import local_today, local_tz
from tests.conftest import make_user
from tests.integration.test_plans_api import bearer


async def drain_queue() -> None:
    """A burst worker with every job the queue knows, the slices' own included (the shared fixture's list has
    only crm.workers.TASKS)."""
    from litestar.utils.module_loader import import_string
    from saq import Worker

    from crm.workers import QUEUE_NAME, _slice_jobs, saq_plugin
    from crm.workers.context import shutdown, startup
    from tests.conftest import job_functions

    functions = [*job_functions(), *(import_string(p) for p in _slice_jobs()[0])]
    queue = saq_plugin().get_queue(QUEUE_NAME)
    worker = Worker(
        queue,
        functions=functions,
        startup=[startup],
        shutdown=[shutdown],
        burst=True,
        dequeue_timeout=1,
        concurrency=2,
    )
    await worker.start()


async def team(db: Any) -> dict[str, Any]:
    """Sales (head) → Moscow (two managers); Piter (an outsider); an admin."""
    sales = Department(name="Sales")
    db.add(sales)
    await db.flush()
    moscow = Department(name="Moscow", parent_id=sales.id)
    piter = Department(name="Piter")
    db.add_all([moscow, piter])
    await db.flush()
    people = {
        "head": await make_user(db, "head@example.com", ["head"], name="Head", department_id=sales.id),
        "anna": await make_user(db, "anna@example.com", ["manager"], name="Anna", department_id=moscow.id),
        "boris": await make_user(db, "boris@example.com", ["manager"], name="Boris", department_id=moscow.id),
        "olga": await make_user(db, "olga@example.com", ["manager"], name="Olga", department_id=piter.id),
        "admin": await make_user(db, "admin@example.com", ["admin"], name="Admin"),
    }
    return people


def soon(days: int = 1, hour: int = 10) -> str:
    return datetime.combine(local_today() + timedelta(days=days), time(hour), tzinfo=local_tz()).isoformat()


async def new_task(client: Any, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    answer = await client.post("/api/v1/tasks", json={"title": "Call the client", **fields}, headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()


async def test_a_manager_creates_a_task_for_themselves_and_lists_it_with_the_list_contract(client, db) -> None:
    await team(db)
    anna = await bearer(client, "anna@example.com")
    made = await new_task(client, anna, due_at=soon(), priority="high", address="Тверская, 1", lat=55.76, lon=37.61)
    assert made["status"] == "todo" and made["priority"] == "high" and made["series_id"] is None
    listed = (await client.get("/api/v1/tasks?page_size=10", headers=anna)).json()
    assert listed["total"] == 1 and listed["page"] == 1 and listed["page_size"] == 10
    assert listed["rows"][0]["id"] == made["id"] and listed["rows"][0]["address"] == "Тверская, 1"


async def test_the_filters_narrow_the_list(client, db) -> None:
    people = await team(db)
    anna = await bearer(client, "anna@example.com")
    past = (datetime.now(UTC) - timedelta(days=2)).isoformat()
    late = await new_task(client, anna, title="Late", due_at=past)
    await new_task(client, anna, title="Done late", due_at=past, status="done")
    high = await new_task(client, anna, title="High", due_at=soon(3), priority="high")
    await new_task(client, anna, title="Far", due_at=soon(40))

    async def ids(query: str) -> set[int]:
        answer = await client.get(f"/api/v1/tasks?{query}", headers=anna)
        assert answer.status_code == 200, answer.text
        return {r["id"] for r in answer.json()["rows"]}

    assert await ids("overdue=true") == {late["id"]}
    assert await ids("priority=high") == {high["id"]}
    day = (local_today() + timedelta(days=3)).isoformat()
    assert await ids(f"due_from={day}&due_to={day}") == {high["id"]}
    assert len(await ids("status=todo,in_progress")) == 3
    assert len(await ids(f"assignee_id={people['anna'].id}")) == 4
    assert len(await ids(f"assignee_id={people['boris'].id}")) == 0
    sorted_rows = (await client.get("/api/v1/tasks?sort=-due_at", headers=anna)).json()["rows"]
    assert sorted_rows[0]["title"] == "Far"
    bad = await client.get("/api/v1/tasks?overdue=maybe&status=open&due_from=tomorrow", headers=anna)
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"overdue", "status", "due_from"}


async def test_others_tasks_are_404_for_a_manager_and_visible_to_their_head_and_an_admin(client, db) -> None:
    await team(db)
    boris = await bearer(client, "boris@example.com")
    task = await new_task(client, boris, due_at=soon())
    anna = await bearer(client, "anna@example.com")
    for method, body in (("get", None), ("patch", {"title": "Mine now"}), ("delete", None)):
        answer = await client.request(method.upper(), f"/api/v1/tasks/{task['id']}", json=body, headers=anna)
        assert answer.status_code == 404, (method, answer.text)
    assert (await client.get("/api/v1/tasks", headers=anna)).json()["total"] == 0
    for who in ("head@example.com", "admin@example.com"):
        headers = await bearer(client, who)
        assert (await client.get(f"/api/v1/tasks/{task['id']}", headers=headers)).status_code == 200
    olga = await bearer(client, "olga@example.com")
    assert (await client.get(f"/api/v1/tasks/{task['id']}", headers=olga)).status_code == 404


async def test_a_task_created_for_someone_stays_visible_to_its_creator(client, db) -> None:
    people = await team(db)
    head = await bearer(client, "head@example.com")
    task = await new_task(client, head, assignee_id=str(people["anna"].id), due_at=soon())
    anna = await bearer(client, "anna@example.com")
    assert (await client.get(f"/api/v1/tasks/{task['id']}", headers=anna)).status_code == 200
    assert (await client.patch(f"/api/v1/tasks/{task['id']}", json={"status": "in_progress"}, headers=anna)).json()[
        "status"
    ] == "in_progress"


async def test_a_manager_cannot_give_a_task_to_someone_outside_their_scope(client, db) -> None:
    people = await team(db)
    anna = await bearer(client, "anna@example.com")
    answer = await client.post(
        "/api/v1/tasks", json={"title": "x", "assignee_id": str(people["olga"].id)}, headers=anna
    )
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "assignee_id"


async def test_bad_fields_are_422_naming_each_field_and_nothing_is_saved(client, db) -> None:
    await team(db)
    anna = await bearer(client, "anna@example.com")
    answer = await client.post(
        "/api/v1/tasks",
        json={
            "title": "",
            "priority": "urgent",
            "due_at": "tomorrow",
            "lat": 91,
            "client_id": 10**6,
            "recurrence": {"freq": "hourly"},
            "colour": "red",
        },
        headers=anna,
    )
    assert answer.status_code == 422
    fields = {e["field"] for e in answer.json()["errors"]}
    assert {"title", "priority", "due_at", "lat", "recurrence.freq", "colour"} <= fields
    assert (await db.scalars(select(Task))).all() == []
    missing_client = await client.post("/api/v1/tasks", json={"title": "x", "client_id": 999}, headers=anna)
    assert missing_client.status_code == 422 and missing_client.json()["errors"][0]["field"] == "client_id"
    recurring_without_due = await client.post(
        "/api/v1/tasks", json={"title": "x", "recurrence": {"freq": "daily"}}, headers=anna
    )
    assert recurring_without_due.status_code == 422


async def test_a_status_change_appears_in_the_thread_as_a_system_entry(client, db) -> None:
    await team(db)
    anna = await bearer(client, "anna@example.com")
    task = await new_task(client, anna, due_at=soon())
    await client.patch(f"/api/v1/tasks/{task['id']}", json={"status": "in_progress"}, headers=anna)
    await client.post(f"/api/v1/tasks/{task['id']}/comments", json={"text": "On my way"}, headers=anna)
    thread = (await client.get(f"/api/v1/tasks/{task['id']}/comments", headers=anna)).json()["rows"]
    assert [(c["kind"], c["text"]) for c in thread] == [("status", "todo>in_progress"), ("comment", "On my way")]


async def test_a_mention_alerts_the_person_and_mails_them_through_the_worker(client, db, mailbox) -> None:
    await team(db)
    anna = await bearer(client, "anna@example.com")
    task = await new_task(client, anna, due_at=soon())
    answer = await client.post(
        f"/api/v1/tasks/{task['id']}/comments", json={"text": "Please look @head@example.com."}, headers=anna
    )
    assert answer.status_code == 201, answer.text
    mention = (await db.scalars(select(Mention))).one()
    assert mention.read_at is None
    from crm.features.tasks.alerts import alerts

    head = await db.scalar(select(type(mention).__table__.c.user_id))
    from crm.features.accounts.models import User

    head_user = await db.get(User, head)
    kinds = [a.kind for a in await alerts(db, head_user)]
    assert "mention" in kinds
    await drain_queue()
    assert len(mailbox) == 1 and mailbox[0]["To"] == "head@example.com"
    await drain_queue()  # running again sends nothing more
    assert len(mailbox) == 1
    refused = await client.post(
        f"/api/v1/tasks/{task['id']}/comments", json={"text": "hey @olga@example.com"}, headers=anna
    )
    assert refused.status_code == 422 and "olga@example.com" in refused.json()["errors"][0]["message"]
    assert len((await db.scalars(select(Comment).where(Comment.kind == "comment"))).all()) == 1


async def test_a_new_strategy_gets_the_proposed_first_task_and_reports_progress_and_roi(client, db) -> None:
    people = await team(db)
    db.add(ErpClient(id=7, name="ООО Ромашка", name_key="ооо ромашка"))
    await db.commit()
    head = await bearer(client, "head@example.com")
    answer = await client.post(
        "/api/v1/strategies",
        json={"name": "Win back Romashka", "client_ids": [7], "cost": "1000", "actual_result": 2500},
        headers=head,
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["tasks_total"] == 1 and body["tasks_done"] == 0 and body["roi"] == 1.5
    assert body["client_ids"] == [7] and body["owner_id"] == str(people["head"].id)
    first = (await client.get(f"/api/v1/tasks/{body['first_task_id']}", headers=head)).json()
    assert first["title"] == "Win back Romashka" and first["assignee_id"] == str(people["head"].id)
    assert datetime.fromisoformat(first["due_at"]).astimezone(local_tz()).date() == local_today() + timedelta(days=7)
    assert first["strategy_id"] == body["id"] and first["client_id"] == 7
    await client.patch(f"/api/v1/tasks/{first['id']}", json={"status": "done"}, headers=head)
    again = (await client.get(f"/api/v1/strategies/{body['id']}", headers=head)).json()
    assert (again["tasks_total"], again["tasks_done"]) == (1, 1)


async def test_a_strategy_may_carry_its_first_task_and_managers_only_see_strategies_with_their_tasks(
    client, db
) -> None:
    people = await team(db)
    head = await bearer(client, "head@example.com")
    due = soon(3)
    body = (
        await client.post(
            "/api/v1/strategies",
            json={
                "name": "Exhibition",
                "first_task": {"title": "Book the stand", "assignee_id": str(people["anna"].id), "due_at": due},
            },
            headers=head,
        )
    ).json()
    first = (await client.get(f"/api/v1/tasks/{body['first_task_id']}", headers=head)).json()
    assert first["title"] == "Book the stand" and first["assignee_id"] == str(people["anna"].id)
    anna = await bearer(client, "anna@example.com")
    boris = await bearer(client, "boris@example.com")
    assert (await client.get(f"/api/v1/strategies/{body['id']}", headers=anna)).status_code == 200
    assert (await client.get(f"/api/v1/strategies/{body['id']}", headers=boris)).status_code == 404
    assert (await client.get("/api/v1/strategies", headers=boris)).json()["total"] == 0
    assert (await client.post("/api/v1/strategies", json={"name": "Mine"}, headers=anna)).status_code == 403
    assert (await client.patch(f"/api/v1/strategies/{body['id']}", json={"name": "x"}, headers=anna)).status_code == 403
    bad = await client.post(
        "/api/v1/strategies",
        json={"name": "", "state": "dreaming", "starts_on": "2027-05-01", "ends_on": "2027-04-01", "cost": "lots"},
        headers=head,
    )
    assert bad.status_code == 422
    assert {"name", "state", "ends_on", "cost"} <= {e["field"] for e in bad.json()["errors"]}
    changed = await client.patch(
        f"/api/v1/strategies/{body['id']}", json={"state": "in_progress", "cost": 0}, headers=head
    )
    assert changed.status_code == 200 and changed.json()["state"] == "in_progress" and changed.json()["roi"] is None
