"""SMTP sending (stdlib smtplib, run in a thread). Knows nothing of the app's models."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import anyio.to_thread

from crm.config import SmtpSettings


class MailError(Exception):
    """Sending failed; the message says why without any credentials."""


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    maintype: str
    subtype: str


def _clean_header(value: str) -> str:
    """No CR/LF in headers: stops header injection through names or subjects."""
    return " ".join(value.replace("\r", " ").replace("\n", " ").split())


def build_message(
    sender: str, to: Sequence[str], subject: str, text: str, attachments: Sequence[Attachment] = ()
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = _clean_header(sender)
    message["To"] = ", ".join(_clean_header(a) for a in to)
    message["Subject"] = _clean_header(subject)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1] or "localhost")
    message.set_content(text)
    for item in attachments:
        message.add_attachment(item.content, maintype=item.maintype, subtype=item.subtype, filename=item.filename)
    return message


def _send_sync(settings: SmtpSettings, message: EmailMessage) -> None:
    if not settings.host:
        raise MailError("SMTP is not configured (CRM_SMTP_HOST)")
    try:
        if settings.ssl:
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=settings.timeout, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        with client:
            if settings.starttls:
                client.starttls(context=ssl.create_default_context())
            if settings.user:
                client.login(settings.user, settings.password or "")
            client.send_message(message)
    except smtplib.SMTPAuthenticationError as exc:
        raise MailError(f"SMTP server {settings.host} refused the credentials ({exc.smtp_code})") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(f"SMTP server {settings.host}:{settings.port} failed: {type(exc).__name__}") from None


async def send(settings: SmtpSettings, message: EmailMessage) -> None:
    await anyio.to_thread.run_sync(_send_sync, settings, message)
