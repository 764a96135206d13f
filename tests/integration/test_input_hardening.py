"""A NUL character or an integer beyond 64 bits anywhere in a request is refused with a 4xx and a reason.

PostgreSQL cannot store U+0000 in text and asyncpg cannot send an integer outside int64; both used to surface
as 500s. One guard in front of every route (crm.lib.input_guard) refuses them, wherever they come in.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from litestar.handlers import HTTPRouteHandler
from sqlalchemy import func, select

from crm.features.accounts.models import User
from tests.conftest import DEFAULT_PASSWORD, csrf_token, login, make_user, post_form, prime_csrf

HUGE = "99999999999999999999"  # > 2**63 - 1
NUL = "a\x00b"


async def _admin_token(client, db) -> dict[str, str]:
    await make_user(db, "admin@example.com", ["admin"])
    response = await client.post(
        "/api/v1/auth/token", json={"email": "admin@example.com", "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _api_422(response, field: str) -> None:
    assert response.status_code == 422, (response.status_code, response.text)
    body = response.json()
    assert "NUL" in body["detail"] or "range" in body["detail"], body
    assert any(e["field"] == field for e in body["errors"]), body


async def test_nul_in_the_sign_in_bodies_is_a_422_naming_the_field_before_authentication(client, db):
    await make_user(db, "admin@example.com", ["admin"])
    token = await client.post("/api/v1/auth/token", json={"email": "admin@example.com\x00", "password": "x"})
    _api_422(token, "email")
    refresh = await client.post("/api/v1/auth/refresh", json={"refresh_token": NUL})
    _api_422(refresh, "refresh_token")

    form = await post_form(client, "/login", {"email": NUL, "password": DEFAULT_PASSWORD})
    assert form.status_code == 422 and "NUL" in form.text
    forgot = await post_form(client, "/password/forgot", {"email": "x\x00@example.com"})
    assert forgot.status_code == 422 and "text/html" in forgot.headers["content-type"]
    # A NUL in the field's name is refused too.
    named = await post_form(client, "/login", {"em\x00ail": "a@example.com", "password": "x"})
    assert named.status_code == 422
    # The account still signs in afterwards: nothing was counted as a failed attempt.
    await login(client, "admin@example.com")


async def test_nul_in_a_json_body_at_any_depth_is_a_422_with_the_path_of_the_field(client, db):
    headers = await _admin_token(client, db)
    intake = await client.post(
        "/api/v1/contacts", json={"lead": {"phone": "+79123456789", "name": NUL}, "message": "hi"}, headers=headers
    )
    _api_422(intake, "lead.name")
    listed = await client.post(
        "/api/v1/contacts", json={"lead": {"email": "a@b.ru"}, "tags": ["x", NUL]}, headers=headers
    )
    _api_422(listed, "tags[1]")
    # The escaped text "\\u0000" (a backslash, then u0000) is ordinary text, not a NUL.
    escaped = await client.post(
        "/api/v1/auth/token",
        content=b'{"email": "a\\\\u0000@example.com", "password": "x"}',
        headers={"content-type": "application/json"},
    )
    assert escaped.status_code == 401


@pytest.mark.parametrize(
    "url",
    [
        "/users?q=a%00b",
        "/companies?q=%00",
        "/leads?q=x%00",
        "/audit?q=%00",
        "/telegrams?inp_num=1%00",
        "/employees?q=%00",
        "/users?q%00=1",
    ],
)
async def test_nul_in_a_filter_of_an_html_list_is_a_422_page(client, db, url):
    await make_user(db, "admin@example.com", ["admin"])
    await login(client, "admin@example.com")
    response = await client.get(url)
    assert response.status_code == 422, (url, response.status_code)
    assert "text/html" in response.headers["content-type"] and "NUL" in response.text


async def test_nul_in_a_filter_of_an_api_list_is_a_422_naming_the_parameter(client, db):
    headers = await _admin_token(client, db)
    for url, field in [
        ("/api/v1/users?q=a%00b", "q"),
        ("/api/v1/companies?q=%00", "q"),
        ("/api/v1/contacts?status=open%00", "status"),
        ("/api/v1/telegrams?sort=%00", "sort"),
    ]:
        _api_422(await client.get(url, headers=headers), field)


async def test_nul_in_a_form_post_of_a_signed_in_admin_is_a_422_and_nothing_is_saved(client, db):
    await make_user(db, "admin@example.com", ["admin"])
    await login(client, "admin@example.com")
    response = await post_form(
        client,
        "/users",
        {"email": "new@example.com", "name": NUL, "roles": "manager", "password": "a-long-pass-phrase-1"},
    )
    assert response.status_code == 422 and "NUL" in response.text
    assert await db.scalar(select(func.count()).select_from(User)) == 1


async def test_nul_in_a_multipart_text_field_is_refused_but_a_nul_inside_an_uploaded_file_is_not(client, db):
    await make_user(db, "admin@example.com", ["admin"])
    await login(client, "admin@example.com")
    token = await prime_csrf(client)
    refused = await client.post(
        "/tariffs/import",
        data={"_csrf_token": token, "note": NUL},
        files={"file": ("sheet.csv", b"a;b\n1;2\n", "text/csv")},
    )
    assert refused.status_code == 422 and "NUL" in refused.text
    binary = await client.post(
        "/tariffs/import",
        data={"_csrf_token": csrf_token(client)},
        files={"file": ("sheet.xlsx", b"PK\x03\x04\x00\x00\x00binary", "application/octet-stream")},
    )
    assert binary.status_code != 422 or "NUL" not in binary.text
    assert binary.status_code < 500
    for field in (b"a\xed\xa0\x80\xff", b"\x00"):  # not UTF-8 (Litestar's decoder raised: a 500), a NUL
        signing_in = await client.post(
            "/login",
            data={"_csrf_token": csrf_token(client)},
            files={"email": (None, field, "text/plain"), "password": (None, b"x")},
        )
        assert signing_in.status_code == 422, signing_in.status_code


async def test_nul_in_the_address_is_a_404(client, db):
    assert (await client.get("/static/app.css")).status_code == 200
    for url in ("/static/app.css%00", "/static/%00app.css", "/login%00"):
        response = await client.get(url)
        assert response.status_code == 404, (url, response.status_code)
    headers = await _admin_token(client, db)
    api = await client.get("/api/v1/telegrams/ab%00c", headers=headers)
    assert api.status_code == 404 and api.json()["detail"]


async def test_an_id_beyond_64_bits_in_the_address_is_a_404(client, db):
    headers = await _admin_token(client, db)
    await login(client, "admin@example.com")
    for url in (
        f"/companies/{HUGE}",
        f"/leads/{HUGE}",
        f"/registries/{HUGE}",
        f"/telegram-clients/{HUGE}",
        f"/tariffs/russian/{HUGE}",
        f"/users/{HUGE}",
    ):
        response = await client.get(url)
        assert response.status_code == 404, (url, response.status_code)
    for url in (
        f"/api/v1/companies/{HUGE}",
        f"/api/v1/leads/{HUGE}",
        f"/api/v1/operators/{HUGE}",
        f"/api/v1/sources/{HUGE}",
        f"/api/v1/registries/{HUGE}",
        f"/api/v1/users/{HUGE}",
    ):
        response = await client.get(url, headers=headers)
        assert response.status_code == 404, (url, response.status_code)
        assert response.json()["detail"]
    # The edge of the range is an ordinary id that does not exist.
    assert (await client.get(f"/api/v1/companies/{2**63 - 1}", headers=headers)).status_code == 404
    closing = await client.post(f"/api/v1/contacts/{HUGE}/close", headers=headers)
    assert closing.status_code == 404


async def test_an_integer_filter_beyond_64_bits_is_a_422_naming_it_or_is_ignored(client, db):
    headers = await _admin_token(client, db)
    for url, field in [
        (f"/api/v1/contacts?source_id={HUGE}", "source_id"),
        (f"/api/v1/contacts?lead_id=-{HUGE}", "lead_id"),
        (f"/api/v1/users?page={HUGE}", "page"),
        (f"/api/v1/companies?page_size={HUGE}", "page_size"),
    ]:
        response = await client.get(url, headers=headers)
        _api_422(response, field)
    await login(client, "admin@example.com")
    for url in (
        f"/users?page={HUGE}",
        f"/users?department={HUGE}",
        f"/companies?responsible={HUGE}&department={HUGE}",
        f"/leads?operator={HUGE}",
        f"/leads/contacts?source={HUGE}",
        f"/telegrams?page={HUGE}",
    ):
        response = await client.get(url)
        assert response.status_code in (200, 422), (url, response.status_code)


async def test_a_text_filter_may_hold_a_long_number(client, db):
    """A 20-digit bank account typed into a search box is text, not an integer out of range."""
    headers = await _admin_token(client, db)
    response = await client.get(f"/api/v1/users?q={HUGE}", headers=headers)
    assert response.status_code == 200 and response.json()["total"] == 0


async def test_database_data_errors_and_overflows_that_slip_through_are_422_not_500(client, db):
    from litestar.testing import RequestFactory

    from crm.lib import errors

    request = RequestFactory().get("/api/v1/anything")
    response = errors.handle_bad_data(request, OverflowError("value out of int64 range"))
    assert response.status_code == 422
    page = errors.handle_bad_data(RequestFactory().get("/users"), OverflowError("value out of int64 range"))
    assert page.status_code == 422


def _filter_names() -> set[str]:
    """Every query parameter a page reads (``params.get("q")``, ``request.query_params.get("page")``...)."""
    sources = Path(__file__).resolve().parents[2] / "src" / "crm"
    pattern = re.compile(r"""(?:params|query_params|query|q)\.get(?:all)?\(\s*["']([a-z_]+)["']""")
    return {name for file in sources.rglob("*.py") for name in pattern.findall(file.read_text(encoding="utf-8"))}


def _page_urls(app) -> list[str]:
    """One address of every HTML page the app serves by GET, path parameters filled in."""
    urls = set()
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if not isinstance(handler, HTTPRouteHandler) or "GET" not in handler.http_methods:
                continue
            if route.path.startswith(("/api/", "/docs", "/static", "/health")):
                continue
            url = re.sub(r"\{\w+:int\}", "1", route.path)
            url = re.sub(r"\{\w+:uuid\}", "00000000-0000-0000-0000-000000000001", url)
            urls.add(re.sub(r"\{\w+:\w+\}", "x", url))
    return sorted(urls)


async def test_every_page_answers_extreme_values_in_every_filter_without_a_server_error(client, db, app):
    """Numbers beyond 64 bits, thousands of digits, dates at the ends of the calendar, bad UTF-8 and NULs in
    every filter any page reads, on the page and its CSV export: a page or a 4xx, never a 500."""
    await make_user(db, "admin@example.com", ["admin"])
    await login(client, "admin@example.com")
    names = _filter_names() - {"format"}
    assert {"q", "page", "department"} <= names
    values = (HUGE, f"-{HUGE}", "9" * 400, "1e999", "0001-01-01", "9999-12-31", "%FF", "1%00")
    failures = []
    for url in _page_urls(app):
        for value in values:
            for export in ("", "&format=csv"):
                query = "&".join(f"{name}={value}" for name in sorted(names)) + export
                response = await client.get(f"{url}?{query}")
                if response.status_code >= 500:
                    failures.append((url, value[:20], export, response.status_code))
    assert not failures
