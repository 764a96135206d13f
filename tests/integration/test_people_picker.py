"""Every form that chooses a person of the organisation uses the search picker (components/person_picker.html),
not a <select> of everybody: /people/search answers at most 20 matches of the user's own scope (a head's
department subtree, a manager themselves, an admin everybody; active people only), the forms carry nobody but the
chosen person, and without JavaScript the typed name is resolved by the server: one match chooses that person,
nobody or several say so next to the field with the matches to choose from. A person outside the user's scope is
refused next to the field; the posted field names and values are what they were (``assignee_id``, ``owner_id``,
``first_assignee_id``, ``responsible_id``: a user id)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from crm.features.accounts.models import User
from crm.features.goals.models import Goal
from crm.features.tasks.models import Strategy, Task
from tests.conftest import login, make_user, post_form
from tests.integration.test_tasks_api import team

HX = {"HX-Request": "true"}


async def seed(db: Any) -> dict[str, Any]:
    people = await team(db)
    department = people["anna"].department_id
    for n in range(25):
        await make_user(db, f"worker{n:02d}@example.com", ["manager"], name=f"Worker {n:02d}", department_id=department)
    gone = await make_user(db, "gone@example.com", ["manager"], name="Gone Worker", department_id=department)
    gone.is_active = False
    await db.commit()
    return people


def radios(html: str, name: str) -> list[str]:
    return re.findall(rf'type="radio"[^>]*name="{name}" value="([^"]*)"', html)


def search(field: str, query: str, **extra: str) -> dict[str, str]:
    qfield = field.removesuffix("_id") + "_q"
    return {"field": field, "qfield": qfield, qfield: query, "dom": f"f-{field}", **extra}


async def test_the_search_answers_at_most_twenty_people_of_the_users_own_scope(client, db) -> None:
    people = await seed(db)
    await login(client, "head@example.com")
    many = await client.get("/people/search", params=search("owner_id", "worker", blank="Nobody"), headers=HX)
    assert many.status_code == 200 and "<html" not in many.text
    assert len(radios(many.text, "owner_id")) == 21  # "Nobody" and 20 matches
    assert "Only the first matches are shown" in many.text and "Gone Worker" not in many.text
    by_email = await client.get("/people/search", params=search("owner_id", "boris@"), headers=HX)
    assert radios(by_email.text, "owner_id") == [str(people["boris"].id)]  # no blank given: a required field
    outsider = await client.get("/people/search", params=search("owner_id", "olga", blank="Nobody"), headers=HX)
    assert radios(outsider.text, "owner_id") == [""] and "Nobody in your scope matches “olga”." in outsider.text
    kept = await client.get(
        "/people/search", params=search("owner_id", "worker 0", owner_id=str(people["anna"].id)), headers=HX
    )
    assert radios(kept.text, "owner_id")[0] == str(people["anna"].id) and "<b>Anna</b>" in kept.text
    await login(client, "anna@example.com")
    mine = await client.get("/people/search", params=search("assignee_id", "bor"), headers=HX)
    assert radios(mine.text, "assignee_id") == []  # a manager chooses only themselves
    me = await client.get("/people/search", params=search("assignee_id", "ann"), headers=HX)
    assert radios(me.text, "assignee_id") == [str(people["anna"].id)]
    await login(client, "admin@example.com")
    everybody = await client.get("/people/search", params=search("assignee_id", "olga"), headers=HX)
    assert radios(everybody.text, "assignee_id") == [str(people["olga"].id)]


async def test_the_search_names_its_radios_after_the_field_and_refuses_odd_names(client, db) -> None:
    await seed(db)
    await login(client, "head@example.com")
    params = search("assignee_id", "boris", dom="flt-assignee", form="tk-filter", blank="Everyone")
    filter_bar = await client.get("/people/search", params=params, headers=HX)
    assert 'form="tk-filter" id="flt-assignee-none" name="assignee_id" value=""' in filter_bar.text
    assert "Everyone" in filter_bar.text
    odd = await client.get(
        "/people/search",
        params={"field": '"><script>', "qfield": "q", "q": "boris", "dom": "x y", "blank": "<b>x</b>"},
        headers=HX,
    )
    assert odd.status_code == 200 and "<script>" not in odd.text and "<b>x</b>" not in odd.text
    assert 'name="person_id"' in odd.text and 'id="person-none"' in odd.text


async def test_the_search_is_for_signed_in_people_only(client, db) -> None:
    await seed(db)
    answer = await client.get("/people/search", params=search("owner_id", "boris"), follow_redirects=False)
    assert answer.status_code in (302, 303, 401)
    assert "Boris" not in answer.text


async def test_the_task_form_carries_a_search_box_not_the_organisation(client, db) -> None:
    people = await seed(db)
    await login(client, "head@example.com")
    page = await client.get("/tasks/new")
    assert page.status_code == 200
    assert 'name="assignee_q"' in page.text and 'hx-get="/people/search"' in page.text
    assert "Worker 07" not in page.text and str(people["boris"].id) not in page.text
    assert '<select id="f-assignee_id"' not in page.text
    assert f'name="assignee_id" value="{people["head"].id}"' in page.text and 'value="Head"' in page.text


async def test_without_javascript_the_task_form_resolves_the_typed_name(client, db) -> None:
    people = await seed(db)
    await login(client, "head@example.com")
    base = {"title": "Call the client", "priority": "medium"}
    # the box still holds the chosen person's name: the id stands
    kept = await post_form(
        client,
        "/tasks/new",
        {**base, "assignee_id": str(people["anna"].id), "assignee_q": "Anna"},
        follow_redirects=False,
    )
    assert kept.status_code == 303, kept.text
    # a name typed over the previous choice (no script filled the id in): the name chooses
    typed = {**base, "title": "Visit", "assignee_id": str(people["head"].id), "assignee_q": "boris"}
    answer = await post_form(client, "/tasks/new", typed, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    # picked from the matches (the script's way): the id stands while the text still matches them
    picked = {**base, "title": "Picked", "assignee_id": str(people["anna"].id), "assignee_q": "ann"}
    assert (await post_form(client, "/tasks/new", picked, follow_redirects=False)).status_code == 303
    tasks = {t.title: t.assignee_id for t in (await db.scalars(select(Task))).all()}
    assert tasks == {"Call the client": people["anna"].id, "Visit": people["boris"].id, "Picked": people["anna"].id}
    several = await post_form(client, "/tasks/new", {**base, "title": "X", "assignee_q": "worker 1"})
    assert several.status_code == 422 and "Several people match “worker 1”: choose one." in several.text
    assert len(radios(several.text, "assignee_id")) == 11  # "Me" and Worker 10…19
    assert 'aria-invalid="true" aria-describedby="e-assignee_id"' in several.text
    assert 'value="Call the client"' not in several.text and 'value="X"' in several.text  # what was typed is kept
    nobody = await post_form(client, "/tasks/new", {**base, "title": "X", "assignee_q": "olga"})
    assert nobody.status_code == 422 and "Nobody in your scope matches “olga”." in nobody.text
    assert (await db.scalar(select(Task).where(Task.title == "X"))) is None


async def test_a_person_outside_the_scope_is_refused_next_to_the_field(client, db) -> None:
    people = await seed(db)
    await login(client, "head@example.com")
    olga = str(people["olga"].id)
    answer = await post_form(client, "/tasks/new", {"title": "Y", "priority": "medium", "assignee_id": olga})
    assert answer.status_code == 422
    assert re.search(r'id="e-assignee_id">⚠ Choose a person from the list\.', answer.text)
    owner = await post_form(client, "/strategies/new", {"name": "S", "state": "planned", "owner_id": olga})
    assert owner.status_code == 422 and re.search(r'id="e-owner_id">⚠ Choose a person from the list\.', owner.text)
    goal = await post_form(
        client, "/goals/new", {"variable": "revenue", "year": "2026", "responsible_id": olga, "action": "save"}
    )
    assert goal.status_code == 422
    assert re.search(r'id="e-responsible_id">⚠ Choose a person from the list\.', goal.text)
    assert (await db.scalar(select(Task.id))) is None and (await db.scalar(select(Strategy.id))) is None
    assert (await db.scalar(select(Goal.id))) is None


async def test_the_strategy_form_picks_its_owner_and_first_assignee_by_name(client, db) -> None:
    people = await seed(db)
    await login(client, "head@example.com")
    page = await client.get("/strategies/new")
    assert page.status_code == 200 and "Worker 07" not in page.text
    assert 'name="owner_q"' in page.text and 'name="first_assignee_q"' in page.text
    assert '<select id="f-owner_id"' not in page.text
    form = {
        "name": "Paint push",
        "state": "planned",
        "owner_id": str(people["head"].id),
        "owner_q": "anna",
        "first_title": "Call",
        "first_assignee_id": str(people["head"].id),
        "first_assignee_q": "Worker 03",
    }
    answer = await post_form(client, "/strategies/new", form, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    strategy = (await db.scalars(select(Strategy))).one()
    assert strategy.owner_id == people["anna"].id
    first = (await db.scalars(select(Task).where(Task.strategy_id == strategy.id))).one()
    worker = await db.scalar(select(User.id).where(User.email == "worker03@example.com"))
    assert first.assignee_id == worker
    edit = await client.get(f"/strategies/{strategy.id}/edit")
    assert edit.status_code == 200 and 'value="Anna"' in edit.text and 'name="first_assignee_q"' not in edit.text
    several = await post_form(client, f"/strategies/{strategy.id}/edit", {**form, "owner_id": "", "owner_q": "worker"})
    assert several.status_code == 422 and "Several people match “worker”: choose one." in several.text
    assert "Only the first matches are shown" in several.text


async def test_the_goal_form_picks_its_person_by_name(client, db) -> None:
    people = await seed(db)
    await login(client, "head@example.com")
    page = await client.get("/goals/new?year=2026")
    assert page.status_code == 200 and "Worker 07" not in page.text
    assert 'name="responsible_q"' in page.text and '<select id="f-responsible_id"' not in page.text
    assert 'placeholder="Type a name or an email to search"' in page.text
    form = {"variable": "revenue", "year": "2026", "responsible_q": "boris", "action": "save"}
    form |= {f"t{m}": "100" for m in range(1, 13)}
    answer = await post_form(client, "/goals/new", form, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    goal = (await db.scalars(select(Goal))).one()
    assert goal.responsible_id == people["boris"].id
    edit = await client.get(f"/goals/{goal.id}")
    assert f'name="responsible_id" value="{people["boris"].id}"' in edit.text and 'value="Boris"' in edit.text
    # the fill helpers keep the chosen person
    helper = await post_form(
        client,
        f"/goals/{goal.id}",
        {**form, "responsible_id": str(people["boris"].id), "responsible_q": "Boris", "action": "repeat"}
        | {"fill_value": "5", "fill_from": "2"},
    )
    assert helper.status_code == 200 and 'value="Boris"' in helper.text
    nobody = await post_form(client, "/goals/new", {**form, "responsible_q": "nobody-like-this"})
    assert nobody.status_code == 422 and "Nobody in your scope matches “nobody-like-this”." in nobody.text


async def test_the_goals_list_filters_by_a_person_found_by_name(client, db) -> None:
    people = await seed(db)
    db.add_all(
        [
            Goal(variable="revenue", family="Paint", responsible_id=people["anna"].id, year=2026),
            Goal(variable="revenue", family="Glue", responsible_id=people["boris"].id, year=2026),
        ]
    )
    await db.commit()
    await login(client, "head@example.com")
    page = await client.get("/goals?year=2026")
    assert page.status_code == 200 and 'name="person_q"' in page.text and "Worker 07" not in page.text
    assert '<select id="g-person"' not in page.text
    one = await client.get("/goals", params={"year": "2026", "person_q": "boris"})
    assert "Glue" in one.text and "Paint" not in one.text
    assert f'name="person" value="{people["boris"].id}"' in one.text and 'value="Boris"' in one.text
    chosen = await client.get("/goals", params={"year": "2026", "person": str(people["anna"].id), "person_q": "ann"})
    assert "Paint" in chosen.text and "Glue" not in chosen.text
    several = await client.get("/goals", params={"year": "2026", "person_q": "worker"})
    assert "Several people match “worker”: choose one." in several.text and "Paint" in several.text
    await login(client, "anna@example.com")
    alone = await client.get("/goals?year=2026")
    assert alone.status_code == 200 and 'name="person_q"' not in alone.text  # nobody else to choose


async def test_the_analysis_screens_choose_their_person_with_the_picker(client, db) -> None:
    people = await seed(db)
    await login(client, "head@example.com")
    for url in ("/analysis?year=2026", "/analysis/clients?month=2026-03"):
        page = await client.get(url)
        assert page.status_code == 200, url
        assert 'name="person_q"' in page.text and "Worker 07" not in page.text, url
        assert '<select id="a-person"' not in page.text and '<select id="t-person"' not in page.text
    boris = str(people["boris"].id)
    board = await client.get("/analysis", params={"year": "2026", "person_q": "boris"})
    assert f'name="person" value="{boris}"' in board.text and f"person={boris}" in board.text
    table = await client.get("/analysis/clients", params={"month": "2026-03", "person_q": "boris"})
    assert table.status_code == 200 and f'name="person" value="{boris}"' in table.text
    several = await client.get("/analysis/clients", params={"month": "2026-03", "person_q": "worker"})
    assert "Several people match “worker”: choose one." in several.text
    await login(client, "anna@example.com")
    alone = await client.get("/analysis?year=2026")
    assert alone.status_code == 200 and 'name="person_q"' not in alone.text
