"""The task views' assignee filter is a search picker, not a <select> of the whole organisation: the pages carry
none of the people, /people/search answers at most 20 matches of the viewer's scope, and without JavaScript the
typed text is resolved by the server (one match filters; nobody or several say so beside the field)."""

from __future__ import annotations

import re

from crm.features.tasks.models import Task
from tests.conftest import login, make_user
from tests.integration.test_tasks_api import team


async def seed(db) -> dict:
    people = await team(db)
    department = people["anna"].department_id
    for n in range(25):
        await make_user(db, f"worker{n:02d}@example.com", ["manager"], name=f"Worker {n:02d}", department_id=department)
    db.add_all(
        [
            Task(title="Anna's call", assignee_id=people["anna"].id, creator_id=people["anna"].id),
            Task(title="Boris' visit", assignee_id=people["boris"].id, creator_id=people["boris"].id),
        ]
    )
    await db.commit()
    return people


def radios(html: str) -> list[str]:
    return re.findall(r'type="radio"[^>]*name="assignee_id" value="([^"]*)"', html)


PICK = {"field": "assignee_id", "qfield": "assignee_q", "blank": "Everyone"}  # what the filter's box sends


async def test_the_views_carry_a_search_box_not_every_person(client, db) -> None:
    people = await seed(db)
    await login(client, "head@example.com")
    for url in ("/tasks", "/tasks/list", "/tasks/calendar"):
        page = await client.get(url)
        assert page.status_code == 200, url
        assert 'name="assignee_q"' in page.text and 'hx-get="/people/search"' in page.text
        assert "Worker 07" not in page.text and str(people["boris"].id) not in page.text, url


async def test_the_search_answers_at_most_twenty_people_of_the_viewers_scope(client, db) -> None:
    people = await seed(db)
    await login(client, "head@example.com")
    many = await client.get("/people/search", params={**PICK, "assignee_q": "worker"}, headers={"HX-Request": "true"})
    assert many.status_code == 200
    assert len(radios(many.text)) == 21  # "Everyone" and 20 matches
    assert "Only the first matches are shown" in many.text
    boris = await client.get("/people/search", params={**PICK, "assignee_q": "bor"}, headers={"HX-Request": "true"})
    assert radios(boris.text) == ["", str(people["boris"].id)]
    outsider = await client.get("/people/search", params={**PICK, "assignee_q": "olga"}, headers={"HX-Request": "true"})
    assert radios(outsider.text) == [""] and "Nobody in your scope matches" in outsider.text
    kept = await client.get(
        "/people/search", params={**PICK, "assignee_q": "worker 0", "assignee_id": str(people["anna"].id)}
    )
    assert radios(kept.text)[:2] == ["", str(people["anna"].id)] and "<b>Anna</b>" in kept.text
    await login(client, "anna@example.com")
    mine = await client.get("/people/search", params={**PICK, "assignee_q": "worker"})
    assert radios(mine.text) == [""]  # a manager assigns only to themselves


async def test_without_javascript_the_server_resolves_the_typed_name(client, db) -> None:
    people = await seed(db)
    await login(client, "head@example.com")
    one = await client.get("/tasks/list", params={"assignee_q": "boris"})
    assert one.status_code == 200
    assert "Boris&#39; visit" in one.text and "Anna&#39;s call" not in one.text
    assert f'name="assignee_id" value="{people["boris"].id}"' in one.text and 'value="Boris"' in one.text
    nobody = await client.get("/tasks/list", params={"assignee_q": "olga"})
    assert nobody.status_code == 422 and "Nobody in your scope matches “olga”." in nobody.text
    several = await client.get("/tasks", params={"assignee_q": "worker 1"})
    assert several.status_code == 422 and "Several people match “worker 1”: choose one." in several.text
    assert len(radios(several.text)) == 11  # "Everyone" and Worker 10…19, to choose from
    assert 'aria-invalid="true"' in several.text


async def test_a_filtered_block_sends_the_picker_back_out_of_band(client, db) -> None:
    people = await seed(db)
    await login(client, "head@example.com")
    headers = {"HX-Request": "true", "HX-Target": "board"}
    block = await client.get("/tasks", params={"assignee_id": str(people["anna"].id)}, headers=headers)
    assert block.status_code == 200 and "<html" not in block.text
    assert 'id="flt-assignee-picker" hx-swap-oob="true"' in block.text and 'value="Anna"' in block.text
    assert "Anna&#39;s call" in block.text and "Boris&#39; visit" not in block.text
