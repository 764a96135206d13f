"""Lead intake through the API: the acceptance cases of spec/leads.md and the refusals around them."""

from __future__ import annotations

from sqlalchemy import text

from tests.conftest import make_user
from tests.integration.test_leads_fixtures import (
    bearer,
    make_operator,
    make_source,
    open_loads,
    post_contact,
    worker_ctx,
)


async def test_the_same_phone_written_two_ways_is_one_lead(client, db):
    anna = await make_operator(db, "anna@example.com")
    _source, key = await make_source(db, "Сайт", {anna: 10})

    first = await post_contact(client, key, phone="8 (912) 345-67-89", name="Иван")
    second = await post_contact(client, key, phone="+79123456789")
    third = await post_contact(client, key, phone="7 912 345 67 89")

    assert first.status_code == second.status_code == third.status_code == 201, first.text
    assert first.json()["lead_created"] is True
    assert second.json()["lead_created"] is False and third.json()["lead_created"] is False
    assert first.json()["lead_id"] == second.json()["lead_id"] == third.json()["lead_id"]
    phones = (await db.execute(text("SELECT phone FROM leads"))).scalars().all()
    assert phones == ["+79123456789"]


async def test_a_contact_answer_has_the_fields_the_spec_promises(client, db):
    anna = await make_operator(db, "anna@example.com")
    source, key = await make_source(db, "Сайт", {anna: 10})
    response = await post_contact(client, key, message="Хочу узнать цену", email="Ivan@Example.RU")
    assert response.status_code == 201
    body = response.json()
    for name in ("id", "lead_id", "lead_created", "operator_id", "source_id", "status", "created_at", "reason"):
        assert name in body
    assert body["operator_id"] == anna and body["source_id"] == source and body["status"] == "open"
    assert "weight" in body["reason"]
    email = (await db.execute(text("SELECT email FROM leads"))).scalar_one()
    assert email == "ivan@example.ru"


async def test_max_load_1_against_100_with_equal_weights_gives_1_and_2(client, db):
    small = await make_operator(db, "small@example.com", max_load=1)
    big = await make_operator(db, "big@example.com", max_load=100)
    _source, key = await make_source(db, "Сайт", {small: 10, big: 10})
    for i in range(3):
        # different people, so continuity plays no part
        assert (await post_contact(client, key, phone=f"+7912000000{i}")).status_code == 201
    assert await open_loads(db) == {small: 1, big: 2}


async def test_all_operators_full_stores_the_contact_unassigned_until_one_closes(client, db):
    from crm.workers.leads import give_out_lead_queue

    anna = await make_operator(db, "anna@example.com", max_load=1)
    boris = await make_operator(db, "boris@example.com", max_load=1)
    _source, key = await make_source(db, "Сайт", {anna: 1, boris: 1})
    taken = [(await post_contact(client, key, phone=f"+7912100000{i}")).json() for i in range(2)]
    assert {c["operator_id"] for c in taken} == {anna, boris}

    waiting = [(await post_contact(client, key, phone=f"+7912200000{i}")).json() for i in range(2)]
    assert [c["operator_id"] for c in waiting] == [None, None]
    assert "maximum load" in waiting[0]["reason"]
    assert waiting[0]["status"] == "open"

    await make_user(db, "admin@example.com", ["admin"])
    headers = await bearer(client, "admin@example.com")
    queue = (await client.get("/api/v1/contacts?operator_id=none&status=open", headers=headers)).json()
    assert [r["id"] for r in queue["rows"]] == [waiting[1]["id"], waiting[0]["id"]]  # newest first

    annas = next(c for c in taken if c["operator_id"] == anna)
    closed = await client.post(f"/api/v1/contacts/{annas['id']}/close", headers=headers)
    assert closed.status_code == 200 and closed.json()["status"] == "closed" and closed.json()["closed_at"]
    # (a worker of the live server, when the browser tests run in the same session, may have done it already)
    await give_out_lead_queue(worker_ctx())

    first = (await client.get(f"/api/v1/contacts?lead_id={waiting[0]['lead_id']}", headers=headers)).json()["rows"][0]
    assert first["operator_id"] == anna  # the oldest waiting contact went to the operator who freed up
    assert "queue" in first["reason"]
    second = (await client.get(f"/api/v1/contacts?lead_id={waiting[1]['lead_id']}", headers=headers)).json()["rows"][0]
    assert second["operator_id"] is None
    assert (await give_out_lead_queue(worker_ctx()))["given"] == 0  # running it again gives out nothing more


