"""Admins edit the SMTP server and the time zone on /settings: stored in the database (password encrypted), the
environment wins, every mail goes through the effective settings, times follow the saved zone."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from crm.features.accounts.models import AuditEntry
from crm.features.system.models import MailTest, SystemSettings
from crm.lib import i18n
from tests.conftest import SMTP_PORT, drain_queue, login, make_user, post_form

PASSWORD = "Sm7p-pa55-Wörd-XYZ"
SMTP_ENV = ("CRM_SMTP_HOST", "CRM_SMTP_PORT", "CRM_SMTP_FROM")


@pytest.fixture(autouse=True)
def _default_zone_afterwards() -> Iterator[None]:
    """The zone is cached per process: later tests see the default again."""
    yield
    i18n.set_local_tz(None)


@pytest.fixture
def no_smtp_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test run points CRM_SMTP_* at the mailbox; without them the stored settings apply."""
    for name in SMTP_ENV:
        monkeypatch.delenv(name, raising=False)


def smtp_form(**overrides: str) -> dict[str, str]:
    return {
        "smtp_host": "127.0.0.1",
        "smtp_port": str(SMTP_PORT),
        "smtp_security": "none",
        "smtp_user": "",
        "smtp_password": "",
        "smtp_sender": "desk@example.com",
        "timezone": "",
        **overrides,
    }


async def test_saved_smtp_settings_carry_a_password_reset_to_the_server_and_the_password_stays_secret(
    client, db, mailbox, no_smtp_env, caplog
):
    caplog.set_level(logging.DEBUG)
    await make_user(db, "admin@example.com", ["admin"])
    await make_user(db, "anna@example.com", ["manager"])
    await login(client, "admin@example.com")
    page = await client.get("/settings")
    assert 'name="smtp_host"' in page.text and "disabled" not in page.text.split('id="f-smtp_host"')[1].split(">")[0]

    saved = await post_form(client, "/settings", smtp_form(smtp_password=PASSWORD), follow_redirects=False)
    assert saved.status_code == 303, saved.text
    row = await db.get(SystemSettings, 1)
    assert (row.smtp_host, row.smtp_port, row.smtp_sender) == ("127.0.0.1", SMTP_PORT, "desk@example.com")
    assert row.smtp_password_enc and PASSWORD not in row.smtp_password_enc

    await post_form(client, "/password/forgot", {"email": "anna@example.com"})
    await drain_queue()
    assert len(mailbox) == 1
    assert mailbox[0]["To"] == "anna@example.com" and mailbox[0]["From"] == "desk@example.com"

    page = await client.get("/settings")
    assert PASSWORD not in page.text and "A password is saved; leave empty to keep it." in page.text
    entry = await db.scalar(select(AuditEntry).where(AuditEntry.entity == "system_settings"))
    assert entry.changes["smtp_host"] == [None, "127.0.0.1"] and entry.changes["smtp_password"] == ["", "changed"]
    assert PASSWORD not in str(entry.changes) and PASSWORD not in entry.summary
    audit = await client.get("/audit")
    assert PASSWORD not in audit.text
    assert PASSWORD not in caplog.text

    # Saving again with the password left empty keeps it; the test message goes the same way.
    again = await post_form(client, "/settings", smtp_form(smtp_sender="crm@example.com"), follow_redirects=False)
    assert again.status_code == 303
    await db.refresh(row)
    from crm.features.system.settings import decrypt

    assert decrypt(row.smtp_password_enc) == PASSWORD
    await post_form(client, "/settings/mail-test", {}, follow_redirects=False)
    await drain_queue()
    assert len(mailbox) == 2 and mailbox[1]["From"] == "crm@example.com"
    assert (await db.scalar(select(MailTest))).status == "sent"


