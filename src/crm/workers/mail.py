"""Mail jobs: password reset links."""

from __future__ import annotations

from typing import Any

from crm.features.accounts import mail as accounts_mail


async def send_password_reset(ctx: dict[str, Any], *, email: str, link: str, locale: str) -> str:
    await accounts_mail.send_password_reset(email=email, link=link, locale=locale)
    return "sent"
