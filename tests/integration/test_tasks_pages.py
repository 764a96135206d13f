"""Task and strategy screens: the board, calendar and list with filters and exports, the forms (prefilled from the
entry points, errors next to fields), the strategy page (progress, impact, ROI), my day and the visit; scope 404."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from types import SimpleNamespace

from sqlalchemy import select

from crm.features.goals.models import Goal
from crm.features.sales.models import ClientMonthSales, ErpClient
from crm.features.tasks.models import Strategy, Task, Visit
from crm.lib.i18n import local_today, local_tz
from tests.conftest import login, post_form
from tests.integration.test_tasks_api import team


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=local_tz())


async def seed(db, people) -> dict[str, SimpleNamespace]:
    today = local_today()
    anna, boris = people["anna"], people["boris"]
    rows = {
        # due late today: still ahead whenever the suite runs (at 15:00 it was overdue for afternoon runs)
        "call": Task(title="Call Romashka", assignee_id=anna.id, creator_id=anna.id, due_at=at(today, 23, 59)),
        "visit": Task(
            title="Visit Lyutik",
            assignee_id=anna.id,
            creator_id=anna.id,
            due_at=at(today, 11),
            address="Тверская, 7",
            lat=55.7601,
            lon=37.6087,
        ),
        "late": Task(
            title="Send the offer", assignee_id=anna.id, creator_id=anna.id, due_at=at(today - timedelta(days=3), 10)
        ),
        "done": Task(title="Old call", assignee_id=anna.id, creator_id=anna.id, status="done", due_at=at(today, 9)),
        "boris": Task(title="Boris' secret", assignee_id=boris.id, creator_id=boris.id, due_at=at(today, 12)),
    }
    db.add_all(rows.values())
    await db.commit()
    return {k: SimpleNamespace(id=t.id, title=t.title) for k, t in rows.items()}


async def test_the_board_shows_my_tasks_by_status_and_never_another_managers(client, db) -> None:
    people = await team(db)
    rows = await seed(db, people)
    await login(client, "anna@example.com")
    page = await client.get("/tasks")
    assert page.status_code == 200
    for key in ("call", "visit", "late", "done"):
        assert rows[key].title in page.text
    assert "Boris&#39; secret" not in page.text and "Boris' secret" not in page.text
    assert "overdue" in page.text
    assert (await client.get(f"/tasks/{rows['boris'].id}")).status_code == 404
    filtered = await client.get("/tasks?overdue=true")
    assert "Send the offer" in filtered.text and "Call Romashka" not in filtered.text
    bad = await client.get("/tasks?due_from=soon")
    assert bad.status_code == 422


async def test_a_move_is_one_request_answering_json_with_the_previous_status_for_the_undo(client, db) -> None:
    people = await team(db)
    rows = await seed(db, people)
    await login(client, "anna@example.com")
    token = client.cookies.get("crm_csrf")
    answer = await client.post(
        f"/tasks/{rows['call'].id}/move",
        data={"status": "in_progress"},
        headers={"x-csrftoken": token, "Accept": "application/json"},
    )
    assert answer.status_code == 200 and answer.json()["previous"] == "todo"
    moved = await client.post(
        f"/tasks/{rows['boris'].id}/move",
        data={"status": "done"},
        headers={"x-csrftoken": token, "Accept": "application/json"},
    )
    assert moved.status_code == 404
    day = (local_today() + timedelta(days=2)).isoformat()
    again = await client.post(
        f"/tasks/{rows['call'].id}/reschedule",
        data={"day": day},
        headers={"x-csrftoken": token, "Accept": "application/json"},
    )
    assert again.status_code == 200
    db.expire_all()
    task = await db.get(Task, rows["call"].id)
    assert task.status == "in_progress" and task.due_at.astimezone(local_tz()).time() == time(23, 59)
    assert task.due_at.astimezone(local_tz()).date().isoformat() == day


async def test_the_calendar_shows_month_and_week_and_the_list_exports_exactly_the_filtered_rows(client, db) -> None:
    people = await team(db)
    await seed(db, people)
    await login(client, "anna@example.com")
    month = await client.get("/tasks/calendar")
    assert month.status_code == 200 and "Call Romashka" in month.text and "data-day=" in month.text
    week = await client.get(f"/tasks/calendar?mode=week&on={local_today().isoformat()}")
    assert week.status_code == 200 and "Visit Lyutik" in week.text
    listing = await client.get("/tasks/list?status=todo&sort=-due_at")
    assert listing.status_code == 200 and "Call Romashka" in listing.text and "Old call" not in listing.text
    csv = await client.get("/tasks/list?status=todo&format=csv")
    assert csv.status_code == 200
    lines = csv.content.decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 4  # header + 3 open tasks of Anna
    xlsx = await client.get("/tasks/list?overdue=true&format=xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


async def test_the_task_form_keeps_what_was_typed_on_an_error_and_creates_a_recurring_task(client, db) -> None:
    await team(db)
    db.add(ErpClient(id=5, name="ООО Лютик", name_key="ооо лютик"))
    await db.commit()
    await login(client, "anna@example.com")
    form = await client.get("/tasks?client_id=5")
    assert form.status_code == 200 and "ООО Лютик" in form.text
    prefilled = await client.get("/tasks/new?client_id=5")
    assert 'value="5"' in prefilled.text
    bad = await post_form(client, "/tasks/new", {"title": "", "description": "keep me", "due_at": "2027-13-01T10:00"})
    assert bad.status_code == 422 and "keep me" in bad.text and "Give the task a title." in bad.text
    good = await post_form(
        client,
        "/tasks/new",
        {
            "title": "Weekly call",
            "priority": "high",
            "due_at": "2027-03-01T10:30",
            "client_id": "5",
            "rec_freq": "weekly",
            "rec_interval": "1",
            "rec_weekdays": ["0", "2"],
        },
        follow_redirects=False,
    )
    assert good.status_code == 303, good.text
    task = (await db.scalars(select(Task).where(Task.title == "Weekly call"))).one()
    assert task.recurrence["weekdays"] == [0, 2] and task.series_id == task.id and task.client_id == 5
    assert task.due_at.astimezone(local_tz()) == at(date(2027, 3, 1), 10, 30)
    page = await client.get(f"/tasks/{task.id}")
    assert page.status_code == 200 and "Weekly call" in page.text
    assert '<a href="/tasks">← Tasks</a>' in page.text  # the way back, on a phone too (no tabs on this page)


async def test_a_strategy_from_the_analysis_is_prefilled_and_saving_creates_the_edited_first_task(client, db) -> None:
    people = await team(db)
    db.add_all([ErpClient(id=1, name="Альфа", name_key="альфа"), ErpClient(id=2, name="Бета", name_key="бета")])
    await db.flush()
    db.add(Goal(id=5, variable="revenue", year=2027, name="Revenue 2027", responsible_id=people["head"].id))
    db.add(Goal(id=6, variable="new_clients", family="Paint", year=2027, responsible_id=people["head"].id))
    await db.commit()
    await login(client, "head@example.com")
    page = await client.get("/strategies/new?client_id=1&client_id=2&goal_id=5")
    assert page.status_code == 200
    # a goal without a name is shown by its indicator, family, person and year, not "new_clients 2027"
    head_name = people["head"].name or people["head"].email
    assert f"New clients · Paint · {head_name} · 2027" in page.text and "new_clients 2027" not in page.text
    assert "Альфа" in page.text and "Бета" in page.text and "Revenue 2027" in page.text
    assert "First task" in page.text
    due = (local_today() + timedelta(days=7)).isoformat()
    assert due in page.text
    saved = await post_form(
        client,
        "/strategies/new",
        {
            "name": "Win back Alfa and Beta",
            "state": "in_progress",
            "owner_id": str(people["head"].id),
            "client_ids": ["1", "2"],
            "goal_ids": ["5"],
            "cost": "10 000,50",
            "first_title": "Call Alfa's director",
            "first_assignee_id": str(people["anna"].id),
            "first_due_at": "2027-03-02T11:00",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    strategy = (await db.scalars(select(Strategy))).one()
    assert strategy.cost == Decimal("10000.50")
    first = (await db.scalars(select(Task).where(Task.strategy_id == strategy.id))).one()
    assert first.title == "Call Alfa's director" and first.assignee_id == people["anna"].id
    assert first.due_at.astimezone(local_tz()) == at(date(2027, 3, 2), 11)
    await login(client, "anna@example.com")
    assert (await client.get("/strategies/new")).status_code == 403


async def test_a_bad_task_edit_is_refused_field_by_field_keeping_what_was_typed_and_changing_nothing(
    client, db
) -> None:
    people = await team(db)
    rows = await seed(db, people)
    await login(client, "anna@example.com")
    bad = {
        "title": "Call Romashka again",
        "status": "todo",
        "priority": "urgent",
        "client_id": "99",
        "lat": "91",
        "lon": "10",
        "rec_freq": "weekly",
        "rec_weekdays": ["9"],
        "rec_skip": "1",
    }
    reply = await post_form(client, f"/tasks/{rows['call'].id}/edit", bad, follow_redirects=False)
    assert reply.status_code == 422
    assert "Choose one of the listed values." in reply.text and "Latitude from -90 to 90" in reply.text
    assert 'value="Call Romashka again"' in reply.text and 'value="91"' in reply.text
    assert 'name="rec_skip" value="1" checked' in reply.text
    unknown_client = await post_form(
        client, f"/tasks/{rows['call'].id}/edit", {"title": "Renamed", "client_id": "99"}, follow_redirects=False
    )
    assert unknown_client.status_code == 422 and "No such client." in unknown_client.text
    assert 'value="Renamed"' in unknown_client.text
    db.expire_all()
    task = await db.get(Task, rows["call"].id)
    assert task is not None and task.title == "Call Romashka" and task.client_id is None and task.lat is None


async def test_a_bad_strategy_is_refused_field_by_field_keeping_what_was_typed_and_saving_nothing(client, db) -> None:
    people = await team(db)
    db.add(ErpClient(id=1, name="Альфа", name_key="альфа"))
    await db.commit()
    await login(client, "head@example.com")
    bad = {
        "name": "Win back Alfa",
        "state": "in_progress",
        "owner_id": str(people["head"].id),
        "client_ids": ["1"],
        "starts_on": "2027-03-10",
        "ends_on": "2027-03-01",
        "cost": "a lot",
        "first_title": "Call the director",
        "first_assignee_id": str(people["anna"].id),
        "first_due_at": "tomorrow",
    }
    reply = await post_form(client, "/strategies/new", bad, follow_redirects=False)
    assert reply.status_code == 422
    for message in ("The end is before the start.", "An amount of money, e.g. 150000.00."):
        assert message in reply.text, message
    assert 'value="a lot"' in reply.text and 'value="tomorrow"' in reply.text and 'value="Win back Alfa"' in reply.text
    assert 'name="client_ids" value="1" checked' in reply.text
    first_task_only = {**bad, "ends_on": "", "cost": ""}  # the first task is checked once the strategy itself is right
    reply = await post_form(client, "/strategies/new", first_task_only, follow_redirects=False)
    assert reply.status_code == 422 and "A date and time, e.g. 2027-03-01 09:30." in reply.text
    assert 'value="tomorrow"' in reply.text
    assert await db.scalar(select(Strategy.id)) is None and await db.scalar(select(Task.id)) is None


async def test_the_strategy_page_shows_progress_roi_and_the_clients_sales_before_and_during(client, db) -> None:
    people = await team(db)
    db.add(ErpClient(id=1, name="Альфа", name_key="альфа"))
    await db.flush()
    db.add_all(
        [
            ClientMonthSales(client_id=1, month=date(2026, 9, 1), family="", revenue=Decimal("100"), lines=1),
            ClientMonthSales(client_id=1, month=date(2026, 10, 1), family="", revenue=Decimal("100"), lines=1),
            ClientMonthSales(client_id=1, month=date(2026, 11, 1), family="", revenue=Decimal("300"), lines=1),
        ]
    )
    strategy = Strategy(
        name="Grow Alfa",
        owner_id=people["head"].id,
        state="in_progress",
        starts_on=date(2026, 11, 1),
        ends_on=date(2026, 11, 30),
        cost=Decimal("100"),
        actual_result=Decimal("250"),
    )
    db.add(strategy)
    await db.flush()
    from crm.features.tasks.models import strategy_clients

    await db.execute(strategy_clients.insert().values(strategy_id=strategy.id, client_id=1))
    db.add_all(
        [
            Task(title="A", strategy_id=strategy.id, assignee_id=people["head"].id, status="done"),
            Task(title="B", strategy_id=strategy.id, assignee_id=people["head"].id),
        ]
    )
    await db.commit()
    await login(client, "head@example.com")
    page = await client.get(f"/strategies/{strategy.id}")
    assert page.status_code == 200 and '<a href="/strategies">← Strategies</a>' in page.text
    text = page.text
    assert "1 / 2" in text and "150.0 %" in text.replace("\u00a0", " ")
    assert "Альфа" in text and "200.0 %" in text.replace("\u00a0", " ")  # Oct 100 before → Nov 300 during
    listing = await client.get("/strategies")
    assert "Grow Alfa" in listing.text


async def test_my_day_lists_todays_tasks_in_time_order_and_the_visit_works_without_a_position(client, db) -> None:
    people = await team(db)
    rows = await seed(db, people)
    await login(client, "anna@example.com")
    page = await client.get("/my-day")
    assert page.status_code == 200
    text = page.text
    assert text.index("Old call") < text.index("Visit Lyutik") < text.index("Call Romashka")
    assert "Boris" not in text and "Send the offer" in text  # overdue shown apart
    assert len(page.content) < 30_000
    visit = await client.get(f"/tasks/{rows['visit'].id}/visit")
    assert visit.status_code == 200 and 'capture="environment"' in visit.text and 'accept="image/*"' in visit.text
    checked = await post_form(
        client,
        f"/tasks/{rows['visit'].id}/visit/check-in",
        {"lat": "", "lon": "", "accuracy": ""},
        follow_redirects=False,
    )
    assert checked.status_code == 303
    row = (await db.scalars(select(Visit))).one()
    assert row.checked_in_at and row.in_lat is None
    after = await client.get(f"/tasks/{rows['visit'].id}/visit")
    assert "no position" in after.text
    out = await post_form(
        client, f"/tasks/{rows['visit'].id}/visit/check-out", {"done": "1", "note": "ok"}, follow_redirects=False
    )
    assert out.status_code == 303
    db.expire_all()
    assert (await db.get(Task, rows["visit"].id)).status == "done"
    assert (await client.get(f"/tasks/{rows['boris'].id}/visit")).status_code == 404


async def test_the_tile_proxy_answers_502_when_the_map_server_is_unreachable(client, db) -> None:
    await team(db)
    await login(client, "anna@example.com")
    answer = await client.get("/tasks/tiles/0/0/0.png")
    assert answer.status_code in (200, 502)
    assert (await client.get("/tasks/tiles/3/99/0.png")).status_code == 404


async def test_the_client_picker_finds_the_managers_own_clients_by_name(client, db) -> None:
    people = await team(db)
    db.add_all(
        [
            ErpClient(id=11, name="ООО Лютик", name_key="ооо лютик", responsible_id=people["anna"].id),
            ErpClient(id=12, name="ЗАО Лютик-Юг", name_key="зао лютик-юг", responsible_id=people["olga"].id),
        ]
    )
    await db.commit()
    await login(client, "anna@example.com")
    answer = await client.get("/tasks/client-options?client_q=лютик")
    assert answer.status_code == 200
    assert "ООО Лютик" in answer.text and "Лютик-Юг" not in answer.text
    await login(client, "admin@example.com")
    both = await client.get("/tasks/client-options?client_q=лютик&client_id=11")
    assert "Лютик-Юг" in both.text and 'value="11" selected' in both.text


async def test_a_comment_from_the_task_page_and_the_strategy_page_goes_to_the_thread_or_says_why_not(client, db):
    people = await team(db)
    rows = await seed(db, people)
    strategy = Strategy(name="Win back Lyutik", owner_id=people["head"].id, state="in_progress")
    db.add(strategy)
    await db.commit()

    await login(client, "anna@example.com")
    task_url = f"/tasks/{rows['call'].id}"
    refused = await post_form(client, f"{task_url}/comments", {"text": "ask @nobody@example.com"})
    assert refused.status_code == 422 and "nobody@example.com can see this thread" in refused.text
    assert "ask @nobody@example.com" in refused.text  # what was typed is kept
    saved = await post_form(client, f"{task_url}/comments", {"text": "Called, no answer"}, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == f"{task_url}#thread"
    assert "Called, no answer" in (await client.get(task_url)).text

    await login(client, "head@example.com")
    strategy_url = f"/strategies/{strategy.id}"
    empty = await post_form(client, f"{strategy_url}/comments", {"text": "  "})
    assert empty.status_code == 422 and "Write a comment." in empty.text
    posted = await post_form(
        client, f"{strategy_url}/comments", {"text": "Offer sent to the owner"}, follow_redirects=False
    )
    assert posted.status_code == 303 and posted.headers["location"] == f"{strategy_url}#thread"
    assert "Offer sent to the owner" in (await client.get(strategy_url)).text
