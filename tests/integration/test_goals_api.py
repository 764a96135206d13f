"""The goals and analysis API (spec/goals.md, "Contracts"): CRUD with 12 targets, repeat/grow, the client table
and the summary with their scope (a manager's own clients and goals, a head's subtree), overrides, bad input."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from crm.features.org.models import Department
from tests.conftest import make_user
from tests.integration.test_goals_analysis_rules import LINES, put_sales
from tests.integration.test_plans_api import bearer


async def team(db: Any) -> dict[str, Any]:
    """Sales (head: Oleg) ⊃ Key accounts (manager: Maria); Regions (manager: Ivan); an admin."""
    sales = Department(name="Sales")
    db.add(sales)
    await db.flush()
    key = Department(name="Key accounts", parent_id=sales.id)
    regions = Department(name="Regions")
    db.add_all([key, regions])
    await db.flush()
    people = {
        "admin": await make_user(db, "admin@example.com", ["admin"], name="Anna"),
        "head": await make_user(db, "head@example.com", ["head"], name="Oleg", department_id=sales.id),
        "maria": await make_user(db, "maria@example.com", ["manager"], name="Maria", department_id=key.id),
        "ivan": await make_user(db, "ivan@example.com", ["manager"], name="Ivan", department_id=regions.id),
    }
    return people


def targets(value: int) -> dict[str, int]:
    return {str(m): value for m in range(1, 13)}


async def test_a_head_creates_reads_changes_and_deletes_a_goal_of_a_team_member(client, db) -> None:
    p = await team(db)
    h = await bearer(client, "head@example.com")
    body = {
        "variable": "revenue",
        "family": "Paint",
        "responsible_id": str(p["maria"].id),
        "year": 2026,
        "targets": targets(100000),
    }
    created = await client.post("/api/v1/goals", json=body, headers=h)
    assert created.status_code == 201, created.text
    goal = created.json()
    assert goal["targets"]["12"] == 100000 and goal["total"] == 1200000 and goal["responsible"] == "Maria"
    changed = await client.patch(f"/api/v1/goals/{goal['id']}", json={"targets": {"2": "150 000,50"}}, headers=h)
    assert changed.status_code == 200, changed.text
    assert changed.json()["targets"]["2"] == 150000.5 and changed.json()["targets"]["3"] == 100000
    listed = await client.get("/api/v1/goals?year=2026&variable=revenue", headers=h)
    assert listed.json()["total"] == 1 and set(listed.json()) == {"total", "page", "page_size", "rows"}
    assert (await client.delete(f"/api/v1/goals/{goal['id']}", headers=h)).status_code == 204
    assert (await client.get(f"/api/v1/goals/{goal['id']}", headers=h)).status_code == 404


async def test_repeat_fills_the_following_months_and_grow_compounds_rounded_to_kopecks(client, db) -> None:
    p = await team(db)
    h = await bearer(client, "admin@example.com")
    body = {"variable": "revenue", "responsible_id": str(p["ivan"].id), "year": 2026, "targets": targets(1000)}
    goal = (await client.post("/api/v1/goals", json=body, headers=h)).json()
    repeated = await client.post(
        f"/api/v1/goals/{goal['id']}/repeat", json={"from_month": 3, "value": 120000}, headers=h
    )
    assert repeated.status_code == 200, repeated.text
    t = repeated.json()["targets"]
    assert (t["2"], t["3"], t["12"]) == (1000, 120000, 120000)
    grown = await client.post(
        f"/api/v1/goals/{goal['id']}/repeat", json={"from_month": 10, "value": 100.01, "grow_percent": 5}, headers=h
    )
    t = grown.json()["targets"]
    # 100.01 → 105.0105 → 105.01 → 110.2605 → 110.26 (month over month, half-up to kopecks)
    assert (t["9"], t["10"], t["11"], t["12"]) == (120000, 100.01, 105.01, 110.26)


async def test_bad_goal_input_answers_422_with_the_field_and_saves_nothing(client, db) -> None:
    p = await team(db)
    h = await bearer(client, "admin@example.com")
    cases = [
        {"variable": "profit", "responsible_id": str(p["ivan"].id), "year": 2026, "targets": targets(1)},
        {"variable": "revenue", "responsible_id": str(p["ivan"].id), "year": 1999, "targets": targets(1)},
        {"variable": "revenue", "responsible_id": "not-a-uuid", "year": 2026, "targets": targets(1)},
        {"variable": "revenue", "responsible_id": str(p["ivan"].id), "year": 2026, "targets": {"13": 5}},
        {"variable": "revenue", "responsible_id": str(p["ivan"].id), "year": 2026, "targets": {"1": "десять"}},
        {"variable": "revenue", "responsible_id": str(p["ivan"].id), "year": 2026, "targets": {"1": -5}},
    ]
    for body in cases:
        answer = await client.post("/api/v1/goals", json=body, headers=h)
        assert answer.status_code == 422, (body, answer.text)
        assert answer.json()["errors"], answer.text
    goal = (await client.post("/api/v1/goals", json={**cases[0], "variable": "revenue"}, headers=h)).json()
    for body in ({"from_month": 13, "value": 1}, {"from_month": 2}, {"from_month": 2, "grow_percent": "x"}):
        answer = await client.post(f"/api/v1/goals/{goal['id']}/repeat", json=body, headers=h)
        assert answer.status_code == 422, (body, answer.text)
    assert (await client.get("/api/v1/goals", headers=h)).json()["total"] == 1


async def test_managers_see_their_own_goals_and_clients_heads_their_subtree(client, db) -> None:
    p = await team(db)
    a = await bearer(client, "admin@example.com")
    for who in ("maria", "ivan"):
        body = {"variable": "revenue", "responsible_id": str(p[who].id), "year": 2026, "targets": targets(100)}
        assert (await client.post("/api/v1/goals", json=body, headers=a)).status_code == 201
    await put_sales(db, LINES, responsible={"A01": p["maria"].id, "B02": p["maria"].id, "C03": p["ivan"].id})
    maria = await bearer(client, "maria@example.com")
    h = await bearer(client, "head@example.com")
    i = await bearer(client, "ivan@example.com")
    assert [g["responsible"] for g in (await client.get("/api/v1/goals", headers=maria)).json()["rows"]] == ["Maria"]
    assert [g["responsible"] for g in (await client.get("/api/v1/goals", headers=h)).json()["rows"]] == ["Maria"]
    rows = (await client.get("/api/v1/analysis/clients?variable=revenue&month=2026-03", headers=h)).json()["rows"]
    assert {r["code"] for r in rows} == {"A01", "B02"}
    ivan_goal = (await client.get("/api/v1/goals", headers=i)).json()["rows"][0]["id"]
    maria_goal = (await client.get("/api/v1/goals", headers=h)).json()["rows"][0]["id"]
    assert (await client.get(f"/api/v1/goals/{maria_goal}", headers=i)).status_code == 404
    assert (await client.get(f"/api/v1/goals/{ivan_goal}", headers=h)).status_code == 404
    a01 = rows[[r["code"] for r in rows].index("A01")]["client_id"]
    put = {"variable": "revenue", "category": "Falling", "reason": "Price"}
    assert (await client.put(f"/api/v1/analysis/clients/{a01}/category", json=put, headers=i)).status_code == 404
    summary = (await client.get("/api/v1/analysis/summary?variable=revenue&year=2026", headers=i)).json()
    assert summary["months"][2] == {"month": "2026-03", "target": 100, "actual": 200, "percent": 200}
    assert summary["total"]["target"] == 1200


async def test_the_client_table_answers_the_contract_and_keeps_a_manual_category(client, db) -> None:
    await team(db)
    await put_sales(db, LINES)
    h = await bearer(client, "admin@example.com")
    answer = await client.get("/api/v1/analysis/clients?variable=revenue&month=2026-03&sort=-revenue,code", headers=h)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["total"] == 7 and body["page"] == 1
    first = body["rows"][0]
    assert set(first) == {
        "client_id",
        "code",
        "name",
        "revenue",
        "i1",
        "i2",
        "i3",
        "i4",
        "abc",
        "category",
        "reason",
        "category_manual",
        "last_purchase",
        "responsible",
    }
    assert [r["code"] for r in body["rows"][:3]] == ["B02", "C03", "A01"]
    a01 = body["rows"][2]
    assert a01 == {**a01, "revenue": 150, "i1": -25, "i4": 275, "abc": "A", "last_purchase": "2026-03-31"}
    assert a01["category"] == "Growing" and a01["category_manual"] is False  # I3 = +25 ≥ 10
    put = {"variable": "revenue", "category": "Falling", "reason": "Price"}
    answer = await client.put(f"/api/v1/analysis/clients/{a01['client_id']}/category", json=put, headers=h)
    assert answer.status_code == 200, answer.text
    rows = (
        await client.get("/api/v1/analysis/clients?variable=revenue&month=2026-03&category=Falling", headers=h)
    ).json()
    assert [(r["code"], r["category"], r["reason"], r["category_manual"]) for r in rows["rows"]] == [
        ("A01", "Falling", "Price", True)
    ]
    abc_c = (await client.get("/api/v1/analysis/clients?variable=revenue&month=2026-03&abc=C", headers=h)).json()
    assert [r["code"] for r in abc_c["rows"]] == ["F06"]
    filtered = await client.get("/api/v1/analysis/clients?month=2026-03&f1=i1:lt:0&f2=revenue:gt:0", headers=h)
    assert {r["code"] for r in filtered.json()["rows"]} == {"A01", "C03"}
    bad = {"variable": "revenue", "category": "Nonexistent"}
    assert (
        await client.put(f"/api/v1/analysis/clients/{a01['client_id']}/category", json=bad, headers=h)
    ).status_code == 422


async def test_bad_analysis_parameters_answer_422_naming_the_parameter(client, db) -> None:
    await team(db)
    h = await bearer(client, "admin@example.com")
    for url in (
        "/api/v1/analysis/clients?month=2026-13",
        "/api/v1/analysis/clients?month=march",
        "/api/v1/analysis/clients?month=2026-03&variable=profit",
        "/api/v1/analysis/clients?month=2026-03&sort=password",
        "/api/v1/analysis/clients?month=2026-03&sort=a,b,c",
        "/api/v1/analysis/clients?month=2026-03&f1=revenue:gt:ten",
        "/api/v1/analysis/clients?month=2026-03&f1=revenue:like:1",
        "/api/v1/analysis/summary?year=20266",
    ):
        answer = await client.get(url, headers=h)
        assert answer.status_code == 422, (url, answer.text)
        assert answer.json()["errors"][0]["field"], answer.text


async def test_people_without_goals_view_get_403_and_managers_cannot_change_goals(client, db) -> None:
    p = await team(db)
    await make_user(db, "op@example.com", ["operator"])
    op = await bearer(client, "op@example.com")
    assert (await client.get("/api/v1/goals", headers=op)).status_code == 403
    maria = await bearer(client, "maria@example.com")
    body = {"variable": "revenue", "responsible_id": str(p["maria"].id), "year": 2026, "targets": targets(1)}
    assert (await client.post("/api/v1/goals", json=body, headers=maria)).status_code == 403
    assert Decimal(1)
