"""Issue 9 of the tracker: no reset link in the queue or the logs, the forced password change holds for every way
in, no lockout of the owner from elsewhere, refresh-token reuse ends the family, sign-out expires the cookie."""

from __future__ import annotations

import logging
import re
import socket
import time
from dataclasses import replace
from statistics import median
from typing import Any

import pytest
from litestar.testing import transport
from sqlalchemy import text

from crm.config import get_settings
from crm.lib import security
from tests.conftest import DEFAULT_PASSWORD, drain_queue, login, make_user, post_form

# --------------------------------------------------------------------------- helpers


@pytest.fixture
def peers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Requests may say which address they come from (``x-test-peer``): the test client's peer is fixed."""
    original = transport.TestClientTransport.parse_request

    def parse_request(self: Any, request: Any) -> dict[str, Any]:
        scope = original(self, request)
        peer = request.headers.get("x-test-peer")
        if peer:
            scope["client"] = (peer, 50000)
            scope["headers"] = [(k, v) for k, v in scope["headers"] if k != b"x-test-peer"]
        return scope

    monkeypatch.setattr(transport.TestClientTransport, "parse_request", parse_request)


def _trust_proxies(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    patched = replace(get_settings(), trusted_proxies=value)
    monkeypatch.setattr("crm.lib.auth.get_settings", lambda: patched)


async def _sign_in(client: Any, email: str, password: str, **headers: str) -> Any:
    return await post_form(
        client, "/login", {"email": email, "password": password}, headers=headers, follow_redirects=False
    )


async def _reset_jobs(db: Any) -> list[str]:
    rows = await db.execute(text("SELECT convert_from(job, 'UTF8') FROM saq_jobs"))
    return [row[0] for row in rows if "send_password_reset" in row[0]]


async def _drop_reset_jobs(db: Any) -> None:
    await db.execute(text("DELETE FROM saq_jobs WHERE convert_from(job, 'UTF8') LIKE '%send_password_reset%'"))
    await db.commit()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --------------------------------------------------------------------------- (4) no reset link in the queue or logs


async def test_a_reset_job_keeps_no_link_in_the_queue_or_the_logs_when_the_mail_server_is_down(
    client, db, caplog, monkeypatch
):
    await make_user(db, "anna@example.com", ["manager"], locale="en")
    minted: list[str] = []
    original = security.new_opaque_token

    def recording(prefix: str = "") -> str:
        token = original(prefix)
        minted.append(token)
        return token

    monkeypatch.setattr(security, "new_opaque_token", recording)
    from crm.workers import mail as mail_jobs

    real = mail_jobs.with_effective_smtp
    down = _closed_port()

    async def smtp_down(*args: Any, **kwargs: Any) -> Any:
        settings = await real(*args, **kwargs)
        return replace(settings, smtp=replace(settings.smtp, port=down, timeout=2.0))

    monkeypatch.setattr(mail_jobs, "with_effective_smtp", smtp_down)
    await _drop_reset_jobs(db)
    try:
        page = await post_form(client, "/password/forgot", {"email": "anna@example.com"})
        assert page.status_code == 200
        queued = await _reset_jobs(db)
        assert len(queued) == 1
        caplog.set_level(logging.DEBUG)
        await drain_queue()
        stored = await _reset_jobs(db)
        assert stored and any("Traceback" in job or "MailError" in job for job in stored), stored
        logged = "\n".join(
            r.getMessage() + (logging.Formatter().formatException(r.exc_info) if r.exc_info else "")
            for r in caplog.records
        )
        assert "Error processing job" in logged
        assert minted, "no reset token was minted"
        for where in (*queued, *stored, logged):
            assert "/password/reset/" not in where
            for token in minted:
                assert token not in where
    finally:
        await _drop_reset_jobs(db)


async def test_running_the_reset_job_twice_leaves_one_valid_link(client, db, mailbox):
    from crm.lib.db import alchemy_config
    from crm.workers.mail import send_password_reset

    await make_user(db, "anna@example.com", ["manager"], locale="en")
    await _drop_reset_jobs(db)
    await post_form(client, "/password/forgot", {"email": "anna@example.com"})
    kwargs = re.search(r'"kwargs":\s*(\{[^}]*\})', (await _reset_jobs(db))[0])
    assert kwargs
    import json

    arguments = json.loads(kwargs.group(1))
    await _drop_reset_jobs(db)
    ctx = {"db": alchemy_config()}
    await send_password_reset(ctx, **arguments)
    await send_password_reset(ctx, **arguments)
    links = set()
    for message in mailbox:
        found = re.search(
            r"http://testserver\.local(/password/reset/[\w-]+)", message.get_payload(decode=True).decode()
        )
        assert found
        links.add(found.group(1))
    valid = [link for link in links if 'name="password2"' in (await client.get(link)).text]
    assert len(valid) == 1


# --------------------------------------------------------------------------- (5) the forced password change


async def test_a_temporary_password_gets_no_api_token_but_a_clear_403(client, db):
    await make_user(db, "new@example.com", ["admin"], must_change_password=True)
    response = await client.post("/api/v1/auth/token", json={"email": "new@example.com", "password": DEFAULT_PASSWORD})
    assert response.status_code == 403
    body = response.json()
    assert "password" in body["detail"].lower() and "/profile/password" in body["detail"]
    assert body["errors"] == []


async def test_bearer_and_personal_tokens_are_refused_while_a_password_change_is_required(client, db):
    from crm.features.accounts import services

    user = await make_user(db, "anna@example.com", ["admin"])
    _row, personal = await services.create_api_token(db, user, "script")
    await db.commit()
    assert (await client.get("/api/v1/me", headers={"Authorization": f"Bearer {personal}"})).status_code == 200

    await services.set_password(db, user, "temporary-pass-1", temporary=True)
    pair = await services.issue_token_pair(db, user)
    await db.commit()
    for token in (personal, pair["access_token"]):
        headers = {"Authorization": f"Bearer {token}"}
        api = await client.get("/api/v1/me", headers=headers)
        assert api.status_code == 403, api.text
        assert "/profile/password" in api.json()["detail"] and api.json()["errors"] == []
        users = await client.get("/api/v1/users", headers=headers)
        assert users.status_code == 403
        page = await client.get("/calendar", headers=headers, follow_redirects=False)
        assert (
            page.status_code in (303, 403) and page.headers.get("location", "/profile/password") == "/profile/password"
        )
    refreshed = await client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert refreshed.status_code == 403 and "/profile/password" in refreshed.json()["detail"]


async def test_signing_out_works_while_a_password_change_is_required(client, db):
    await make_user(db, "new@example.com", ["manager"], must_change_password=True)
    await login(client, "new@example.com")
    response = await post_form(client, "/logout", {}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert (await client.get("/profile/password", follow_redirects=False)).headers["location"].startswith("/login")


# --------------------------------------------------------------------------- (8) no lockout of the owner


async def test_wrong_passwords_from_elsewhere_do_not_lock_the_owner_out(client, db, peers):
    await make_user(db, "anna@example.com", ["admin"])
    for _ in range(5):
        wrong = await _sign_in(client, "anna@example.com", "wrong-password", **{"x-test-peer": "203.0.113.9"})
        assert wrong.status_code == 200
    attacker = await _sign_in(client, "anna@example.com", DEFAULT_PASSWORD, **{"x-test-peer": "203.0.113.9"})
    assert attacker.status_code == 429
    owner = await _sign_in(client, "anna@example.com", DEFAULT_PASSWORD, **{"x-test-peer": "198.51.100.7"})
    assert owner.status_code == 303, owner.text


async def test_a_forwarded_address_from_an_untrusted_peer_is_ignored(client, db, peers):
    await make_user(db, "anna@example.com", ["admin"])
    spoofed = {"x-test-peer": "203.0.113.9", "x-forwarded-for": "198.51.100.7"}
    for _ in range(6):
        await _sign_in(client, "anna@example.com", "wrong-password", **spoofed)
    owner = await _sign_in(client, "anna@example.com", DEFAULT_PASSWORD, **{"x-test-peer": "198.51.100.7"})
    assert owner.status_code == 303
    rotated = await _sign_in(
        client, "anna@example.com", DEFAULT_PASSWORD, **{"x-test-peer": "203.0.113.9", "x-forwarded-for": "192.0.2.1"}
    )
    assert rotated.status_code == 429  # a new forwarded address does not escape the peer's lock


async def test_a_forwarded_address_from_a_trusted_proxy_is_the_client(client, db, peers, monkeypatch):
    _trust_proxies(monkeypatch, "10.0.0.0/8, 192.0.2.10")
    await make_user(db, "anna@example.com", ["admin"])
    via_proxy = {"x-test-peer": "10.1.2.3"}
    for _ in range(5):
        await _sign_in(client, "anna@example.com", "wrong-password", **via_proxy, **{"x-forwarded-for": "203.0.113.9"})
    thief = await _sign_in(
        client, "anna@example.com", DEFAULT_PASSWORD, **via_proxy, **{"x-forwarded-for": "6.6.6.6, 203.0.113.9"}
    )
    assert thief.status_code == 429  # the spoofed left part is not taken: the proxy appended the real address
    owner = await _sign_in(
        client, "anna@example.com", DEFAULT_PASSWORD, **via_proxy, **{"x-forwarded-for": "198.51.100.7, 192.0.2.10"}
    )
    assert owner.status_code == 303


async def test_locks_of_an_account_and_address_pair_grow_and_then_end(client, db, peers, monkeypatch):
    from datetime import timedelta

    await make_user(db, "anna@example.com", ["admin"])
    start = security.utcnow()
    offset = {"s": 0}
    monkeypatch.setattr(security, "utcnow", lambda: start + timedelta(seconds=offset["s"]))
    here = {"x-test-peer": "203.0.113.9"}
    for _ in range(5):
        await _sign_in(client, "anna@example.com", "wrong-password", **here)
    first = await _sign_in(client, "anna@example.com", "wrong-password", **here)
    assert first.status_code == 429 and "1 min" in first.text
    offset["s"] = 61
    assert (await _sign_in(client, "anna@example.com", "wrong-password", **here)).status_code == 200
    second = await _sign_in(client, "anna@example.com", DEFAULT_PASSWORD, **here)
    assert second.status_code == 429 and "2 min" in second.text
    offset["s"] = 61 + 121
    assert (await _sign_in(client, "anna@example.com", DEFAULT_PASSWORD, **here)).status_code == 303


async def test_spraying_many_accounts_from_one_address_is_limited(client, db, peers, monkeypatch):
    patched = replace(get_settings(), login_address_max_failures=12)
    monkeypatch.setattr("crm.features.accounts.services.get_settings", lambda: patched)
    await make_user(db, "anna@example.com", ["admin"])
    here = {"x-test-peer": "203.0.113.9"}
    for i in range(12):
        response = await _sign_in(client, f"user{i}@example.com", "wrong-password", **here)
        assert response.status_code == 200
    assert (await _sign_in(client, "anna@example.com", DEFAULT_PASSWORD, **here)).status_code == 429
    assert (
        await _sign_in(client, "anna@example.com", DEFAULT_PASSWORD, **{"x-test-peer": "198.51.100.7"})
    ).status_code == 303


async def test_forgot_password_does_the_same_work_for_known_and_unknown_addresses(client, db, peers):
    await make_user(db, "anna@example.com", ["manager"])
    await _drop_reset_jobs(db)
    pages, timings = {}, {"anna": [], "ghost": []}
    try:
        for i in range(4):
            for who in ("anna", "ghost"):
                email = f"{who}@example.com" if i == 0 else f"{who}{i}@example.com"
                if who == "anna" and i:
                    await make_user(db, email, ["manager"])
                began = time.perf_counter()
                page = await post_form(
                    client, "/password/forgot", {"email": email}, headers={"x-test-peer": f"198.51.100.{i}"}
                )
                timings[who].append(time.perf_counter() - began)
                pages[(who, i)] = page.text.replace(email, "EMAIL")
                assert page.status_code == 200
        assert pages[("anna", 0)] == pages[("ghost", 0)] or re.sub(r'value="[^"]*"', "", pages[("anna", 0)]) == re.sub(
            r'value="[^"]*"', "", pages[("ghost", 0)]
        )
        jobs = await _reset_jobs(db)
        assert len(jobs) == 8  # one job per request, known or not: the page cannot tell them apart
        assert abs(median(timings["anna"]) - median(timings["ghost"])) < 0.25
    finally:
        await _drop_reset_jobs(db)


# --------------------------------------------------------------------------- (9) refresh families, cleared cookies


async def test_reusing_a_refresh_token_revokes_its_whole_family(client, db):
    await make_user(db, "anna@example.com", ["admin"])
    body = {"email": "anna@example.com", "password": DEFAULT_PASSWORD}
    first = (await client.post("/api/v1/auth/token", json=body)).json()
    other = (await client.post("/api/v1/auth/token", json=body)).json()  # another device: another family
    second = (await client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})).json()
    stolen = await client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert stolen.status_code == 401
    owner = await client.post("/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert owner.status_code == 401
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {second['access_token']}"})
    assert me.status_code == 401
    assert (
        await client.post("/api/v1/auth/refresh", json={"refresh_token": other["refresh_token"]})
    ).status_code == 200


def _session_cookie(response: Any) -> str:
    return next(v for k, v in response.headers.multi_items() if k == "set-cookie" and v.startswith("crm_session="))


async def test_sign_out_sends_an_expired_session_cookie(client, db):
    await make_user(db, "anna@example.com", ["admin"])
    await login(client, "anna@example.com")
    response = await post_form(client, "/logout", {}, follow_redirects=False)
    cookie = _session_cookie(response)
    assert "Max-Age=0" in cookie and "1970" in cookie and "HttpOnly" in cookie


async def test_a_session_of_a_deactivated_user_is_cleared_with_an_expired_cookie(client, db):
    from crm.features.accounts import services

    user = await make_user(db, "anna@example.com", ["manager"])
    await login(client, "anna@example.com")
    await services.update_user(db, user, None, is_active=False)
    await db.commit()
    response = await client.get("/profile", follow_redirects=False)
    assert response.status_code == 303
    assert "Max-Age=0" in _session_cookie(response)
