"""Scheduled reports: the form (parsed and validated), who may see which schedule, saving, "run now" and
"send me a test" (a run row the worker picks up). The worker's part is in ``schedules_delivery``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts.audit_labels import register
from crm.features.accounts.services import record
from crm.features.reports.forms import ScheduleForm
from crm.features.reports.models import ReportRun, ReportSchedule
from crm.features.reports.schedules_timing import Timing, next_run
from crm.lib.i18n import N_, local_tz
from crm.lib.i18n import gettext as _
from crm.lib.security import SecretBox

SECRETS = SecretBox("report-schedules", "v1:")
MANAGE = ("integrations.manage", "scope.department")  # admins and heads
KINDS = ("bitrix24_chat", "bitrix24_stream", "telegram", "email")
KIND_LABELS = {
    "bitrix24_chat": N_("Bitrix24 chat"),
    "bitrix24_stream": N_("Bitrix24 activity stream"),
    "telegram": N_("Telegram chat"),
    "email": N_("Email"),
}
PERIOD_LABELS = {
    "yesterday": N_("Yesterday"),
    "today": N_("Today"),
    "last-week": N_("Last week"),
    "week": N_("This week"),
    "last-month": N_("Last month"),
    "month": N_("This month"),
    "last-quarter": N_("Last quarter"),
    "quarter": N_("This quarter"),
}
register(
    {
        "report_schedule": N_("Scheduled report"),
        "period": N_("Period"),
        "schedule": N_("Schedule"),
        "destinations": N_("Destinations"),
        "bot_token": N_("Bot token"),
        "active": N_("Active"),
    },
    values={"bot_token": {"set": N_("set")}},
)


def can_manage(user: Any) -> bool:
    return bool(user) and any(user.can(p) for p in MANAGE) and user.can("reports.view")


def visible(user: Any) -> Select[tuple[ReportSchedule]]:
    """Admins see every schedule; a head only their own (others' are 404)."""
    stmt = select(ReportSchedule)
    if not user.can("integrations.manage"):
        stmt = stmt.where(ReportSchedule.owner_id == user.id)
    return stmt


async def get_visible(session: AsyncSession, user: Any, schedule_id: int) -> ReportSchedule | None:
    return await session.scalar(visible(user).where(ReportSchedule.id == schedule_id))


def timing_of(schedule: ReportSchedule) -> Timing:
    return Timing(schedule.frequency, schedule.hour, schedule.minute, schedule.weekday, schedule.month_day)


def blank_form(user: Any) -> dict[str, Any]:
    return {
        "name": "",
        "period": "yesterday",
        "pipeline_id": "",
        "field": "",
        "frequency": "daily",
        "time": "09:00",
        "weekday": "0",
        "month_day": "1",
        "active": True,
        "b24_chat": "",
        "b24_stream": False,
        "b24_stream_dest": "UA",
        "telegram_chat": "",
        "emails": getattr(user, "email", "") or "",
    }


def form_of(schedule: ReportSchedule) -> dict[str, Any]:
    params = schedule.params or {}
    typed: dict[str, Any] = {
        "name": schedule.name,
        "period": params.get("period", "yesterday"),
        "pipeline_id": "" if params.get("pipeline_id") is None else str(params["pipeline_id"]),
        "field": params.get("field") or "",
        "frequency": schedule.frequency,
        "time": f"{schedule.hour:02d}:{schedule.minute:02d}",
        "weekday": str(schedule.weekday if schedule.weekday is not None else 0),
        "month_day": str(schedule.month_day or 1),
        "active": schedule.active,
        "b24_chat": "",
        "b24_stream": False,
        "b24_stream_dest": "UA",
        "telegram_chat": "",
        "emails": "",
    }
    emails = []
    for item in schedule.destinations or []:
        kind, target = item.get("kind"), item.get("target", "")
        if kind == "bitrix24_chat":
            typed["b24_chat"] = target
        elif kind == "bitrix24_stream":
            typed["b24_stream"], typed["b24_stream_dest"] = True, target or "UA"
        elif kind == "telegram":
            typed["telegram_chat"] = target
        elif kind == "email":
            emails.append(target)
    typed["emails"] = ", ".join(emails)
    return typed


def parse_form(data: Any, pipelines: set[int], fields: list[str], has_token: bool) -> ScheduleForm:
    """The schedule form (``data``: what the browser sent) with the rules that need the stored choices: a pipeline
    and a deal field that exist, and a bot token (typed or kept) for a Telegram chat."""
    return check_choices(ScheduleForm.parse(data), pipelines, fields, has_token)


def check_choices(form: ScheduleForm, pipelines: set[int], fields: list[str], has_token: bool) -> ScheduleForm:
    """The rules of a read schedule form that need the stored choices (see ``parse_form``); messages added."""
    if form.pipeline_id is not None and form.pipeline_id not in pipelines:
        form.errors.add("pipeline_id", _("No such pipeline."))
    if form.field and form.field not in fields:
        form.errors.add("field", _("No such deal field."))
    no_token = not form.telegram_token and (not has_token or form.remove_token)
    if form.telegram_chat and "telegram_chat" not in form.errors and no_token:
        form.errors.add("telegram_token", _("Enter the bot's token to send to Telegram."))
    return form


def apply(schedule: ReportSchedule, form: ScheduleForm, now: datetime | None = None) -> None:
    schedule.name = form.name
    schedule.params = {"period": form.period, "pipeline_id": form.pipeline_id, "field": form.field or None}
    schedule.frequency = form.frequency
    schedule.hour, schedule.minute = form.hour_minute()
    schedule.weekday, schedule.month_day = form.weekday, form.month_day
    schedule.active = form.active
    schedule.destinations = form.destinations()
    if form.telegram_token:
        schedule.telegram_token_enc = SECRETS.encrypt(form.telegram_token)
    elif form.remove_token:
        schedule.telegram_token_enc = ""
    now = now or datetime.now(UTC)
    schedule.next_run_at = next_run(timing_of(schedule), local_tz(), now) if schedule.active else None
    schedule.zone = local_tz().key


async def save(
    session: AsyncSession, actor: Any, schedule: ReportSchedule | None, form: ScheduleForm
) -> ReportSchedule:
    """Create (``schedule`` None: owned by ``actor``) or change a schedule from a checked form, audited."""
    before, action = audited(schedule), "update" if schedule else "create"
    if schedule is None:
        schedule = ReportSchedule(owner_id=actor.id, report="sales", telegram_token_enc="")
        session.add(schedule)
    apply(schedule, form)
    await session.flush()
    await audit(session, actor, schedule, action, before)
    return schedule


def token_of(schedule: ReportSchedule) -> str:
    return SECRETS.decrypt(schedule.telegram_token_enc or "")


async def request_run(session: AsyncSession, schedule: ReportSchedule, user: Any, test: bool = False) -> ReportRun:
    """A run for now ("Run now": every destination; "Send me a test": only the user's email)."""
    destinations = [{"kind": "email", "target": user.email}] if test else list(schedule.destinations or [])
    run = ReportRun(
        schedule_id=schedule.id,
        scheduled_for=datetime.now(UTC),
        kind="test" if test else "manual",
        requested_by=user.id,
        destinations=destinations,
    )
    session.add(run)
    await session.flush()
    return run


def audited(schedule: ReportSchedule | None) -> dict[str, Any]:
    """What the audit log keeps of a schedule: never the token, only whether one is set."""
    if schedule is None:
        return {}
    params = schedule.params or {}
    weekday = "" if schedule.weekday is None else f" wd{schedule.weekday}"
    month_day = "" if schedule.month_day is None else f" d{schedule.month_day}"
    return {
        "name": schedule.name,
        "period": params.get("period"),
        "schedule": f"{schedule.frequency} {schedule.hour:02d}:{schedule.minute:02d}{weekday}{month_day}",
        "destinations": ", ".join(f"{d.get('kind')}:{d.get('target', '')}" for d in schedule.destinations or []),
        "bot_token": "set" if schedule.telegram_token_enc else "",
        "active": schedule.active,
    }


async def audit(
    session: AsyncSession, actor: Any, schedule: ReportSchedule, action: str, before: dict[str, Any]
) -> None:
    after = audited(schedule) if action != "delete" else {}
    changes = {k: [before.get(k), after.get(k)] for k in {**before, **after} if before.get(k) != after.get(k)}
    if action == "update" and not changes:
        return
    await record(session, actor, "report_schedule", str(schedule.id), action, changes, summary=schedule.name)
