"""Jobs of the tasks slice: the next occurrence of a recurring task (asked when one is closed, and a sweep that
catches any the queue missed), and the mails of ``@`` mentions. All idempotent."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar_saq import CronJob

from crm.features.system.settings import with_effective_smtp
from crm.features.tasks import comments, series
from crm.integrations import mail
from crm.lib import i18n

log = logging.getLogger(__name__)

TASKS: list[str] = [
    "crm.features.tasks.jobs.tasks_next_occurrence",
    "crm.features.tasks.jobs.tasks_sweep_series",
    "crm.features.tasks.jobs.tasks_send_mentions",
]


async def tasks_next_occurrence(ctx: dict[str, Any], *, task_id: int) -> str:
    async with ctx["db"].get_session() as session:
        created = await series.create_next(session, task_id)
        await session.commit()
    return f"created {created}" if created else "nothing to create"


async def tasks_sweep_series(ctx: dict[str, Any]) -> str:
    """Occurrences closed in the last two days whose next one is missing (the queue was down, a crash)."""
    made = 0
    async with ctx["db"].get_session() as session:
        for task_id in await series.missing_next(session, datetime.now(UTC) - timedelta(days=2)):
            made += 1 if await series.create_next(session, task_id) else 0
        await session.commit()
    return f"created {made}"


async def tasks_send_mentions(ctx: dict[str, Any], *, comment_id: int) -> str:
    """One mail per mentioned person; a mention is marked notified in the same transaction as its sending, so a
    retry only sends the ones still unsent."""
    settings = await with_effective_smtp()
    sent = 0
    async with ctx["db"].get_session() as session:
        for mention, person, comment in await comments.unsent_mentions(session, comment_id):
            link = (
                f"{settings.base_url}/tasks/{comment.task_id}"
                if comment.task_id
                else (f"{settings.base_url}/strategies/{comment.strategy_id}")
            )
            token = i18n.set_locale(person.locale or settings.default_locale)
            try:
                subject = i18n.gettext("You were mentioned in a comment")
                body = i18n.gettext("%(text)s\n\nOpen: %(link)s", text=comment.text, link=link)
            finally:
                i18n._current.reset(token)
            await mail.send(settings.smtp, mail.build_message(settings.smtp.sender, [person.email], subject, body))
            mention.notified_at = datetime.now(UTC)
            await session.commit()
            sent += 1
    return f"sent {sent}"


CRON: list[CronJob] = [
    CronJob(function=tasks_sweep_series, cron="*/10 * * * *", timeout=300, retries=1),  # type: ignore[arg-type]
]
