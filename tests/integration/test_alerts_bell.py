"""The alerts slice: the bell's count, the list page, the API, a failing provider, the daily mail."""

from __future__ import annotations

import logging
import sys
import types
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from typing import Any

import pytest
from sqlalchemy import select

from crm.features.alerts import registry
from crm.features.alerts.models import AlertMailSetting, OperationFailure
from crm.features.alerts.registry import Alert
from tests.conftest import login, make_user, post_form

NOW = datetime(2026, 12, 2, 7, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def _provider(monkeypatch: pytest.MonkeyPatch, name: str, alerts: Any) -> str:
    """Registers a provider module (``alerts(session, user)``) under ``name`` for this test only."""
    module = types.ModuleType(name)
    module.alerts = alerts  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, name, module)
    return name


@pytest.fixture
def two_alerts(monkeypatch: pytest.MonkeyPatch) -> None:
    async def alerts(session: Any, user: Any) -> list[Alert]:
        if not user.email.startswith("manager"):
            return []
        return [
            Alert("goal_behind", "Revenue of Ivanov is 62% of the pro-rata target", "/analysis", NOW - DAY),
            Alert("task_overdue", "Call Romashka LLC is overdue", "/tasks/7", NOW),
        ]

    monkeypatch.setattr(registry, "PROVIDERS", (_provider(monkeypatch, "crm_test_alerts_ok", alerts),))


async def test_the_bell_counts_the_users_current_alerts_and_the_api_lists_them_newest_first(client, db, two_alerts):
    await make_user(db, "manager@example.com", ["manager"])
    await login(client, "manager@example.com")

    page = await client.get("/")
    assert 'hx-get="/alerts/count"' in page.text and 'hx-trigger="load, every 120s"' in page.text
    bell = await client.get("/alerts/count", headers={"hx-request": "true"})
    assert bell.status_code == 200
    assert '<span class="bell-count">2</span>' in bell.text

    api = await client.get("/api/v1/alerts")
    assert api.status_code == 401  # the API takes a bearer token, not the page's session
    token = (
        await client.post("/api/v1/auth/token", json={"email": "manager@example.com", "password": "correct-horse-42"})
    ).json()["access_token"]
    api = await client.get("/api/v1/alerts", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200
    assert api.json() == {
        "total": 2,
        "page": 1,
        "page_size": 50,
        "rows": [
            {
                "kind": "task_overdue",
                "message": "Call Romashka LLC is overdue",
                "link": "/tasks/7",
                "created_at": "2026-12-02T07:00:00Z",
            },
            {
                "kind": "goal_behind",
                "message": "Revenue of Ivanov is 62% of the pro-rata target",
                "link": "/analysis",
                "created_at": "2026-12-01T07:00:00Z",
            },
        ],
    }


async def test_the_alerts_page_shows_kind_message_link_and_time_and_an_empty_state(client, db, two_alerts):
    await make_user(db, "manager@example.com", ["manager"])
    await make_user(db, "head@example.com", ["head"])
    await login(client, "manager@example.com")
    page = await client.get("/alerts")
    assert page.status_code == 200
    assert "Overdue task" in page.text and "Goal behind" in page.text
    assert '<a class="alert-message" href="/tasks/7">Call Romashka LLC is overdue</a>' in page.text
    assert page.text.index("Romashka") < page.text.index("Ivanov")  # newest first
    assert 'datetime="2026-12-02T07:00:00+00:00"' in page.text

    client.cookies.clear()
    client.cookies.set("crm_lang", "en", domain="testserver.local")
    await login(client, "head@example.com")
    page = await client.get("/alerts")
    assert "No alerts" in page.text
    bell = await client.get("/alerts/count")
    assert "bell-count" not in bell.text


async def test_a_failing_provider_is_logged_and_the_others_still_show(client, db, monkeypatch, caplog):
    async def broken(session: Any, user: Any) -> list[Alert]:
        from sqlalchemy import text

        await session.execute(text("SELECT * FROM a_table_that_does_not_exist"))  # poisons a transaction
        return []

    async def working(session: Any, user: Any) -> list[Alert]:
        from sqlalchemy import text

        await session.execute(text("SELECT 1"))  # the session is still usable after the broken one
        return [Alert("mention", "Petrov mentioned you", "/tasks/3", NOW)]

    monkeypatch.setattr(
        registry,
        "PROVIDERS",
        (
            _provider(monkeypatch, "crm_test_alerts_broken", broken),
            "crm_test_alerts_not_written_yet",  # a slice without its module yet: skipped quietly
            _provider(monkeypatch, "crm_test_alerts_working", working),
        ),
    )
    await make_user(db, "manager@example.com", ["manager"])
    await login(client, "manager@example.com")
    with caplog.at_level(logging.ERROR, logger="crm.alerts"):
        bell = await client.get("/alerts/count")
    assert bell.status_code == 200
    assert '<span class="bell-count">1</span>' in bell.text
    assert "crm_test_alerts_broken failed" in caplog.text
    assert "not_written_yet" not in caplog.text
    page = await client.get("/alerts")
    assert page.status_code == 200 and "Petrov mentioned you" in page.text


async def test_the_daily_mail_goes_only_to_users_who_asked_for_it_only_with_alerts_and_once_a_day(
    client, db, two_alerts, mailbox
):
    from crm.features.alerts.jobs import send_daily_alerts
    from crm.lib.db import alchemy_config

    await make_user(db, "manager@example.com", ["manager"])
    await make_user(db, "manager2@example.com", ["manager"])
    await make_user(db, "head@example.com", ["head"])  # asks for it, but has no alerts
    for email in ("manager@example.com", "head@example.com"):
        client.cookies.clear()
        client.cookies.set("crm_lang", "en", domain="testserver.local")
        await login(client, email)
        answer = await post_form(client, "/alerts/mail", {"daily": "on"})
        assert answer.status_code == 200 and "The daily mail of your alerts is on." in answer.text
    page = await client.get("/alerts")
    assert 'name="daily" value="on" checked' in page.text

    old = datetime.now(UTC) - timedelta(days=31)
    db.add(OperationFailure(kind="sync", job="bitrix24_run", error="", first_at=old, last_at=old))
    await db.commit()
    ctx = {"db": alchemy_config()}
    assert await send_daily_alerts(ctx) == "sent 1, failed 0"
    assert (await db.scalars(select(OperationFailure))).all() == []  # a month-old notice is dropped
    assert len(mailbox) == 1
    message = mailbox[0]
    assert message["To"] == "manager@example.com"
    assert str(make_header(decode_header(message["Subject"]))) == "CRM: 2 уведомления"  # their language: Russian
    body = message.get_payload(decode=True).decode()
    assert "Call Romashka LLC is overdue" in body and "http://testserver.local/tasks/7" in body

    assert await send_daily_alerts(ctx) == "sent 0, failed 0"  # the same day: nothing more
    assert len(mailbox) == 1

    await post_form(client, "/alerts/mail", {})  # the head turns it off again
    rows = {r.daily for r in (await db.scalars(select(AlertMailSetting))).all()}
    assert rows == {True, False}