async def test_a_lead_keeps_its_operator_while_they_have_room(client, db):
    anna = await make_operator(db, "anna@example.com", max_load=5)
    boris = await make_operator(db, "boris@example.com", max_load=5)
    _source, key = await make_source(db, "Сайт", {anna: 1, boris: 1000})
    first = (await post_contact(client, key, phone="+79123456789")).json()
    again = [(await post_contact(client, key, phone="89123456789")).json() for _ in range(3)]
    assert {c["operator_id"] for c in again} == {first["operator_id"]}
    assert all("continuity" in c["reason"] for c in again)


async def test_identifiers_a_lead_lacked_are_filled_in(client, db):
    anna = await make_operator(db, "anna@example.com")
    _source, key = await make_source(db, "Сайт", {anna: 1})
    first = (await post_contact(client, key, external_id="tg:42")).json()
    second = (await post_contact(client, key, external_id="tg:42", phone="8 912 345 67 89", email="A@B.ru")).json()
    assert second["lead_id"] == first["lead_id"]
    row = (await db.execute(text("SELECT external_id, phone, email FROM leads"))).one()
    assert tuple(row) == ("tg:42", "+79123456789", "a@b.ru")
    by_email = (await post_contact(client, key, email="a@b.ru")).json()
    assert by_email["lead_id"] == first["lead_id"]


async def test_identifiers_of_different_leads_merge_them_into_the_oldest(client, db):
    anna = await make_operator(db, "anna@example.com", max_load=100)
    _source, key = await make_source(db, "Сайт", {anna: 1})
    older = (await post_contact(client, key, external_id="tg:1", name="Иван")).json()
    newer = (await post_contact(client, key, phone="+79120000001")).json()
    third = (await post_contact(client, key, email="ivan@example.ru")).json()
    assert len({older["lead_id"], newer["lead_id"], third["lead_id"]}) == 3

    merged = await post_contact(client, key, external_id="tg:1", phone="89120000001", email="ivan@example.ru")
    assert merged.status_code == 201
    body = merged.json()
    assert body["lead_id"] == older["lead_id"]
    assert body["merged_lead_ids"] == sorted([newer["lead_id"], third["lead_id"]])

    await make_user(db, "admin@example.com", ["admin"])
    headers = await bearer(client, "admin@example.com")
    card = (await client.get(f"/api/v1/leads/{older['lead_id']}", headers=headers)).json()
    assert card["lead"]["external_id"] == "tg:1"
    assert card["lead"]["phone"] == "+79120000001" and card["lead"]["email"] == "ivan@example.ru"
    assert card["lead"]["name"] == "Иван"
    assert len(card["contacts"]) == 4  # every contact moved over
    assert {m["merged_lead_id"] for m in card["merges"]} == {newer["lead_id"], third["lead_id"]}
    assert {m["contacts_moved"] for m in card["merges"]} == {1}
    gone = await client.get(f"/api/v1/leads/{newer['lead_id']}", headers=headers)
    assert gone.status_code == 404 and str(older["lead_id"]) in gone.json()["detail"]
    assert (await db.execute(text("SELECT count(*) FROM leads"))).scalar_one() == 1


async def test_a_malformed_phone_or_email_is_422_naming_the_field(client, db):
    anna = await make_operator(db, "anna@example.com")
    _source, key = await make_source(db, "Сайт", {anna: 1})
    for lead, field in (
        ({"phone": "12345"}, "lead.phone"),
        ({"phone": "+7 912 ABC-67-89"}, "lead.phone"),
        ({"phone": "8 (012) 345-67-89"}, "lead.phone"),
        ({"email": "not-an-email"}, "lead.email"),
        ({"name": "Только имя"}, "lead"),
        ({}, "lead"),
    ):
        response = await post_contact(client, key, **lead)
        assert response.status_code == 422, (lead, response.text)
        assert response.json()["errors"][0]["field"] == field
    assert (await db.execute(text("SELECT count(*) FROM lead_contacts"))).scalar_one() == 0


