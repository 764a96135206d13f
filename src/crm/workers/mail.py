"""Mail jobs: password reset links.

The job is queued with the address only: it mints the one-time token itself (storing its hash) and puts the link
in the mail, so no link is kept in the queue's rows, its logs or its error reports.
"""

from __future__ import annotations

from typing import Any

from crm.config import get_settings
from crm.features.accounts import mail as accounts_mail
from crm.features.accounts import services as accounts
from crm.features.system.settings import with_effective_smtp


async def send_password_reset(
    ctx: dict[str, Any], *, email: str, locale: str, base_url: str | None = None, link: str | None = None
) -> str:
    """``base_url`` is the public address the page was asked on (CRM_BASE_URL of the web process). ``link`` is
    accepted and ignored: jobs queued by an older release mint a fresh link like new ones."""
    async with ctx["db"].get_session() as session:
        minted = await accounts.mint_reset_token(session, email)
        await session.commit()  # a retry mints again and the unsent token stops working
    if minted is None:
        return "no active account"
    user, raw = minted
    link = f"{base_url or get_settings().base_url}/password/reset/{raw}"
    smtp = (await with_effective_smtp()).smtp
    await accounts_mail.send_password_reset(smtp, email=user.email, link=link, locale=user.locale or locale)
    return "sent"
