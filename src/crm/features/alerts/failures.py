"""Jobs that failed for good (a sync, an import, a scheduled report, a detail sheet, the mailbox check): recorded by
the worker after the job's last attempt, shown to admins in the bell, mailed to them when mail is configured. One
notice (and one mail) per kind per hour: further failures of the kind within the hour are counted on it."""

from __future__ import annotations

import logging
import zlib
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select, text

from crm.config import get_settings
from crm.features.accounts.models import User
from crm.features.alerts.models import OperationFailure
from crm.features.alerts.registry import Alert
from crm.integrations import mail
from crm.lib import i18n
from crm.lib.i18n import N_
from crm.lib.i18n import gettext as _
from crm.lib.logs import redact

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from crm.config import SmtpSettings

log = logging.getLogger("crm.alerts")

ADMIN = "integrations.manage"
WINDOW = timedelta(hours=1)
SHOWN_FOR = timedelta(hours=24)

# kind → (what failed, where to look); the kind is read from the job's name
KINDS: dict[str, tuple[str, str]] = {
    "mailbox": (N_("The mailbox check failed"), "/imports/mailbox"),
    "sync": (N_("The Bitrix24 sync failed"), "/integrations/bitrix24"),
    "import": (N_("An import failed"), "/imports"),
    "detail_sheet": (N_("Sending a detail sheet failed"), "/billing/detail"),
    "scheduled_report": (N_("A scheduled report failed"), "/reports/schedules"),
}


def kind_of(job: str) -> str | None:
    """The failure kind of a job function's name, or None for jobs that raise no notice."""
    name = job.rsplit(".", 1)[-1].lower()
    if "mailbox" in name:
        return "mailbox"
    if "bitrix24" in name or "sync" in name:
        return "sync"
    if "detail" in name:
        return "detail_sheet"
    if "import" in name:
        return "import"
    if "report" in name or "schedule" in name:
        return "scheduled_report"
    return None


def short_error(error: str | None) -> str:
    """The last line of a traceback (the exception and its message), bounded and with anything that looks like a
    secret redacted; never the job's arguments."""
    lines = [line.strip() for line in (error or "").strip().splitlines() if line.strip()]
    return redact(lines[-1] if lines else "")[:300]


async def record(
    session: AsyncSession, kind: str, job: str, error: str, now: datetime | None = None
) -> tuple[OperationFailure, bool]:
    """Counts the failure on the kind's notice of the last hour, or opens a new notice. Returns it and whether it
    is new (the caller then mails it). Serialised per kind by an advisory lock, so two workers failing at once
    still make one notice."""
    now = now or datetime.now(UTC)
    await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": zlib.crc32(f"failure:{kind}".encode())})
    row = await session.scalar(
        select(OperationFailure)
        .where(OperationFailure.kind == kind, OperationFailure.first_at > now - WINDOW)
        .order_by(OperationFailure.first_at.desc())
        .limit(1)
    )
    if row is not None:
        row.occurrences += 1
        row.last_at, row.error, row.job = now, error or row.error, job
        return row, False
    row = OperationFailure(kind=kind, job=job, error=error, occurrences=1, first_at=now, last_at=now)
    session.add(row)
    await session.flush()
    return row, True


def _message(row: OperationFailure) -> str:
    what = _(KINDS.get(row.kind, (N_("A background job failed"), ""))[0])
    if row.occurrences > 1:
        what = i18n.ngettext("%(what)s (%(num)s time)", "%(what)s (%(num)s times)", row.occurrences, what=what)
    return f"{what}: {row.error}" if row.error else what


async def alerts(session: AsyncSession, user: User) -> list[Alert]:
    """Admins see the failures of the last day, one per kind and hour."""
    if not user.can(ADMIN):
        return []
    rows = await session.scalars(
        select(OperationFailure)
        .where(OperationFailure.first_at > datetime.now(UTC) - SHOWN_FOR)
        .order_by(OperationFailure.first_at.desc())
        .limit(50)
    )
    return [
        Alert(kind="job_failed", message=_message(r), link=KINDS.get(r.kind, ("", "/alerts"))[1], created_at=r.last_at)
        for r in rows
    ]


async def admins(session: AsyncSession) -> list[User]:
    users = await session.scalars(select(User).where(User.is_active.is_(True)).order_by(User.email))
    return [u for u in users if u.can(ADMIN)]


async def mail_admins(session: AsyncSession, smtp: SmtpSettings, row: OperationFailure) -> int:
    """One mail per admin (in their language) about a new notice; nothing when mail is not configured."""
    if not smtp.configured:
        return 0
    sent = 0
    for admin in await admins(session):
        token = i18n.set_locale(admin.locale or "")
        try:
            subject = _("CRM: %(what)s", what=_(KINDS.get(row.kind, (N_("A background job failed"), ""))[0]))
            body = _(
                "%(notice)s\n\nTime: %(when)s\nFurther failures of this kind within the hour are counted on the "
                "same notice.\nSee %(link)s",
                notice=_message(row),
                when=row.first_at.astimezone(i18n.local_tz()).strftime("%Y-%m-%d %H:%M"),
                link=get_settings().base_url + KINDS.get(row.kind, ("", "/alerts"))[1],
            )
        finally:
            i18n._current.reset(token)
        try:
            await mail.send(smtp, mail.build_message(smtp.sender, [admin.email], subject, body))
            sent += 1
        except mail.MailError as exc:
            log.warning("failure notice to an admin not sent: %s", exc)
    return sent
