"""The settings page: the configuration set by the environment (no secrets) and SMTP test messages."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.config import Settings
from crm.features.system.models import MailTest
from crm.features.system.settings import effective_smtp
from crm.integrations import mail
from crm.lib.i18n import N_


@dataclass(frozen=True)
class ConfigLine:
    label: str
    value: str
    variable: str


def configuration(settings: Settings) -> list[ConfigLine]:
    """The rest of the configuration, set by the environment only (the SMTP server and the time zone are in the
    form of the settings page)."""
    return [
        ConfigLine(N_("Default language"), settings.default_locale, "CRM_LOCALE"),
        ConfigLine(N_("Public address"), settings.base_url, "CRM_BASE_URL"),
        ConfigLine(
            N_("Database"),
            N_("embedded PostgreSQL") if settings.embedded_database else "PostgreSQL",
            "CRM_DATABASE_URL",
        ),
        ConfigLine(
            N_("Job queue"),
            "Redis" if (settings.queue_url or "").startswith("redis") else "PostgreSQL",
            "CRM_QUEUE_URL",
        ),
        ConfigLine(
            N_("Worker"),
            N_("inside the web process") if settings.worker_in_process else N_("separate processes"),
            "CRM_WORKER_IN_PROCESS",
        ),
        ConfigLine(
            N_("Sessions and cache"),
            "Redis" if settings.redis_url else N_("database and process memory"),
            "CRM_REDIS_URL",
        ),
        ConfigLine(N_("Secure cookies"), N_("yes") if settings.secure_cookies else N_("no"), "CRM_SECURE_COOKIES"),
    ]


async def request_mail_test(session: AsyncSession, requested_by: str, recipient: str) -> MailTest:
    test = MailTest(requested_by=requested_by, recipient=recipient)
    session.add(test)
    await session.flush()
    return test


async def recent_mail_tests(session: AsyncSession, limit: int = 10) -> list[MailTest]:
    return list((await session.scalars(select(MailTest).order_by(MailTest.id.desc()).limit(limit))).all())


async def send_mail_test(session: AsyncSession, settings: Settings, test_id: int) -> str:
    """Send one test message and record the outcome; a test already decided is not sent again."""
    test = await session.get(MailTest, test_id, with_for_update=True)
    if test is None or test.status != "queued":
        return test.status if test else "missing"
    smtp = await effective_smtp(session, settings.smtp)
    message = mail.build_message(
        smtp.sender,
        [test.recipient],
        "CRM: test message",
        f"This is a test message from the CRM at {settings.base_url}, requested by {test.requested_by}.\n"
        "If you read this, outgoing mail works.",
    )
    try:
        await mail.send(smtp, message)
    except mail.MailError as exc:
        test.status, test.error = "failed", str(exc)
    else:
        test.status = "sent"
    return test.status
