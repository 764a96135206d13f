"""The lead desk's JSON API besides intake: operators, sources and weights, contacts, leads, statistics."""

from __future__ import annotations

from sqlalchemy import text

from tests.conftest import make_user
from tests.integration.test_leads_fixtures import bearer, make_operator, make_source, post_contact


async def _admin(client, db) -> dict[str, str]:
    await make_user(db, "admin@example.com", ["admin"])
    return await bearer(client, "admin@example.com")


async def test_operators_are_created_from_users_listed_with_their_load_and_patched(client, db):
    headers = await _admin(client, db)
    manager = await make_user(db, "mila@example.com", ["manager"], name="Мила")
    created = await client.post("/api/v1/operators", json={"user_id": str(manager.id), "max_load": 3}, headers=headers)
    assert created.status_code == 201, created.text
    operator = created.json()
    assert operator["current_load"] == 0 and operator["max_load"] == 3 and operator["is_active"] is True
    by_email = await client.post("/api/v1/operators", json={"email": "MILA@example.com"}, headers=headers)
    assert by_email.status_code == 422 and by_email.json()["errors"][0]["field"] == "user_id"
    unknown = await client.post("/api/v1/operators", json={"email": "nobody@example.com"}, headers=headers)
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "email"
    roles = await db.execute(text("SELECT r.name FROM user_roles ur JOIN roles r ON r.id = ur.role_id "
                                  "WHERE ur.user_id = :id ORDER BY r.name"), {"id": manager.id})  # fmt: skip
    assert roles.scalars().all() == ["manager", "operator"]

    _source, key = await make_source(db, "Сайт", {operator["id"]: 1})
    await post_contact(client, key, phone="+79120000001")
    listed = (await client.get("/api/v1/operators", headers=headers)).json()
    assert listed["total"] == 1 and listed["rows"][0]["current_load"] == 1
    assert set(listed) == {"total", "page", "page_size", "rows"}

    patched = await client.patch(
        f"/api/v1/operators/{operator['id']}",
        json={"name": "Мила Операторова", "is_active": False, "max_load": 7},
        headers=headers,
    )
    assert patched.status_code == 200
    assert patched.json() | {"current_load": 1} == patched.json()
    assert (patched.json()["name"], patched.json()["is_active"], patched.json()["max_load"]) == (
        "Мила Операторова",
        False,
        7,
    )
    assert (await client.patch("/api/v1/operators/999", json={"max_load": 1}, headers=headers)).status_code == 404
    bad = await client.patch(f"/api/v1/operators/{operator['id']}", json={"max_load": -1}, headers=headers)
    assert bad.status_code in (400, 422)
    assert (await client.get(f"/api/v1/operators/{operator['id']}", headers=headers)).json()["max_load"] == 7


async def test_competences_replace_the_set_and_an_unknown_operator_is_400(client, db):
    headers = await _admin(client, db)
    anna = await make_operator(db, "anna@example.com")
    boris = await make_operator(db, "boris@example.com")
    source = (await client.post("/api/v1/sources", json={"name": "Бот"}, headers=headers)).json()["id"]
    url = f"/api/v1/sources/{source}/competences"
    first = await client.put(url, json=[{"operator_id": anna, "weight": 10}, {"operator_id": boris, "weight": 30}],
                             headers=headers)  # fmt: skip
    assert first.status_code == 200 and first.json() == [
        {"operator_id": anna, "weight": 10},
        {"operator_id": boris, "weight": 30},
    ]
    second = await client.put(url, json=[{"operator_id": boris, "weight": 5}], headers=headers)
    assert second.json() == [{"operator_id": boris, "weight": 5}]
    assert (await client.get(f"/api/v1/sources/{source}", headers=headers)).json()["weights"] == {str(boris): 5}
    unknown = await client.put(url, json=[{"operator_id": 999, "weight": 5}], headers=headers)
    assert unknown.status_code == 400 and "999" in unknown.json()["detail"]
    assert (await client.get(f"/api/v1/sources/{source}", headers=headers)).json()["weights"] == {str(boris): 5}
    negative = await client.put(url, json=[{"operator_id": boris, "weight": -1}], headers=headers)
    assert negative.status_code in (400, 422)
    assert (await client.put("/api/v1/sources/999/competences", json=[], headers=headers)).status_code == 404
    duplicate = await client.post("/api/v1/sources", json={"name": "бот"}, headers=headers)
    assert duplicate.status_code == 422 and duplicate.json()["errors"][0]["field"] == "name"


async def test_leads_are_found_by_a_phone_in_any_form_an_email_or_an_external_id(client, db):
    headers = await _admin(client, db)
    anna = await make_operator(db, "anna@example.com")
    _source, key = await make_source(db, "Сайт", {anna: 1})
    await post_contact(client, key, phone="+79123456789", email="Ivan@Example.ru", external_id="tg:7", name="Иван")
    await post_contact(client, key, phone="+79990000000", name="Пётр")
    for query in ("phone=8 (912) 345-67-89", "phone=8912", "email=IVAN@example.ru", "external_id=tg:7", "q=ива",
                  "q=+7 912 345", "q=ivan@", "q=tg:7"):  # fmt: skip
        found = (await client.get(f"/api/v1/leads?{query}", headers=headers)).json()
        assert [r["name"] for r in found["rows"]] == ["Иван"], query
    everyone = (await client.get("/api/v1/leads?sort=name", headers=headers)).json()
    assert [r["name"] for r in everyone["rows"]] == ["Иван", "Пётр"] and everyone["total"] == 2
    bad = await client.get("/api/v1/leads?phone=abc", headers=headers)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "phone"
    assert (await client.get("/api/v1/leads?page_size=501", headers=headers)).status_code in (400, 422)


