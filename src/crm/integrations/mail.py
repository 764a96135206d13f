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
    """Sending failed; the message says why without any credentials. ``transient``: the server could not be
    reached or answered 4xx (try again later); otherwise it refused for good (5xx) or is not configured.
    ``reply``: the server's code and words (no credentials), for the person who reads the outcome."""

    def __init__(self, message: str, *, transient: bool = False, reply: str = "") -> None:
        super().__init__(message)
        self.transient = transient
        self.reply = reply


def _reply(code: int, text: bytes | str) -> str:
    words = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {' '.join(words.split())}".strip()[:200]


def _classify(exc: Exception) -> tuple[bool, str]:
    """(transient, the server's reply) of an SMTP failure: unreachable, dropped or 4xx is transient."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [(code, text) for code, text in exc.recipients.values()]
        transient = bool(codes) and all(400 <= code < 500 for code, _ in codes)
        return transient, "; ".join(_reply(code, text) for code, text in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500, _reply(exc.smtp_code, exc.smtp_error)
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return False, ""
    # SMTPServerDisconnected, connection refused, timeouts, name resolution: the server may be back later.
    return isinstance(exc, (smtplib.SMTPServerDisconnected, OSError)), ""


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
        raise MailError(
            f"SMTP server {settings.host} refused the credentials ({exc.smtp_code})", reply=_reply(exc.smtp_code, b"")
        ) from None
    except (smtplib.SMTPException, OSError) as exc:
        transient, reply = _classify(exc)
        failed = f"SMTP server {settings.host}:{settings.port} failed: {type(exc).__name__}"
        raise MailError(failed, transient=transient, reply=reply) from None


async def send(settings: SmtpSettings, message: EmailMessage) -> None:
    await anyio.to_thread.run_sync(_send_sync, settings, message)