async def test_a_wrongly_typed_body_is_a_4xx_not_a_500(client, db):
    anna = await make_operator(db, "anna@example.com")
    _source, key = await make_source(db, "Сайт", {anna: 1})
    for body in ({"lead": {"phone": 79123456789}}, {"lead": "x"}, {"source_id": "one", "lead": {"email": "a@b.ru"}}):
        response = await client.post("/api/v1/contacts", json=body, headers={"X-Intake-Key": key})
        assert 400 <= response.status_code < 500, response.text
    response = await client.post("/api/v1/contacts", content=b"{not json", headers={"X-Intake-Key": key})
    assert response.status_code == 400


async def test_a_source_without_weights_is_400_and_stores_nothing(client, db):
    anna = await make_operator(db, "anna@example.com")
    _source, key = await make_source(db, "Пустой", {anna: 0})
    response = await post_contact(client, key, phone="+79123456789")
    assert response.status_code == 400
    assert "weight" in response.json()["detail"]
    assert (await db.execute(text("SELECT count(*) FROM leads"))).scalar_one() == 0


async def test_an_unknown_or_inactive_source_is_404(client, db):
    from crm.features.leads import desk_sources

    anna = await make_operator(db, "anna@example.com")
    source, key = await make_source(db, "Сайт", {anna: 1})
    await make_user(db, "admin@example.com", ["admin"])
    headers = await bearer(client, "admin@example.com")
    unknown = await client.post(
        "/api/v1/contacts", json={"source_id": 999, "lead": {"phone": "+79123456789"}}, headers=headers
    )
    assert unknown.status_code == 404
    await desk_sources.update_source(db, source, None, is_active=False)
    await db.commit()
    assert (await post_contact(client, key, phone="+79123456789")).status_code == 404
    by_user = await client.post(
        "/api/v1/contacts", json={"source_id": source, "lead": {"phone": "+79123456789"}}, headers=headers
    )
    assert by_user.status_code == 404


async def test_intake_needs_a_valid_key_or_a_user_who_manages_the_desk(client, db):
    anna = await make_operator(db, "anna@example.com")
    source, key = await make_source(db, "Сайт", {anna: 1})
    other, _other_key = await make_source(db, "Бот", {anna: 1})
    body = {"source_id": source, "lead": {"phone": "+79123456789"}}
    assert (await client.post("/api/v1/contacts", json=body)).status_code == 401
    assert (await client.post("/api/v1/contacts", json=body, headers={"X-Intake-Key": "lik_wrong"})).status_code == 401
    mismatch = await client.post("/api/v1/contacts", json={**body, "source_id": other}, headers={"X-Intake-Key": key})
    assert mismatch.status_code == 403
    assert (await client.post("/api/v1/contacts", json=body, headers={"X-Intake-Key": key})).status_code == 201

    await make_user(db, "head@example.com", ["head"])
    assert (
        await client.post("/api/v1/contacts", json=body, headers=await bearer(client, "head@example.com"))
    ).status_code == 403
    assert (
        await client.post("/api/v1/contacts", json=body, headers=await bearer(client, "anna@example.com"))
    ).status_code == 403
    await make_user(db, "admin@example.com", ["admin"])
    by_admin = await client.post("/api/v1/contacts", json=body, headers=await bearer(client, "admin@example.com"))
    assert by_admin.status_code == 201


async def test_only_the_hash_of_an_intake_key_is_kept_and_rotation_retires_the_old_key(client, db):
    anna = await make_operator(db, "anna@example.com")
    await make_user(db, "admin@example.com", ["admin"])
    headers = await bearer(client, "admin@example.com")
    created = await client.post("/api/v1/sources", json={"name": "Telegram-бот"}, headers=headers)
    assert created.status_code == 201
    source, key = created.json()["id"], created.json()["intake_key"]
    assert key.startswith("lik_") and len(key) > 30
    stored = (await db.execute(text("SELECT intake_key_hash, intake_key_prefix FROM lead_sources"))).one()
    assert key not in stored[0] and stored[1] == key[:12]
    listed = (await client.get(f"/api/v1/sources/{source}", headers=headers)).json()
    assert listed["intake_key"] is None

    await client.put(
        f"/api/v1/sources/{source}/competences", json=[{"operator_id": anna, "weight": 5}], headers=headers
    )
    assert (await post_contact(client, key, phone="+79123456789")).status_code == 201
    rotated = (await client.post(f"/api/v1/sources/{source}/intake-key", headers=headers)).json()["intake_key"]
    assert rotated != key
    assert (await post_contact(client, key, phone="+79123456789")).status_code == 401
    assert (await post_contact(client, rotated, phone="+79123456789")).status_code == 201
