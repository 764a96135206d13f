"""The JSON API: tokens, refresh rotation, logout, personal tokens, list format, errors."""

from __future__ import annotations

from tests.conftest import DEFAULT_PASSWORD, login, make_user, post_form


async def _tokens(client, email="anna@example.com", password=DEFAULT_PASSWORD):
    response = await client.post("/api/v1/auth/token", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_token_pair_gives_access_to_the_api(client, db):
    await make_user(db, "anna@example.com", ["admin"], name="Анна")
    pair = await _tokens(client)
    assert pair["token_type"] == "bearer" and pair["access_token"] and pair["refresh_token"]
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {pair['access_token']}"})
    assert me.status_code == 200
    assert me.json()["email"] == "anna@example.com" and me.json()["roles"] == ["admin"]


async def test_wrong_credentials_get_401_json_without_saying_which_part(client, db):
    await make_user(db, "anna@example.com", ["admin"])
    for body in (
        {"email": "anna@example.com", "password": "nope"},
        {"email": "ghost@example.com", "password": "nope"},
    ):
        response = await client.post("/api/v1/auth/token", json=body)
        assert response.status_code == 401
        assert response.json()["detail"] == "Wrong email or password"


async def test_a_malformed_body_gets_a_4xx_naming_the_field(client, db):
    response = await client.post("/api/v1/auth/token", json={"email": "anna@example.com"})
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] and any(e["field"] == "password" for e in body["errors"])
    broken = await client.post("/api/v1/auth/token", content=b"{not json", headers={"content-type": "application/json"})
    assert 400 <= broken.status_code < 500


async def test_a_refresh_token_works_once_and_logout_revokes_it(client, db):
    await make_user(db, "anna@example.com", ["admin"])
    pair = await _tokens(client)
    renewed = await client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert renewed.status_code == 200
    reused = await client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert reused.status_code == 401
    new = renewed.json()
    assert (await client.post("/api/v1/auth/logout", json={"refresh_token": new["refresh_token"]})).status_code == 204
    after = await client.post("/api/v1/auth/refresh", json={"refresh_token": new["refresh_token"]})
    assert after.status_code == 401


async def test_calls_without_or_with_a_bad_token_get_401_json(client, db):
    assert (await client.get("/api/v1/me")).status_code == 401
    bad = await client.get("/api/v1/me", headers={"Authorization": "Bearer garbage"})
    assert bad.status_code == 401 and bad.json()["detail"]


async def test_the_api_ignores_the_browser_session_cookie(client, db):
    await make_user(db, "anna@example.com", ["admin"])
    await login(client, "anna@example.com")
    assert (await client.get("/api/v1/me")).status_code == 401


async def test_lists_answer_total_page_page_size_rows_and_respect_permissions(client, db):
    await make_user(db, "anna@example.com", ["admin"])
    await make_user(db, "bob@example.com", ["manager"])
    for i in range(7):
        await make_user(db, f"op{i}@example.com", ["operator"])
    admin = await _tokens(client)
    headers = {"Authorization": f"Bearer {admin['access_token']}"}
    page = await client.get("/api/v1/users?page=2&page_size=3&sort=-email&role=operator", headers=headers)
    assert page.status_code == 200
    body = page.json()
    assert (body["total"], body["page"], body["page_size"]) == (7, 2, 3)
    assert [r["email"] for r in body["rows"]] == ["op3@example.com", "op2@example.com", "op1@example.com"]
    too_big = await client.get("/api/v1/users?page_size=501", headers=headers)
    assert too_big.status_code in (400, 422)

    bob = await _tokens(client, "bob@example.com")
    forbidden = await client.get("/api/v1/users", headers={"Authorization": f"Bearer {bob['access_token']}"})
    assert forbidden.status_code == 403 and forbidden.json()["detail"]


async def test_a_personal_api_token_acts_for_its_owner_until_revoked(client, db):
    await make_user(db, "anna@example.com", ["manager"])
    await login(client, "anna@example.com")
    created = await post_form(
        client, "/profile/tokens", {"name": "script"}, headers={"HX-Request": "true", "HX-Target": "tokens"}
    )
    assert created.status_code == 200
    token = created.text.split('class="token" tabindex="0">')[1].split("<")[0]
    assert token.startswith("crm_")
    headers = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/api/v1/me", headers=headers)).json()["email"] == "anna@example.com"

    from sqlalchemy import select

    from crm.features.accounts.models import ApiToken

    row = await db.scalar(select(ApiToken))
    assert row.token_hash != token and row.last_used_at is not None
    await post_form(client, f"/profile/tokens/{row.id}/revoke", {})
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 401


async def test_the_openapi_document_describes_the_auth_endpoints(client, db):
    schema = await client.get("/docs/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert {"/api/v1/auth/token", "/api/v1/auth/refresh", "/api/v1/auth/logout", "/api/v1/users"} <= set(paths)
    ui = await client.get("/docs")
    assert ui.status_code == 200 and "swagger-ui" in ui.text
