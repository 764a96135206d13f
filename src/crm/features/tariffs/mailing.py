"""Emailing detail sheets: a sending is queued by a person and delivered by the worker, its outcome kept.

A transient SMTP fault (server unreachable, 4xx) leaves the sending queued with the reason and the job raises
``TryLater`` so the queue runs it again with backoff; a permanent one (5xx, bad credentials, mail not configured),
or a transient one on the last attempt, ends it "failed" — shown to the clerk as "not sent" with the reason."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts.models import User
from crm.features.accounts.services import record
from crm.features.system.settings import effective_smtp, with_effective_smtp
from crm.features.tariffs import billing, sheets
from crm.features.tariffs.models import DetailSending, TelegramClient
from crm.integrations import mail
from crm.lib import i18n

QUEUED, SENT, FAILED = "queued", "sent", "failed"
RETRY = "retry"  # not stored: what ``deliver`` answers when the job must be run again

# The queue's attempts in all (SAQ's "retries"), the first delay and the ceiling of the doubling, jittered, delay.
SEND_ATTEMPTS = 6
SEND_RETRY_DELAY = 30.0
SEND_RETRY_MAX_DELAY = 1800.0

# Reasons kept on a sending in English and shown translated (``reason``): pattern → message id.
NOT_CONFIGURED = i18n.N_("mail is not configured: an administrator sets the outgoing mail server on the Settings page")
REASONS: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"the mail server (?P<server>\S+) could not be reached"),
        i18n.N_("the mail server %(server)s could not be reached"),
    ),
    (
        re.compile(r"the mail server asked to try later: (?P<reply>.*)"),
        i18n.N_("the mail server asked to try later: %(reply)s"),
    ),
    (
        re.compile(r"the mail server refused the message: (?P<reply>.*)"),
        i18n.N_("the mail server refused the message: %(reply)s"),
    ),
    (
        re.compile(r"the mail server refused the login: (?P<reply>.*)"),
        i18n.N_("the mail server refused the login: %(reply)s"),
    ),
]


class TryLater(Exception):
    """A transient SMTP fault: the job raises it so that the queue runs it again later."""


def reason(message: str) -> str:
    """A sending's stored reason in the current language."""
    for pattern, msgid in REASONS:
        found = pattern.fullmatch(message or "")
        if found:
            return i18n.gettext(msgid, **found.groupdict())
    return i18n.gettext(message) if message else ""


def _reason(exc: mail.MailError, server: str) -> str:
    if "refused the credentials" in str(exc):
        return f"the mail server refused the login: {exc.reply}"
    if not exc.reply:
        return f"the mail server {server} could not be reached" if exc.transient else str(exc)
    if exc.transient:
        return f"the mail server asked to try later: {exc.reply}"
    return f"the mail server refused the message: {exc.reply}"


async def mail_ready(session: AsyncSession) -> bool:
    """Whether detail sheets can be emailed at all: the effective SMTP settings name a server."""
    return (await effective_smtp(session)).configured


async def already_sent(session: AsyncSession, client_id: int, month: date) -> list[DetailSending]:
    """The client's sheets of the month sent or on their way, newest first: such a sheet is not sent again unasked
    (one by one: only once confirmed; "send all": never). After a failure ("not sent") it simply is."""
    return [s for s in await billing.sendings(session, client_id, month) if s.status != FAILED]


async def queue_sending(
    session: AsyncSession, client: TelegramClient, month: date, actor: User | None
) -> DetailSending | None:
    """A new sending for the client's address (None when the client has no email)."""
    if not client.email:
        return None
    sending = DetailSending(
        client_id=client.id,
        month=month.replace(day=1),
        email=client.email,
        status=QUEUED,
        actor_id=actor.id if actor else None,
    )
    session.add(sending)
    await session.flush()
    await record(
        session,
        actor,
        "telegram_detail",
        str(sending.id),
        "queue",
        {"email": [None, client.email]},
        summary=f"{client.code} {month:%Y-%m}",
    )
    return sending


async def deliver(session: AsyncSession, sending_id: int, *, last_attempt: bool = True) -> str:
    """Build the sheet, send it with PDF and CSV attached, and record sent/failed; a finished sending is not resent.
    A transient fault before the ``last_attempt`` keeps the sending queued with the reason and answers RETRY."""
    sending = await session.scalar(select(DetailSending).where(DetailSending.id == sending_id).with_for_update())
    if sending is None:
        return "missing"
    if sending.status != QUEUED:
        return sending.status
    settings = await with_effective_smtp(session)
    if not settings.smtp.configured:
        return await _finish(session, sending, FAILED, NOT_CONFIGURED)
    token = i18n.set_locale(settings.default_locale)
    try:
        detail = await billing.client_detail(session, sending.client_id, sending.month)
        if detail is None:
            return await _finish(session, sending, FAILED, i18n.N_("client deleted"))
        subject = i18n.gettext("Detail of paid telegrams for %(month)s", month=i18n.fmt_month(sending.month))
        body = i18n.gettext(
            "Hello,\n\nattached is the detail of the paid telegrams of %(client)s for %(month)s "
            "(PDF, and CSV for your accounting system).\n",
            client=detail.client.full_name or detail.client.short_name,
            month=i18n.fmt_month(sending.month),
        )
        attachments = [
            mail.Attachment(sheets.filename(detail, "pdf"), sheets.to_pdf(detail), "application", "pdf"),
            mail.Attachment(sheets.filename(detail, "csv"), sheets.to_csv(detail), "text", "csv"),
        ]
        message = mail.build_message(settings.smtp.sender, [sending.email], subject, body, attachments)
    finally:
        i18n._current.reset(token)
    try:
        await mail.send(settings.smtp, message)
    except mail.MailError as exc:
        why = _reason(exc, f"{settings.smtp.host}:{settings.smtp.port}")[:500]
        if exc.transient and not last_attempt:
            sending.message = why  # still queued: the clerk sees why it is taking long
            return RETRY
        return await _finish(session, sending, FAILED, why)
    sending.sent_at = datetime.now(UTC)
    return await _finish(session, sending, SENT, "")


async def _finish(session: AsyncSession, sending: DetailSending, status: str, message: str) -> str:
    sending.status, sending.message = status, message
    await record(
        session,
        None,
        "telegram_detail",
        str(sending.id),
        sending.status,
        {"status": [QUEUED, sending.status]},
        summary=sending.message,
    )
    return sending.status
