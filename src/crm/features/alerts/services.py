"""Rules of the alerts slice: kind labels, the per-user daily mail switch, and the daily mail itself."""

from __future__ import annotations

import logging
import uuid
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from crm.features.accounts.models import User
from crm.features.alerts.models import AlertMailSetting
from crm.features.alerts.registry import Alert, alerts_for
from crm.integrations import mail
from crm.lib import i18n
from crm.lib.i18n import N_
from crm.lib.i18n import gettext as _

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from crm.config import SmtpSettings

log = logging.getLogger("crm.alerts")

KIND_LABELS = {
    "import_failed": N_("Import failed"),
    "goal_behind": N_("Goal behind"),
    "task_overdue": N_("Overdue task"),
    "strategy_without_tasks": N_("Strategy without tasks"),
    "mention": N_("Mention"),
    "job_failed": N_("Job failed"),
    "export": N_("Export"),
}


def kind_label(kind: str) -> str:
    label = KIND_LABELS.get(kind)
    return _(label) if label else kind.replace("_", " ")


async def mail_setting(session: AsyncSession, user_id: uuid.UUID) -> AlertMailSetting | None:
    return await session.get(AlertMailSetting, user_id)


async def set_daily(session: AsyncSession, user_id: uuid.UUID, daily: bool) -> None:
    """Idempotent: the same choice twice changes nothing."""
    stmt = insert(AlertMailSetting).values(user_id=user_id, daily=daily)
    await session.execute(stmt.on_conflict_do_update(index_elements=[AlertMailSetting.user_id], set_={"daily": daily}))


def daily_mail_text(user: User, rows: list[Alert], base_url: str) -> tuple[str, str]:
    """Subject and body of a user's daily alerts mail, in their language."""
    token = i18n.set_locale(user.locale or "")
    try:
        subject = i18n.ngettext("CRM: %(num)s alert", "CRM: %(num)s alerts", len(rows))
        lines = [_("Your current alerts:"), ""]
        for alert in rows:
            when = alert.created_at.astimezone(i18n.local_tz()).strftime("%d.%m.%Y %H:%M")
            link = alert.link if alert.link.startswith("http") else base_url + alert.link
            lines += [f"• {kind_label(alert.kind)} ({when}): {alert.message}", f"  {link}"]
        lines += ["", _("You get this mail because the daily mail is on at %(link)s.", link=base_url + "/alerts")]
    finally:
        i18n._current.reset(token)
    return subject, "\n".join(lines)


async def send_daily(session: AsyncSession, smtp: SmtpSettings, base_url: str, today: date) -> tuple[int, int]:
    """Mails each user who turned the daily mail on and has alerts (once a day: a second run the same day sends
    nothing more). Returns (sent, failed)."""
    rows = await session.execute(
        select(User, AlertMailSetting)
        .join(AlertMailSetting, AlertMailSetting.user_id == User.id)
        .where(
            AlertMailSetting.daily.is_(True),
            User.is_active.is_(True),
            (AlertMailSetting.last_sent_on.is_(None)) | (AlertMailSetting.last_sent_on < today),
        )
        .order_by(User.email)
    )
    sent = failed = 0
    for user, setting in rows.all():
        token = i18n.set_locale(user.locale or "")
        try:
            alerts = await alerts_for(session, user)
        finally:
            i18n._current.reset(token)
        if not alerts:
            continue
        subject, body = daily_mail_text(user, alerts, base_url)
        try:
            await mail.send(smtp, mail.build_message(smtp.sender, [user.email], subject, body))
        except mail.MailError as exc:
            failed += 1
            log.warning("daily alerts mail not sent: %s", exc)
            if not exc.transient:
                continue
            raise
        setting.last_sent_on = today
        await session.commit()
        sent += 1
    return sent, failed