async def test_an_operator_sees_and_closes_only_their_own_contacts(client, db):
    anna = await make_operator(db, "anna@example.com", max_load=5)
    boris = await make_operator(db, "boris@example.com", max_load=5)
    _source, key = await make_source(db, "Сайт", {anna: 1, boris: 1})
    contacts = [(await post_contact(client, key, phone=f"+7912000000{i}")).json() for i in range(4)]
    headers = await bearer(client, "anna@example.com")
    mine = (await client.get("/api/v1/contacts", headers=headers)).json()
    assert mine["total"] == 2 and {r["operator_id"] for r in mine["rows"]} == {anna}
    everyone = (await client.get(f"/api/v1/contacts?operator_id={boris}", headers=headers)).json()
    assert everyone["total"] == 0  # the scope is in the query, whatever the filter asks
    boris_contact = next(c for c in contacts if c["operator_id"] == boris)
    assert (await client.post(f"/api/v1/contacts/{boris_contact['id']}/close", headers=headers)).status_code == 404
    anna_contact = next(c for c in contacts if c["operator_id"] == anna)
    first = await client.post(f"/api/v1/contacts/{anna_contact['id']}/close", headers=headers)
    second = await client.post(f"/api/v1/contacts/{anna_contact['id']}/close", headers=headers)
    assert first.status_code == second.status_code == 200 and second.json()["status"] == "closed"
    load = await db.execute(text("SELECT open_count FROM lead_operators WHERE id = :id"), {"id": anna})
    assert load.scalar_one() == 1
    assert (await client.get("/api/v1/contacts?status=closed", headers=headers)).json()["total"] == 1
    assert (await client.get("/api/v1/contacts?status=maybe", headers=headers)).status_code == 422
    assert (await client.get(f"/api/v1/leads/{boris_contact['lead_id']}", headers=headers)).status_code == 404
    assert (await client.get(f"/api/v1/leads/{anna_contact['lead_id']}", headers=headers)).status_code == 200
    for url in ("/api/v1/operators", "/api/v1/sources", "/api/v1/leads/stats"):
        assert (await client.get(url, headers=headers)).status_code == 403, url


async def test_the_head_role_has_no_lead_permissions(client, db):
    await make_user(db, "head@example.com", ["head"])
    headers = await bearer(client, "head@example.com")
    for url in ("/api/v1/contacts", "/api/v1/leads", "/api/v1/operators", "/api/v1/leads/stats"):
        assert (await client.get(url, headers=headers)).status_code == 403, url


async def test_statistics_give_actual_and_expected_shares_per_source_and_operator(client, db):
    headers = await _admin(client, db)
    light = await make_operator(db, "light@example.com", max_load=100, name="Лёгкий")
    heavy = await make_operator(db, "heavy@example.com", max_load=100, name="Тяжёлый")
    source, key = await make_source(db, "Сайт", {light: 10, heavy: 30})
    for i in range(40):
        await post_contact(client, key, phone=f"+7912{i:07d}")
    stats = await client.get("/api/v1/leads/stats", headers=headers)
    assert stats.status_code == 200
    body = stats.json()
    rows = {r["operator_id"]: r for r in body["rows"] if r["source_id"] == source}
    assert rows[light]["contacts"] + rows[heavy]["contacts"] == 40
    assert rows[light]["expected_share"] == 0.25 and rows[heavy]["expected_share"] == 0.75
    assert abs(rows[light]["share"] - 0.25) <= 0.05
    assert body["sources"] == [
        {"source_id": source, "source_name": "Сайт", "contacts": 40, "unassigned": 0, "total_weight": 40}
    ]
    empty = (await client.get("/api/v1/leads/stats?from=2020-01-01&to=2020-01-31", headers=headers)).json()
    assert empty["from"] == "2020-01-01" and all(r["contacts"] == 0 for r in empty["rows"])
    bad = await client.get("/api/v1/leads/stats?from=2026-13-01", headers=headers)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "from"
    backwards = await client.get("/api/v1/leads/stats?from=2026-02-01&to=2026-01-01", headers=headers)
    assert backwards.status_code == 422


async def test_the_openapi_document_describes_the_desk(client, db):
    schema = (await client.get("/docs/openapi.json")).json()
    intake = schema["paths"]["/api/v1/contacts"]["post"]
    assert any(p["name"] == "X-Intake-Key" for p in intake["parameters"])
    for path in ("/api/v1/operators", "/api/v1/sources/{source_id}/competences", "/api/v1/leads/stats",
                 "/api/v1/leads/{lead_id}", "/api/v1/contacts/{contact_id}/close"):  # fmt: skip
        assert path in schema["paths"], path