async def test_the_environment_wins_over_the_saved_smtp_settings_and_is_shown_read_only(client, db, mailbox):
    await make_user(db, "admin@example.com", ["admin"])
    db.add(SystemSettings(id=1, smtp_host="nowhere.invalid", smtp_port=1, smtp_sender="db@example.com"))
    await db.commit()
    await login(client, "admin@example.com")
    page = (await client.get("/settings")).text
    host_input = page.split('id="f-smtp_host"')[1].split(">")[0]
    assert "disabled" in host_input and 'value="127.0.0.1"' in host_input
    assert "Set by the environment (CRM_SMTP_HOST); change it there." in page
    assert "nowhere.invalid" not in page
    user_input = page.split('id="f-smtp_user"')[1].split(">")[0]
    assert "disabled" not in user_input  # CRM_SMTP_USER is not set: editable

    await post_form(client, "/settings/mail-test", {}, follow_redirects=False)
    await drain_queue()
    assert len(mailbox) == 1 and mailbox[0]["From"] == "crm@example.com"  # CRM_SMTP_FROM, not the stored one

    # A field the environment sets is not changed by a form that sends it anyway.
    saved = await post_form(client, "/settings", smtp_form(smtp_host="other.example.com"), follow_redirects=False)
    assert saved.status_code == 303
    await db.refresh(await db.get(SystemSettings, 1))
    assert (await db.get(SystemSettings, 1)).smtp_host == "nowhere.invalid"


async def test_a_bad_port_host_sender_and_zone_are_refused_next_to_their_fields_keeping_what_was_typed(
    client, db, no_smtp_env
):
    await make_user(db, "admin@example.com", ["admin"])
    await login(client, "admin@example.com")
    form = smtp_form(
        smtp_host="smtp example.com",
        smtp_port="70000",
        smtp_sender="not-an-address",
        smtp_password=PASSWORD,
        timezone="Europe/Atlantis",
    )
    response = await post_form(client, "/settings", form)
    assert response.status_code == 422
    page = response.text
    assert 'id="e-smtp_port"' in page and "A port: a whole number from 1 to 65535." in page
    assert 'id="e-timezone"' in page and "Unknown time zone" in page
    assert 'id="e-smtp_host"' in page and 'id="e-smtp_sender"' in page
    assert 'value="70000"' in page and 'value="Europe/Atlantis"' in page and 'value="smtp example.com"' in page
    assert PASSWORD not in page and "Enter the password again to change it." in page
    assert await db.get(SystemSettings, 1) is None
    for port in ("0", "x", "-5"):
        bad = await post_form(client, "/settings", smtp_form(smtp_port=port))
        assert bad.status_code == 422 and 'id="e-smtp_port"' in bad.text


async def test_changing_the_zone_changes_how_times_are_shown(client, db):
    await make_user(db, "admin@example.com", ["admin"])
    test = MailTest(requested_by="admin@example.com", recipient="admin@example.com", status="sent")
    db.add(test)
    await db.flush()
    test.created_at = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    await db.commit()
    await login(client, "admin@example.com")
    assert "3/2/26, 12:30\u202fPM" in (await client.get("/settings")).text  # Europe/Moscow, UTC+3

    saved = await post_form(client, "/settings", {"timezone": "Asia/Yekaterinburg"}, follow_redirects=False)
    assert saved.status_code == 303
    page = (await client.get("/settings")).text
    assert "3/2/26, 2:30\u202fPM" in page and "12:30" not in page and 'value="Asia/Yekaterinburg"' in page
    entry = await db.scalar(select(AuditEntry).where(AuditEntry.entity == "system_settings"))
    assert entry.changes["timezone"] == [None, "Asia/Yekaterinburg"]


async def test_another_process_s_saved_zone_is_followed_within_thirty_seconds(client, db):
    from crm.features.system import settings
    from crm.lib.db import alchemy_config

    config = alchemy_config()  # this test's own process-like start-up, on the test's event loop
    await settings.start(config)
    assert str(i18n.local_tz()) == "Europe/Moscow"
    db.add(SystemSettings(id=1, timezone="Asia/Vladivostok"))  # saved by another process
    await db.commit()
    assert str(i18n.local_tz()) == "Europe/Moscow"  # cached: no query on every call
    i18n._tz.loaded = time.monotonic() - i18n.TZ_REFRESH_SECONDS - 1
    i18n.local_tz()  # stale: re-read in the background
    assert i18n._tz.task is not None
    await i18n._tz.task
    assert str(i18n.local_tz()) == "Asia/Vladivostok"
    await config.get_engine().dispose()


async def test_only_admins_save_settings(client, db):
    await make_user(db, "head@example.com", ["head"])
    await login(client, "head@example.com")
    response = await post_form(client, "/settings", smtp_form())
    assert response.status_code == 403
    assert await db.get(SystemSettings, 1) is None
