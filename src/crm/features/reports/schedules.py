"""Scheduled reports: the form (parsed and validated), who may see which schedule, saving, "run now" and
"send me a test" (a run row the worker picks up). The worker's part is in ``schedules_delivery``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts.audit_labels import register
from crm.features.accounts.services import record
from crm.features.reports import telegram
from crm.features.reports.models import ReportRun, ReportSchedule
from crm.features.reports.schedules_timing import FREQUENCIES, PERIOD_KINDS, Timing, next_run
from crm.lib.i18n import N_, local_tz
from crm.lib.security import SecretBox

SECRETS = SecretBox("report-schedules", "v1:")
MANAGE = ("integrations.manage", "scope.department")  # admins and heads
MAX_EMAILS = 20
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
EMAIL = re.compile(r"[^@\s,;<>\"']+@[^@\s,;<>\"']+\.[^@\s,;<>\"']+")
# im.message.add's DIALOG_ID: "chat<N>" for a group chat, the user's id for a private dialog with that user
DIALOG = re.compile(r"chat[1-9]\d{0,17}|[1-9]\d{0,17}")
STREAM_DEST = re.compile(r"UA|[UG]\d{1,18}|DR?\d{1,18}|SG\d{1,18}")


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


@dataclass
class Parsed:
    """What the form said, validated; ``typed`` keeps every typed value for the re-shown form (never a token)."""

    typed: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)
    token: str | None = None  # a new bot token; None keeps the stored one
    remove_token: bool = False


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


def parse_form(data: Any, pipelines: set[int], fields: list[str], has_token: bool) -> Parsed:  # data: a form multidict
    def text(name: str, limit: int = 200) -> str:
        return str(data.get(name) or "").strip()[:limit]

    typed: dict[str, Any] = {
        "name": text("name", 120),
        "period": text("period", 20),
        "pipeline_id": text("pipeline_id", 20),
        "field": text("field", 64),
        "frequency": text("frequency", 10),
        "time": text("time", 8),
        "weekday": text("weekday", 2),
        "month_day": text("month_day", 3),
        "active": bool(data.get("active")),
        "b24_chat": text("b24_chat", 40),
        "b24_stream": bool(data.get("b24_stream")),
        "b24_stream_dest": text("b24_stream_dest", 40) or "UA",
        "telegram_chat": text("telegram_chat", 40),
        "emails": text("emails", 2000),
    }
    parsed = Parsed(typed=typed)
    errors = parsed.errors
    if not typed["name"]:
        errors["name"] = N_("Give the schedule a name.")
    if typed["period"] not in PERIOD_KINDS:
        errors["period"] = N_("Choose a period.")
    pipeline_id: int | None = None
    if typed["pipeline_id"]:
        try:
            pipeline_id = int(typed["pipeline_id"])
        except ValueError:
            pipeline_id = -1
        if pipeline_id not in pipelines:
            errors["pipeline_id"] = N_("No such pipeline.")
    if typed["field"] and typed["field"] not in fields:
        errors["field"] = N_("No such deal field.")
    if typed["frequency"] not in FREQUENCIES:
        errors["frequency"] = N_("Choose daily, weekly or monthly.")
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", typed["time"])
    hour = minute = 0
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        errors["time"] = N_("A time of day like 09:00.")
    else:
        hour, minute = int(match[1]), int(match[2])
    weekday = month_day = None
    if typed["frequency"] == "weekly":
        weekday = int(typed["weekday"]) if typed["weekday"].isdigit() and int(typed["weekday"]) <= 6 else None
        if weekday is None:
            errors["weekday"] = N_("Choose a day of the week.")
    if typed["frequency"] == "monthly":
        ok = typed["month_day"].isdigit() and 1 <= int(typed["month_day"]) <= 31
        month_day = int(typed["month_day"]) if ok else None
        if month_day is None:
            errors["month_day"] = N_("A day of the month from 1 to 31 (31: the last day of shorter months).")
    destinations: list[dict[str, str]] = []
    if typed["b24_chat"]:
        dialog = typed["b24_chat"].lower().replace(" ", "")
        if DIALOG.fullmatch(dialog):
            destinations.append({"kind": "bitrix24_chat", "target": dialog})
        else:
            errors["b24_chat"] = N_(
                "A chat's dialog id looks like chat123. A private dialog with a user is the user's id, like 42."
            )
    if typed["b24_stream"]:
        dest = typed["b24_stream_dest"].upper().replace(" ", "")
        if all(STREAM_DEST.fullmatch(x) for x in dest.split(",")):
            destinations.append({"kind": "bitrix24_stream", "target": dest})
        else:
            errors["b24_stream_dest"] = N_("Recipients like UA (everybody), U5, DR3 or SG7, separated by commas.")
    token = str(data.get("telegram_token") or "").strip()
    parsed.remove_token = bool(data.get("telegram_token_remove")) and not token
    if token and not telegram.valid_token(token):
        errors["telegram_token"] = N_("A bot token looks like 123456789:AAF… (from @BotFather).")
    parsed.token = token or None
    if typed["telegram_chat"]:
        if not telegram.valid_chat_id(typed["telegram_chat"]):
            errors["telegram_chat"] = N_("A chat id is a number (groups: -100…) or @channel_name.")
        elif not token and (not has_token or parsed.remove_token):
            errors["telegram_token"] = N_("Enter the bot's token to send to Telegram.")
        else:
            destinations.append({"kind": "telegram", "target": typed["telegram_chat"]})
    addresses = [a.strip() for a in re.split(r"[\s,;]+", typed["emails"]) if a.strip()]
    bad = [a for a in addresses if not EMAIL.fullmatch(a)]
    if bad:
        errors["emails"] = N_("Not an email address: %(address)s")
        parsed.values["bad_email"] = bad[0][:80]
    elif len(addresses) > MAX_EMAILS:
        errors["emails"] = N_("At most 20 addresses.")
    for address in dict.fromkeys(a.lower() for a in addresses):
        destinations.append({"kind": "email", "target": address})
    parsed.values.update(
        name=typed["name"],
        params={"period": typed["period"], "pipeline_id": pipeline_id, "field": typed["field"] or None},
        frequency=typed["frequency"],
        hour=hour,
        minute=minute,
        weekday=weekday,
        month_day=month_day,
        active=typed["active"],
        destinations=destinations,
    )
    return parsed


def apply(schedule: ReportSchedule, parsed: Parsed, now: datetime | None = None) -> None:
    values = {k: v for k, v in parsed.values.items() if k != "bad_email"}
    for key, value in values.items():
        setattr(schedule, key, value)
    if parsed.token:
        schedule.telegram_token_enc = SECRETS.encrypt(parsed.token)
    elif parsed.remove_token:
        schedule.telegram_token_enc = ""
    now = now or datetime.now(UTC)
    schedule.next_run_at = next_run(timing_of(schedule), local_tz(), now) if schedule.active else None
    schedule.zone = local_tz().key


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
