"""Every list endpoint of /api/v1 answers the spec's contract (../shared/spec/README.md): `page` from 1,
`page_size` default 50 and at most 500, `sort` (a key, `-` for descending; an unknown key is a 422 naming
`sort`), the envelope {"total", "page", "page_size", "rows"}, an empty page past the end, and yes/no filters that
take true/false, yes/no, 1/0 and answer 422 naming the parameter for anything else.

The list endpoints are found in the OpenAPI document, so a new one is checked without being added here; the ones
that are not lists are named in NOT_LISTS."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import DEFAULT_PASSWORD, make_user

NOT_LISTS = {
    "/api/v1/me",
    "/api/v1/leads/stats",
    "/api/v1/plans/stats",
    "/api/v1/reports/sales",
    "/api/v1/tariffs/quote",
    "/api/v1/analysis/summary",
}
# parameters a list cannot do without
REQUIRED = {"/api/v1/registries": {"month": "2026-12"}, "/api/v1/analysis/clients": {"month": "2026-12"}}
# yes/no filters: (parameter, takes "all")
BOOLEANS = {
    "/api/v1/companies": [("active", True)],
    "/api/v1/employees": [("active", True)],
    "/api/v1/users": [("active", True)],
    "/api/v1/erp-clients": [("new", True)],
    "/api/v1/reports/communications": [("has_active", True)],
    "/api/v1/tasks": [("overdue", True)],
}
ENVELOPE = {"total", "page", "page_size", "rows"}


def _list_paths() -> list[str]:
    from crm.app import create_app

    schema = create_app().openapi_schema.to_schema()
    return sorted(
        path
        for path, item in schema["paths"].items()
        if path.startswith("/api/v1/") and "{" not in path and "get" in item and path not in NOT_LISTS
    )


LIST_PATHS = _list_paths()


def test_every_known_list_is_found():
    expected = {
        "/api/v1/alerts",
        "/api/v1/analysis/clients",
        "/api/v1/companies",
        "/api/v1/contacts",
        "/api/v1/deals",
        "/api/v1/departments",
        "/api/v1/employees",
        "/api/v1/erp-clients",
        "/api/v1/goals",
        "/api/v1/leads",
        "/api/v1/operators",
        "/api/v1/registries",
        "/api/v1/reports/communications",
        "/api/v1/sales",
        "/api/v1/sources",
        "/api/v1/strategies",
        "/api/v1/tasks",
        "/api/v1/telegrams",
        "/api/v1/users",
    }
    assert expected <= set(LIST_PATHS)


def _declared(path: str) -> dict[str, Any]:
    from crm.app import create_app

    operation = create_app().openapi_schema.to_schema()["paths"][path]["get"]
    return {p["name"]: p for p in operation.get("parameters", [])}


@pytest.fixture
async def auth(client, db) -> dict[str, str]:
    await make_user(db, "admin@example.com", ["admin"], name="Admin")
    await make_user(db, "second@example.com", ["manager"], name="Second")
    answer = await client.post("/api/v1/auth/token", json={"email": "admin@example.com", "password": DEFAULT_PASSWORD})
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def _fields(answer: Any) -> list[str]:
    return [e.get("field") for e in answer.json().get("errors", [])]


@pytest.mark.parametrize("path", LIST_PATHS)
async def test_a_list_answers_the_contract(client, auth, path):
    base = REQUIRED.get(path, {})
    declared = _declared(path)
    assert {"page", "page_size"} <= set(declared), f"{path} must declare page and page_size"
    assert declared["page_size"]["schema"].get("maximum") == 500

    first = await client.get(path, params={**base, "page": 1, "page_size": 1}, headers=auth)
    assert first.status_code == 200, first.text
    body = first.json()
    assert set(body) >= ENVELOPE and body["page"] == 1 and body["page_size"] == 1
    assert isinstance(body["rows"], list) and len(body["rows"]) <= 1 and body["total"] >= len(body["rows"])

    default = (await client.get(path, params=base, headers=auth)).json()
    assert default["page_size"] == 50 or path == "/api/v1/reports/communications"  # the report's own setting

    for bad in ({"page_size": 501}, {"page_size": 0}, {"page": 0}):
        refused = await client.get(path, params={**base, **bad}, headers=auth)
        assert refused.status_code in (400, 422), (path, bad, refused.text)
        assert _fields(refused) == list(bad), (path, bad, refused.text)

    if path != "/api/v1/reports/communications":  # the report shows its last page (it has totals per page)
        past = (await client.get(path, params={**base, "page": 10_000, "page_size": 5}, headers=auth)).json()
        assert past["rows"] == [] and past["page"] == 10_000 and past["total"] == default["total"]

    if "sort" in declared:
        unknown = await client.get(path, params={**base, "sort": "no_such_key"}, headers=auth)
        assert unknown.status_code == 422 and "sort" in _fields(unknown), (path, unknown.text)
        key = str(declared["sort"]["schema"].get("default") or "").split(",")[0].lstrip("-")
        if key:
            for sort in (key, f"-{key}"):
                assert (await client.get(path, params={**base, "sort": sort}, headers=auth)).status_code == 200

    for name, takes_all in BOOLEANS.get(path, []):
        assert name in declared, f"{path} must declare {name}"
        for word in ("true", "false", "yes", "no", "1", "0", *(("all",) if takes_all else ())):
            answer = await client.get(path, params={**base, name: word}, headers=auth)
            assert answer.status_code == 200, (path, name, word, answer.text)
        refused = await client.get(path, params={**base, name: "maybe"}, headers=auth)
        assert refused.status_code == 422 and _fields(refused) == [name], (path, name, refused.text)


async def test_sorting_and_paging_of_a_list_go_through_every_row_once(client, auth, db):
    for n in range(5):
        await make_user(db, f"user{n}@example.com", ["manager"], name="Same name")
    seen: list[str] = []
    for page in (1, 2, 3, 4):
        answer = await client.get("/api/v1/users", params={"sort": "-name", "page": page, "page_size": 2}, headers=auth)
        seen += [row["email"] for row in answer.json()["rows"]]
    assert len(seen) == len(set(seen)) == 7


async def test_departments_are_a_paged_list_with_parents_and_inherited_heads(client, auth, db):
    from crm.features.org.models import Department

    root = Department(name="Sales", bitrix_id=1, head_bitrix_id=10)
    db.add(root)
    await db.flush()
    db.add(Department(name="East", bitrix_id=2, parent_id=root.id))
    await db.commit()
    body = (await client.get("/api/v1/departments", params={"sort": "name"}, headers=auth)).json()
    assert body["total"] == 2
    east, sales = body["rows"]
    assert (east["name"], east["parent_id"], east["head_id"], east["head_inherited"]) == ("East", root.id, 10, True)
    assert (sales["name"], sales["parent_id"], sales["head_id"], sales["head_inherited"]) == ("Sales", None, 10, False)
    children = (await client.get("/api/v1/departments", params={"parent_id": root.id}, headers=auth)).json()
    assert [d["name"] for d in children["rows"]] == ["East"]
