"""Jobs of the goals slice: emailing a dashboard as a PDF (queued by "Send by email")."""

from __future__ import annotations

import uuid
from typing import Any

from litestar_saq import CronJob

TASKS: list[str] = ["crm.features.goals.jobs.goals_send_dashboard"]
CRON: list[CronJob] = []


async def goals_send_dashboard(ctx: dict[str, Any], *, user_id: str, email: str, query: str, locale: str = "ru") -> str:
    """Build the dashboard PDF with the scope of the person who asked, and mail it. A transient SMTP fault raises
    (the queue retries with backoff); a permanent one ends the job with the reason."""
    from crm.features.accounts.models import User
    from crm.features.goals.control import board_pdf
    from crm.features.system.settings import with_effective_smtp
    from crm.integrations import mail
    from crm.lib import i18n

    async with ctx["db"].get_session() as session:
        user = await session.get(User, uuid.UUID(user_id))
        if user is None or not user.is_active or not user.can("goals.view"):
            return "no such user"
        token = i18n.set_locale(i18n.normalize_locale(locale))
        try:
            body, title = await board_pdf(session, user, query)
            await session.commit()  # the cached figures it built
            settings = await with_effective_smtp(session)
            subject = i18n.gettext("Sales analysis: %(title)s", title=title)
            text = i18n.gettext(
                "Hello,\n\n%(name)s shares the sales analysis dashboard %(title)s (PDF attached).\n",
                name=user.name or user.email,
                title=title,
            )
        finally:
            i18n._current.reset(token)
    if not settings.smtp.configured:
        return "mail is not configured"
    filename = "analysis.pdf"
    message = mail.build_message(
        settings.smtp.sender, [email], subject, text, [mail.Attachment(filename, body, "application", "pdf")]
    )
    try:
        await mail.send(settings.smtp, message)
    except mail.MailError as exc:
        if exc.transient:
            raise
        return f"failed: {exc}"
    return "sent"
