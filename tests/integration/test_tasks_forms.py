"""The kanban's and the calendar's moves and a visit's photos read through declared forms: a valid move, each bad
value → 422 naming the field, nothing changed; photos all or nothing."""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from datetime import time, timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from crm.features.tasks.models import Photo, Task
from crm.features.tasks.visits import photo_root
from crm.lib.i18n import local_today, local_tz
from tests.conftest import login, post_form, prime_csrf
from tests.integration.test_plans_api import bearer
from tests.integration.test_tasks_api import new_task, soon, team
from tests.integration.test_tasks_pages import seed

JSON = {"Accept": "application/json"}


@pytest.fixture(autouse=True)
def no_photos_left() -> Iterator[None]:
    """The photos these tests save are removed after each (other tests count the files under the data directory)."""
    yield
    shutil.rmtree(photo_root(), ignore_errors=True)


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 10, 10)).save(out, "JPEG")
    return out.getvalue()


async def test_a_bad_kanban_move_is_refused_naming_the_field_and_changes_nothing(client, db) -> None:
    rows = await seed(db, await team(db))
    await login(client, "anna@example.com")
    url = f"/tasks/{rows['call'].id}/move"
    for sent in ({"status": "archived"}, {}, {"status": ""}):
        answer = await post_form(client, url, sent, headers=JSON)
        assert answer.status_code == 422, answer.text
        assert answer.json()["detail"] == "Choose one of the listed values."
        assert answer.json()["errors"] == [{"field": "status", "message": "Choose one of the listed values."}]
    db.expire_all()
    assert (await db.get(Task, rows["call"].id)).status == "todo"
    moved = await post_form(client, url, {"status": "done"}, headers=JSON)
    assert moved.status_code == 200 and moved.json()["previous"] == "todo"


async def test_a_bad_calendar_day_is_refused_and_a_task_without_a_time_lands_at_nine(client, db) -> None:
    people = await team(db)
    anna_id = people["anna"].id
    rows = await seed(db, people)
    await login(client, "anna@example.com")
    url = f"/tasks/{rows['call'].id}/reschedule"
    for day in ("tomorrow", "", "1999-12-31", "2101-01-01", "2026-02-30"):
        answer = await post_form(client, url, {"day": day}, headers=JSON)
        assert answer.status_code == 422 and answer.json()["detail"] == "A date YYYY-MM-DD.", (day, answer.text)
        assert answer.json()["errors"][0]["field"] == "day"
    db.expire_all()
    before = (await db.get(Task, rows["call"].id)).due_at
    assert before.astimezone(local_tz()).date() == local_today()  # unchanged
    loose = Task(title="Sometime", assignee_id=anna_id, creator_id=anna_id)
    db.add(loose)
    await db.commit()
    loose_id = loose.id
    day = local_today() + timedelta(days=3)
    answer = await post_form(client, f"/tasks/{loose_id}/reschedule", {"day": day.isoformat()}, headers=JSON)
    assert answer.status_code == 200 and answer.json()["previous"] is None
    db.expire_all()
    due = (await db.get(Task, loose_id)).due_at.astimezone(local_tz())
    assert (due.date(), due.time()) == (day, time(9, 0))


async def test_photos_are_all_or_nothing_and_none_chosen_is_said_next_to_the_field(client, db) -> None:
    await team(db)
    anna = await bearer(client, "anna@example.com")
    task = await new_task(client, anna, due_at=soon(0))
    url = f"/api/v1/tasks/{task['id']}/photos"
    none = await client.post(url, data={"note": "x"}, files={"other": ("a.jpg", jpeg(), "image/jpeg")}, headers=anna)
    assert none.status_code == 422 and none.json()["errors"][0] == {"field": "photo", "message": "Choose a photo."}
    mixed = [("photo", ("good.jpg", jpeg(), "image/jpeg")), ("photo", ("bad.jpg", b"not a photo", "image/jpeg"))]
    refused = await client.post(url, files=mixed, headers=anna)
    assert refused.status_code == 422 and "bad.jpg" in refused.json()["errors"][0]["message"]
    assert await db.scalar(select(func.count()).select_from(Photo)) == 0  # the good one was not kept either
    two = [("photos", ("a.jpg", jpeg(), "image/jpeg")), ("file", ("b.jpg", jpeg(), "image/jpeg"))]
    saved = await client.post(url, files=two, headers=anna)
    assert saved.status_code == 201 and [r["original_name"] for r in saved.json()["rows"]] == ["a.jpg", "b.jpg"]


async def test_the_visit_page_asks_for_a_photo_when_none_was_chosen(client, db) -> None:
    rows = await seed(db, await team(db))
    await login(client, "anna@example.com")
    url = f"/tasks/{rows['visit'].id}/visit/photos"
    token = await prime_csrf(client)
    empty = await client.post(url, data={"_csrf_token": token}, files={"photo": ("", b"", "application/octet-stream")})
    assert empty.status_code == 422 and "Choose a photo." in empty.text
    ok = await client.post(url, data={"_csrf_token": token}, files={"photo": ("p.jpg", jpeg(), "image/jpeg")})
    assert ok.status_code in (200, 303), ok.text
    assert await db.scalar(select(func.count()).select_from(Photo)) == 1
