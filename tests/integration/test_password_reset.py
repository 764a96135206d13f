"""Password reset by a one-time link sent through a real SMTP server by the worker."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import update

from crm.features.accounts.models import PasswordResetToken
from tests.conftest import drain_queue, login, make_user, post_form


def _link(message) -> str:
    body = (
        message.get_payload(decode=True).decode()
        if not message.is_multipart()
        else message.get_payload(0).get_payload(decode=True).decode()
    )
    found = re.search(r"http://testserver\.local(/password/reset/[\w-]+)", body)
    assert found, body
    return found.group(1)


async def test_a_reset_link_arrives_by_mail_and_sets_a_new_password_once(client, db, mailbox):
    await make_user(db, "anna@example.com", ["manager"], locale="en")
    page = await post_form(client, "/password/forgot", {"email": "anna@example.com"})
    assert page.status_code == 200 and 'class="alert alert-ok"' in page.text
    await drain_queue()
    assert len(mailbox) == 1
    message = mailbox[0]
    assert message["To"] == "anna@example.com" and message["From"] == "crm@example.com"
    path = _link(message)

    assert (await client.get(path)).status_code == 200
    short = await post_form(client, path, {"password": "short", "password2": "short"})
    assert 'id="e-password"' in short.text
    done = await post_form(
        client, path, {"password": "a-new-secret-7", "password2": "a-new-secret-7"}, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"] == "/login"
    await login(client, "anna@example.com", "a-new-secret-7")
    assert (await client.get("/profile")).status_code == 200

    client.cookies.clear()
    again = await post_form(client, path, {"password": "another-secret-8", "password2": "another-secret-8"})
    assert 'href="/password/forgot"' in again.text  # used: "ask for a new link"


async def test_an_unknown_email_gets_the_same_answer_and_no_mail(client, db, mailbox):
    page = await post_form(client, "/password/forgot", {"email": "ghost@example.com"})
    assert page.status_code == 200 and 'class="alert alert-ok"' in page.text
    await drain_queue()
    assert mailbox == []


async def test_an_expired_link_does_not_work(client, db, mailbox):
    await make_user(db, "anna@example.com", ["manager"])
    await post_form(client, "/password/forgot", {"email": "anna@example.com"})
    await drain_queue()
    path = _link(mailbox[0])
    await db.execute(update(PasswordResetToken).values(expires_at=PasswordResetToken.expires_at - timedelta(hours=2)))
    await db.commit()
    page = await client.get(path)
    assert 'href="/password/forgot"' in page.text and 'name="password2"' not in page.text


async def test_repeated_requests_send_one_mail_per_minute(client, db, mailbox):
    await make_user(db, "anna@example.com", ["manager"])
    for _ in range(3):
        await post_form(client, "/password/forgot", {"email": "anna@example.com"})
    await drain_queue()
    assert len(mailbox) == 1
