"""Emailing detail sheets through a real SMTP server (aiosmtpd): mail not configured, transient faults retried by
the worker, permanent refusals and a server that is down end "not sent" with the reason and an honest button."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from crm.features.tariffs import mailing
from crm.features.tariffs.models import DetailSending
from tests.conftest import drain_queue, post_form
from tests.integration.test_tariffs_screens import _billed_month


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Scripted:
    """An SMTP handler answering DATA with the scripted replies in turn (then 250), keeping what it accepted."""

    def __init__(self, *replies: str) -> None:
        self.replies = list(replies)
        self.attempts = 0
        self.accepted: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        self.attempts += 1
        if self.replies:
            return self.replies.pop(0)
        self.accepted.append(envelope.content)
        return "250 OK"


@pytest.fixture
def smtp_at(monkeypatch):
    """Point the detail sendings at another SMTP port (a scripted aiosmtpd, or nothing listening); the retries of
    the queue are made immediate so that a burst worker runs them."""
    from aiosmtpd.controller import Controller

    controllers = []
    monkeypatch.setattr(mailing, "SEND_RETRY_DELAY", 0.0)

    def use(handler: Scripted | None) -> int:
        port = _free_port()
        if handler is not None:
            controller = Controller(handler, hostname="127.0.0.1", port=port)
            controller.start()
            controllers.append(controller)
        original = mailing.with_effective_smtp

        async def pointed(session=None, settings=None):
            effective = await original(session, settings)
            return replace(effective, smtp=replace(effective.smtp, port=port, timeout=3.0))

        monkeypatch.setattr(mailing, "with_effective_smtp", pointed)
        return port

    yield use
    for controller in controllers:
        controller.stop()


async def _drain_until_settled(db, rounds: int = 10) -> DetailSending:
    for _ in range(rounds):
        await drain_queue()
        db.expire_all()
        sending = await db.scalar(select(DetailSending).order_by(DetailSending.id.desc()))
        if sending.status != mailing.QUEUED:
            return sending
        await asyncio.sleep(0.3)
    return sending


async def _send(client, client_id, **extra):
    return await post_form(
        client, f"/billing/detail/{client_id}/send", {"month": "2022-08", **extra}, follow_redirects=False
    )


async def test_without_a_mail_server_send_is_disabled_with_a_reason_and_the_server_refuses(
    client, db, monkeypatch, mailbox
):
    clients = await _billed_month(client, db)
    monkeypatch.delenv("CRM_SMTP_HOST")  # the effective settings now name no server (none stored either)
    listing = await client.get("/billing/detail", params={"month": "2022-08"})
    assert "the outgoing mail server is not set up" in listing.text
    button = listing.text[listing.text.index(f'id="send-{clients["00001"]}"') :]
    assert button[: button.index(">")].count("disabled") == 1
    assert 'aria-describedby="mail-off"' in button[: button.index(">")]
    sheet = await client.get(f"/billing/detail/{clients['00001']}", params={"month": "2022-08"})
    assert "the outgoing mail server is not set up" in sheet.text and "disabled" in sheet.text
    refused = await _send(client, clients["00001"])
    assert refused.status_code == 303
    refused_all = await post_form(client, "/billing/detail/send-all", {"month": "2022-08"}, follow_redirects=False)
    assert refused_all.status_code == 303
    assert await db.scalar(select(func.count()).select_from(DetailSending)) == 0
    shown = await client.get(refused.headers["location"])
    assert "Mail is not configured, so nothing was sent" in shown.text
    await drain_queue()
    assert mailbox == []


async def test_a_451_reply_is_retried_by_the_worker_and_the_sheet_then_goes_out(client, db, smtp_at):
    clients = await _billed_month(client, db)
    server = Scripted("451 4.3.0 Mailbox busy, try again later")
    smtp_at(server)
    assert (await _send(client, clients["00001"])).status_code == 303
    sending = await _drain_until_settled(db)
    assert sending.status == "sent", sending.message
    assert server.attempts == 2 and len(server.accepted) == 1
    listing = await client.get("/billing/detail", params={"month": "2022-08"})
    row = listing.text[listing.text.index(f'action="/billing/detail/{clients["00001"]}/send"') :]
    row = row[: row.index("</tr>")]
    assert "not sent" not in row and "✉ Send again</button>" in row and "✓</span> sent" in row


async def test_a_server_that_is_down_is_tried_again_and_then_reads_not_sent_with_the_reason(
    client, db, smtp_at, monkeypatch
):
    clients = await _billed_month(client, db)
    monkeypatch.setattr(mailing, "SEND_ATTEMPTS", 3)
    port = smtp_at(None)  # nothing listens there
    attempts = []
    original = mailing.deliver

    async def counted(session, sending_id, *, last_attempt=True):
        attempts.append(last_attempt)
        return await original(session, sending_id, last_attempt=last_attempt)

    monkeypatch.setattr(mailing, "deliver", counted)
    await _send(client, clients["00001"])
    sending = await _drain_until_settled(db)
    assert attempts == [False, False, True]  # retried by the queue, failed for good on its last attempt
    assert sending.status == "failed"
    assert sending.message == f"the mail server 127.0.0.1:{port} could not be reached"
    listing = await client.get("/billing/detail", params={"month": "2022-08"})
    row = listing.text[listing.text.index(f'action="/billing/detail/{clients["00001"]}/send"') :]
    row = row[: row.index("</tr>")]
    assert "not sent" in row and f"127.0.0.1:{port} could not be reached" in row
    assert "✉ Try again</button>" in row and "Send again" not in row and "data-confirm" not in row
    # trying again needs no "already sent" confirmation
    smtp_at(Scripted())
    again = await _send(client, clients["00001"], back="client")
    assert again.status_code == 303
    assert (await _drain_until_settled(db)).status == "sent"
    sheet = await client.get(f"/billing/detail/{clients['00001']}", params={"month": "2022-08"})
    assert "not sent" in sheet.text and "✉ Send again</button>" in sheet.text  # history kept, latest sent


async def test_a_permanent_refusal_is_not_retried_and_reads_not_sent_in_russian(client, db, smtp_at):
    from tests.conftest import set_cookie

    clients = await _billed_month(client, db)
    server = Scripted("550 5.1.1 Mailbox unavailable")
    smtp_at(server)
    await _send(client, clients["00001"])
    sending = await _drain_until_settled(db)
    assert server.attempts == 1
    assert sending.status == "failed"
    assert sending.message == "the mail server refused the message: 550 5.1.1 Mailbox unavailable"
    set_cookie(client, "crm_lang", "ru")
    listing = await client.get("/billing/detail", params={"month": "2022-08"})
    assert "не отправлено" in listing.text and "отклонил" in listing.text
    assert "Отправить снова" not in listing.text
