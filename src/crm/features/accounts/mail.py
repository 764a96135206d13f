"""Mails of the accounts feature."""

from __future__ import annotations

from crm.features.system.settings import with_effective_smtp
from crm.integrations import mail
from crm.lib import i18n


async def send_password_reset(*, email: str, link: str, locale: str) -> None:
    settings = await with_effective_smtp()
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
    await mail.send(settings.smtp, mail.build_message(settings.smtp.sender, [email], subject, body))
