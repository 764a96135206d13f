"""Mails of the accounts feature."""

from __future__ import annotations

from crm.config import SmtpSettings
from crm.integrations import mail
from crm.lib import i18n


async def send_password_reset(smtp: SmtpSettings, *, email: str, link: str, locale: str) -> None:
    """The mail server comes from the caller (the worker job reads the organisation's effective settings)."""
    token = i18n.set_locale(locale)
    try:
        subject = i18n.gettext("Password reset")
        body = i18n.gettext(
            "Someone asked to reset the password of your CRM account.\n\n"
            "Open this link within an hour to set a new password:\n%(link)s\n\n"
            "If it was not you, ignore this message: your password stays the same.",
            link=link,
        )
    finally:
        i18n._current.reset(token)
    await mail.send(smtp, mail.build_message(smtp.sender, [email], subject, body))
