"""The settings page shows the configuration without secrets and sends a test mail through the worker."""

from __future__ import annotations

from sqlalchemy import select

from crm.features.system.models import MailTest
from tests.conftest import drain_queue, login, make_user, post_form


async def test_an_admin_sends_a_test_mail_and_sees_that_it_went(client, db, mailbox):
    await make_user(db, "admin@example.com", ["admin"])
    await login(client, "admin@example.com")
    page = await client.get("/settings")
    assert page.status_code == 200 and "CRM_SMTP_HOST" in page.text
    assert "test-secret-key" not in page.text
    response = await post_form(client, "/settings/mail-test", {}, follow_redirects=False)
    assert response.status_code == 303
    await drain_queue()
    assert len(mailbox) == 1 and mailbox[0]["To"] == "admin@example.com"
    test = await db.scalar(select(MailTest))
    assert test.status == "sent"
    block = await client.get("/settings", headers={"HX-Request": "true", "HX-Target": "mail_tests"})
    assert "<html" not in block.text and "badge-ok" in block.text and "hx-trigger" not in block.text


async def test_a_failing_smtp_server_is_reported_with_the_reason(client, db):
    from dataclasses import replace

    from crm.config import get_settings
    from crm.features.system import diagnostics

    test = MailTest(requested_by="admin@example.com", recipient="admin@example.com")
    db.add(test)
    await db.commit()
    dead = replace(get_settings(), smtp=replace(get_settings().smtp, port=1))
    assert await diagnostics.send_mail_test(db, dead, test.id) == "failed"
    assert "127.0.0.1:1" in test.error and "password" not in test.error.lower()
    assert await diagnostics.send_mail_test(db, dead, test.id) == "failed"  # decided: not sent again


async def test_only_admins_see_the_settings(client, db):
    await make_user(db, "head@example.com", ["head"])
    await login(client, "head@example.com")
    assert (await client.get("/settings")).status_code == 403
    assert (await post_form(client, "/settings/mail-test", {})).status_code == 403


async def test_the_mail_tests_say_to_whom_and_an_unconfigured_smtp_in_russian(client, db):
    from tests.conftest import set_cookie

    await make_user(db, "admin@example.com", ["admin"])
    db.add(MailTest(requested_by="admin@example.com", recipient="admin@example.com", status="failed",
                    error="SMTP is not configured (CRM_SMTP_HOST)"))  # fmt: skip
    await db.commit()
    set_cookie(client, "crm_lang", "ru")
    await login(client, "admin@example.com")
    page = (await client.get("/settings")).text
    table = page.split('id="mail_tests"')[1]
    assert '<th scope="col">Кому</th>' in table and '<th scope="col">По</th>' not in table
    assert "SMTP не настроен (CRM_SMTP_HOST)" in table and "SMTP is not configured" not in table
