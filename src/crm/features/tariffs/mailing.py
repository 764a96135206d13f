"""Emailing detail sheets: a sending is queued by a person and delivered by the worker, its outcome kept."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts.models import User
from crm.features.accounts.services import record
from crm.features.system.settings import with_effective_smtp
from crm.features.tariffs import billing, sheets
from crm.features.tariffs.models import DetailSending, TelegramClient
from crm.integrations import mail
from crm.lib import i18n

QUEUED, SENT, FAILED = "queued", "sent", "failed"


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


async def deliver(session: AsyncSession, sending_id: int) -> str:
    """Build the sheet, send it with PDF and CSV attached, and record sent/failed; a finished sending is not resent."""
    sending = await session.scalar(select(DetailSending).where(DetailSending.id == sending_id).with_for_update())
    if sending is None:
        return "missing"
    if sending.status != QUEUED:
        return sending.status
    settings = await with_effective_smtp(session)
    token = i18n.set_locale(settings.default_locale)
    try:
        detail = await billing.client_detail(session, sending.client_id, sending.month)
        if detail is None:
            sending.status, sending.message = FAILED, i18n.N_("client deleted")
            return FAILED
        subject = i18n.gettext("Detail of paid telegrams for %(month)s", month=f"{sending.month:%m.%Y}")
        body = i18n.gettext(
            "Hello,\n\nattached is the detail of the paid telegrams of %(client)s for %(month)s "
            "(PDF, and CSV for your accounting system).\n",
            client=detail.client.full_name or detail.client.short_name,
            month=f"{sending.month:%m.%Y}",
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
        sending.status, sending.message = FAILED, str(exc)[:500]
    else:
        sending.status, sending.message, sending.sent_at = SENT, "", datetime.now(UTC)
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
