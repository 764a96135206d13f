"""Sign-in, sessions, throttling, sign-out: the acceptance cases of spec/accounts.md."""

from __future__ import annotations

from tests.conftest import DEFAULT_PASSWORD, login, make_user, post_form, set_cookie


async def test_a_user_signs_in_and_lands_on_the_page_they_asked_for(client, db):
    await make_user(db, "anna@example.com", ["admin"], name="Анна")
    first = await client.get("/users", follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["location"] == "/login?next=%2Fusers"

    response = await post_form(
        client,
        "/login",
        {"email": "Anna@Example.com ", "password": DEFAULT_PASSWORD, "next": "/users"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/users"
    page = await client.get("/users")
    assert page.status_code == 200
    assert "anna@example.com" in page.text


async def test_the_session_id_changes_at_sign_in_so_a_planted_id_is_useless(client, db):
    await make_user(db, "anna@example.com", ["admin"])
    await client.get("/login")
    set_cookie(client, "crm_session", "a" * 64)
    await post_form(client, "/login", {"email": "anna@example.com", "password": DEFAULT_PASSWORD})
    new_id = client.cookies.get("crm_session")
    assert new_id and new_id != "a" * 64

    set_cookie(client, "crm_session", "a" * 64)
    assert (await client.get("/users", follow_redirects=False)).status_code == 303


async def test_the_session_cookie_is_httponly_and_samesite_lax(client, db):
    await make_user(db, "anna@example.com", ["admin"])
    response = await post_form(
        client, "/login", {"email": "anna@example.com", "password": DEFAULT_PASSWORD}, follow_redirects=False
    )
    cookie = next(v for k, v in response.headers.multi_items() if k == "set-cookie" and v.startswith("crm_session="))
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie


async def test_a_wrong_password_and_an_unknown_account_get_the_same_answer(client, db):
    await make_user(db, "anna@example.com", ["admin"])
    wrong = await post_form(client, "/login", {"email": "anna@example.com", "password": "not-it-at-all"})
    unknown = await post_form(client, "/login", {"email": "nobody@example.com", "password": "not-it-at-all"})
    assert wrong.status_code == unknown.status_code == 200
    for response in (wrong, unknown):
        assert "Wrong email or password." in response.text or "Неверный email или пароль." in response.text
    assert 'value="anna@example.com"' in wrong.text  # what was typed is kept


async def test_the_sixth_quick_failure_is_throttled_with_a_clear_message(client, db):
    await make_user(db, "anna@example.com", ["admin"])
    for _ in range(5):
        response = await post_form(client, "/login", {"email": "anna@example.com", "password": "wrong-password"})
        assert response.status_code == 200
    sixth = await post_form(client, "/login", {"email": "anna@example.com", "password": DEFAULT_PASSWORD})
    assert sixth.status_code == 429
    assert "Too many failed attempts" in sixth.text or "Слишком много неудачных попыток" in sixth.text
    assert (await client.get("/users", follow_redirects=False)).status_code == 303


async def test_a_login_form_without_the_csrf_token_is_refused(client, db):
    await make_user(db, "anna@example.com", ["admin"])
    await client.get("/login")
    response = await client.post("/login", data={"email": "anna@example.com", "password": DEFAULT_PASSWORD})
    assert response.status_code == 403
    assert "Reload the page" in response.text or "Обновите страницу" in response.text


async def test_sign_out_ends_the_session_on_the_server(client, db):
    await make_user(db, "anna@example.com", ["admin"])
    await login(client, "anna@example.com")
    old_session = client.cookies.get("crm_session")
    await post_form(client, "/logout", {})
    set_cookie(client, "crm_session", old_session)
    assert (await client.get("/users", follow_redirects=False)).status_code == 303


async def test_a_deactivated_user_is_signed_out_and_cannot_sign_in(client, db):
    admin = await make_user(db, "anna@example.com", ["admin"])
    victim = await make_user(db, "bob@example.com", ["manager"])
    await login(client, "bob@example.com")
    bob_cookie = client.cookies.get("crm_session")
    client.cookies.clear()
    await login(client, "anna@example.com")
    response = await post_form(client, f"/users/{victim.id}/active", {"active": "false"}, follow_redirects=False)
    assert response.status_code == 303
    client.cookies.clear()
    set_cookie(client, "crm_session", bob_cookie)
    assert (await client.get("/", follow_redirects=False)).status_code == 303
    client.cookies.clear()
    refused = await post_form(client, "/login", {"email": "bob@example.com", "password": DEFAULT_PASSWORD})
    assert "Wrong email or password." in refused.text or "Неверный email или пароль." in refused.text
    assert admin.id


async def test_an_open_redirect_through_next_is_not_possible(client, db):
    await make_user(db, "anna@example.com", ["admin"])
    response = await post_form(
        client,
        "/login",
        {"email": "anna@example.com", "password": DEFAULT_PASSWORD, "next": "//evil.example/x"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


async def test_a_temporary_password_must_be_changed_before_anything_else(client, db):
    await make_user(db, "new@example.com", ["manager"], must_change_password=True)
    response = await post_form(
        client, "/login", {"email": "new@example.com", "password": DEFAULT_PASSWORD}, follow_redirects=False
    )
    assert response.headers["location"] == "/profile/password"
    blocked = await client.get("/calendar", follow_redirects=False)
    assert blocked.headers["location"] == "/profile/password"
    changed = await post_form(
        client,
        "/profile/password",
        {"current": DEFAULT_PASSWORD, "password": "my-own-secret-9", "password2": "my-own-secret-9"},
        follow_redirects=False,
    )
    assert changed.status_code == 303
    assert (await client.get("/calendar")).status_code == 200


async def test_changing_the_password_signs_out_other_sessions_but_keeps_this_one(client, db, app):
    from litestar.testing import AsyncTestClient

    await make_user(db, "anna@example.com", ["manager"])
    await login(client, "anna@example.com")
    other_cookie = client.cookies.get("crm_session")
    client.cookies.clear()
    await login(client, "anna@example.com")
    bad = await post_form(client, "/profile/password", {"current": "wrong", "password": "x", "password2": "x"})
    assert bad.status_code == 422
    ok = await post_form(
        client,
        "/profile/password",
        {"current": DEFAULT_PASSWORD, "password": "brand-new-pass-1", "password2": "brand-new-pass-1"},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    assert (await client.get("/profile")).status_code == 200
    set_cookie(client, "crm_session", other_cookie)
    assert (await client.get("/profile", follow_redirects=False)).status_code == 303
    assert AsyncTestClient


async def test_an_unchanged_session_is_not_written_back_on_every_request(client, db):
    await make_user(db, "anna@example.com", ["admin"])
    await login(client, "anna@example.com")
    await client.get("/profile")
    quiet = await client.get("/profile")
    assert quiet.status_code == 200
    assert not any(v.startswith("crm_session=") for k, v in quiet.headers.multi_items() if k == "set-cookie")
    changed = await post_form(client, "/profile", {"name": "Анна", "locale": "ru"}, follow_redirects=False)
    assert any(v.startswith("crm_session=") for k, v in changed.headers.multi_items() if k == "set-cookie")
