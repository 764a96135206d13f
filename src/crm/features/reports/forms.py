"""The reports slice's forms (crm.lib.forms): the client-communication report's saved views and settings, a
scheduled report."""

from __future__ import annotations

import re
from typing import Any

from crm.features.reports import telegram
from crm.features.reports.schedules_timing import FREQUENCIES, PERIOD_KINDS
from crm.lib.forms import Boolean, Choice, Form, Integer, Text
from crm.lib.i18n import N_
from crm.lib.i18n import gettext as _


class ViewForm(Form):
    """Save the current filters (``query``: the page's query string) under a name."""

    name = Text(required=True, max_length=120, required_message=N_("Give the view a name."))
    query = Text(max_length=4000)


class ReportSettingsForm(Form):
    """How many months without a communication make a company stale, how recent a lost deal is, rows a page."""

    stale_months = Integer(required=True, min=1, max=60)
    lost_days = Integer(required=True, min=1, max=366)
    page_size = Integer(required=True, min=10, max=500)


# --- a scheduled report (schedules.py saves it; the rules needing the database are in schedules.check_form) ---
EMAIL = re.compile(r"[^@\s,;<>\"']+@[^@\s,;<>\"']+\.[^@\s,;<>\"']+")
# im.message.add's DIALOG_ID: "chat<N>" for a group chat, the user's id for a private dialog with that user
DIALOG = re.compile(r"chat[1-9]\d{0,17}|[1-9]\d{0,17}")
STREAM_DEST = re.compile(r"UA|[UG]\d{1,18}|DR?\d{1,18}|SG\d{1,18}")
MAX_EMAILS = 20
TIME = re.compile(r"(\d{1,2}):(\d{2})")
DIALOG_MESSAGE = N_("A chat's dialog id looks like chat123. A private dialog with a user is the user's id, like 42.")
TIME_MESSAGE = N_("A time of day like 09:00.")
PERIOD_MESSAGE = N_("Choose a period.")
CHAT_MESSAGE = N_("A chat id is a number (groups: -100…) or @channel_name.")
TOKEN_MESSAGE = N_("A bot token looks like 123456789:AAF… (from @BotFather).")
MONTH_DAY_MESSAGE = N_("A day of the month from 1 to 31 (31: the last day of shorter months).")


def _dialog(text: str) -> str:
    return text.lower().replace(" ", "")


def _stream(text: str) -> str:
    return text.upper().replace(" ", "")


def _addresses(text: str) -> list[str]:
    return [a.strip() for a in re.split(r"[\s,;]+", text) if a.strip()]


def _time_problem(text: str) -> str | None:
    match = TIME.fullmatch(text)
    return None if match and int(match[1]) <= 23 and int(match[2]) <= 59 else TIME_MESSAGE


def _dialog_problem(text: str) -> str | None:
    return None if DIALOG.fullmatch(_dialog(text)) else DIALOG_MESSAGE


def _chat_problem(text: str) -> str | None:
    return None if telegram.valid_chat_id(text) else CHAT_MESSAGE


def _token_problem(text: str) -> str | None:
    return None if telegram.valid_token(text) else TOKEN_MESSAGE


class ScheduleForm(Form):
    """A scheduled sales report: what (period, pipeline, field), when (frequency, time, weekday or month day) and
    where to (a Bitrix24 chat or the activity stream, a Telegram chat with its bot token, e-mail addresses)."""

    name = Text(required=True, max_length=120, required_message=N_("Give the schedule a name."))
    period = Choice(choices=PERIOD_KINDS, required=True, message=PERIOD_MESSAGE, required_message=PERIOD_MESSAGE)
    pipeline_id = Integer(min=1, message=N_("No such pipeline."))
    field = Text(max_length=64, message=N_("No such deal field."))
    frequency = Choice(
        choices=FREQUENCIES,
        required=True,
        message=N_("Choose daily, weekly or monthly."),
        required_message=N_("Choose daily, weekly or monthly."),
    )
    time = Text(
        required=True, max_length=8, validate=_time_problem, message=TIME_MESSAGE, required_message=TIME_MESSAGE
    )
    weekday = Integer(min=0, max=6, message=N_("Choose a day of the week."))
    month_day = Integer(min=1, max=31, message=MONTH_DAY_MESSAGE)
    active = Boolean()
    b24_chat = Text(max_length=40, message=DIALOG_MESSAGE, validate=_dialog_problem)
    b24_stream = Boolean()
    b24_stream_dest = Text(max_length=40, default="UA")
    telegram_chat = Text(max_length=40, message=CHAT_MESSAGE, validate=_chat_problem)
    telegram_token = Text(max_length=200, message=TOKEN_MESSAGE, validate=_token_problem)
    telegram_token_remove = Boolean()
    emails = Text(max_length=2000)

    def check(self) -> None:
        for name, needed_by in (("weekday", "weekly"), ("month_day", "monthly")):
            if self.frequency != needed_by:
                self.errors.pop(name, None)  # only the chosen frequency's day counts
                self.values[name] = None
            elif self.values.get(name) is None:
                self.errors.add(name, self._default_message(name))
        if not self.b24_stream:
            self.errors.pop("b24_stream_dest", None)
        elif not all(STREAM_DEST.fullmatch(x) for x in _stream(self.b24_stream_dest).split(",")):
            self.errors.add(
                "b24_stream_dest", _("Recipients like UA (everybody), U5, DR3 or SG7, separated by commas.")
            )
        addresses = _addresses(self.emails)
        bad = [a for a in addresses if not EMAIL.fullmatch(a)]
        if bad:
            self.errors.add("emails", _("Not an email address: %(address)s", address=bad[0][:80]))
        elif len(addresses) > MAX_EMAILS:
            self.errors.add("emails", _("At most 20 addresses."))

    def _default_message(self, name: str) -> str:
        return _(MONTH_DAY_MESSAGE) if name == "month_day" else _("Choose a day of the week.")

    @property
    def remove_token(self) -> bool:
        """The stored bot token is to be forgotten (ticked, and no new one typed)."""
        return self.telegram_token_remove and not self.telegram_token

    def hour_minute(self) -> tuple[int, int]:
        match = TIME.fullmatch(self.time)
        return (int(match[1]), int(match[2])) if match else (0, 0)

    def destinations(self) -> list[dict[str, str]]:
        """Where the report goes, as the schedule keeps it (a chat's id folded, addresses lower-case, once each)."""
        found: list[dict[str, str]] = []
        if self.b24_chat:
            found.append({"kind": "bitrix24_chat", "target": _dialog(self.b24_chat)})
        if self.b24_stream:
            found.append({"kind": "bitrix24_stream", "target": _stream(self.b24_stream_dest)})
        if self.telegram_chat:
            found.append({"kind": "telegram", "target": self.telegram_chat})
        for address in dict.fromkeys(a.lower() for a in _addresses(self.emails)):
            found.append({"kind": "email", "target": address})
        return found

    def shown_without_token(self) -> dict[str, Any]:
        """What was typed, to show again, without the bot token (never echoed, not even a wrong one)."""
        return {k: v for k, v in self.shown().items() if k != "telegram_token"}
