"""The tasks slice's forms (crm.lib.forms): a visit's check-in and check-out (the phone's position), its note and
photos, a comment in a thread, a task and a strategy (their rules shared with the JSON API), and the kanban's and
the calendar's one-request moves."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, Self

from litestar.datastructures import UploadFile

from crm.features.tasks.comments import error_text
from crm.features.tasks.models import STATUSES
from crm.features.tasks.services import TaskInput, read_task
from crm.features.tasks.strategies import StrategyInput, read_strategy
from crm.features.tasks.visits import Position
from crm.lib.forms import MAX_RAW, Boolean, Choice, Date, File, Form, Number, Text
from crm.lib.i18n import N_
from crm.lib.i18n import gettext as _

POSITION = N_("Latitude from -90 to 90, longitude from -180 to 180, accuracy in metres.")
MAX_NOTE = 5000
TASK_KEYS = ("title", "description", "priority", "status", "assignee_id", "due_at", "starts_at", "client_id",
             "strategy_id", "goal_id", "address", "lat", "lon")  # fmt: skip
STRATEGY_KEYS = ("name", "description", "state", "owner_id", "starts_on", "ends_on", "cost", "expected_result",
                 "actual_result")  # fmt: skip


class CheckInForm(Form):
    """The phone's position, all empty when the person refused it or the phone had none."""

    lat = Number(min=-90, max=90, message=POSITION)
    lon = Number(min=-180, max=180, message=POSITION)
    accuracy = Number(min=0, max=1_000_000, message=POSITION)

    def check(self) -> None:
        if not {"lat", "lon"} & set(self.errors) and (self.lat is None) != (self.lon is None):
            self.errors.add("lat", _("Give both the latitude and the longitude, or neither."))

    def position(self) -> Position:
        """The position sent; none when it is broken (the visit is recorded without it rather than lost)."""
        if {"lat", "lon", "accuracy"} & set(self.errors) or self.lat is None or self.lon is None:
            return Position()
        accuracy = float(self.accuracy) if self.accuracy is not None else None
        return Position(float(self.lat), float(self.lon), accuracy)


class NoteForm(Form):
    note = Text(max_length=MAX_NOTE)

    @property
    def sent_note(self) -> bool:
        return bool(self.raw_all("note"))


class CheckOutForm(CheckInForm, NoteForm):
    """Check out: the position, the note (only when the form has the field), and "done" to close the task."""

    done = Boolean()


class PhotosForm(Form):
    """Photos of a visit: every file sent as ``photo`` (the page; repeatable), ``photos`` or ``file`` (API
    clients). Their rules (JPEG, PNG or HEIC up to 10 MB, read from the content) are ``visits.process_photo``'s."""

    photo = File(many=True)
    photos = File(many=True)
    file = File(many=True)

    def check(self) -> None:
        if not self.uploads:
            self.errors.add("photo", _("Choose a photo."))

    @property
    def uploads(self) -> list[UploadFile]:
        return [*self.values["photo"], *self.values["photos"], *self.values["file"]]


class MoveForm(Form):
    """A kanban move: the column's status."""

    status = Choice(choices=STATUSES, required=True, required_message=N_("Choose one of the listed values."))


class RescheduleForm(Form):
    """A calendar drag: the day dropped on."""

    day = Date(
        required=True,
        min=date(2000, 1, 1),
        max=date(2100, 12, 31),
        message=N_("A date YYYY-MM-DD."),
        required_message=N_("A date YYYY-MM-DD."),
    )


class CommentForm(Form):
    """A comment on a task's or a strategy's thread, as typed: its rules (not empty, 5,000 characters, mentions of
    people who see the thread) are ``comments.add_comment``'s, shared with the API."""

    text = Text(max_length=1_000_000, strip=False)


def translated(errors: Mapping[str, str]) -> dict[str, str]:
    """A service's messages (msgids, a mention's address after a NUL) in the request's language."""
    return {k: _(error_text(m)[0], **error_text(m)[1]) for k, m in errors.items()}


class TaskForm(Form):
    """A task as the form sends it. The fields are read as text: the rules (lengths, choices, dates, the repeat
    rule) are ``services.read_task``'s, shared with the JSON API, run by ``check``; ``input`` is its result."""

    title = Text(max_length=MAX_RAW)
    description = Text(max_length=MAX_RAW, strip=False)
    priority = Text(max_length=MAX_RAW)
    status = Text(max_length=MAX_RAW)
    assignee_id = Text(max_length=MAX_RAW)
    due_at = Text(max_length=MAX_RAW)
    starts_at = Text(max_length=MAX_RAW)
    client_id = Text(max_length=MAX_RAW)
    strategy_id = Text(max_length=MAX_RAW)
    goal_id = Text(max_length=MAX_RAW)
    address = Text(max_length=MAX_RAW)
    lat = Text(max_length=MAX_RAW)
    lon = Text(max_length=MAX_RAW)
    rec_freq = Text(max_length=MAX_RAW)
    rec_interval = Text(max_length=MAX_RAW)
    rec_weekdays = Text(max_length=MAX_RAW, many=True)
    rec_month_day = Text(max_length=MAX_RAW)
    rec_until = Text(max_length=MAX_RAW)
    rec_count = Text(max_length=MAX_RAW)
    rec_skip = Boolean()
    rec_after_due = Boolean()

    input: TaskInput

    def check(self) -> None:
        self.input = read_task(self.service_input(), partial=False)
        if not self.raw_all("status"):
            self.input.values.pop("status", None)  # the new-task form has no status: the default; an edit keeps it
        self.errors.update(translated(self.input.errors))

    def service_input(self) -> dict[str, Any]:
        """What ``read_task`` reads, as the API would send it (the repeat rule as one object)."""
        raw: dict[str, Any] = {k: self.raw(k) for k in TASK_KEYS}
        freq = self.raw("rec_freq")
        raw["recurrence"] = None
        if freq:
            raw["recurrence"] = {
                "freq": freq,
                "interval": self.raw("rec_interval") or "1",
                "weekdays": self.raw_all("rec_weekdays") if freq == "weekly" else [],
                "month_day": self.raw("rec_month_day") if freq == "monthly" else "",
                "until": self.raw("rec_until"),
                "count": self.raw("rec_count"),
                "skip_days_off": self.rec_skip,
                "after_due": self.rec_after_due,
            }
        return raw

    def add_service_errors(self) -> None:
        """The messages the service added after the form was read (links to records, who may be assigned)."""
        for name, message in translated(self.input.errors).items():
            self.errors.add(name, message)

    def typed(self) -> dict[str, Any]:
        """What was typed into every field, to show the form again."""
        shown: dict[str, Any] = {k: self.raw(k) for k in self.fields}
        shown.update(
            rec_weekdays=self.raw_all("rec_weekdays"), rec_skip=self.rec_skip, rec_after_due=self.rec_after_due
        )
        return shown


class StrategyForm(Form):
    """A strategy as the form sends it (a new one with its first task). The rules are
    ``strategies.read_strategy``'s, shared with the JSON API, run by ``read``; ``input`` is its result."""

    name = Text(max_length=MAX_RAW)
    description = Text(max_length=MAX_RAW, strip=False)
    state = Text(max_length=MAX_RAW)
    owner_id = Text(max_length=MAX_RAW)
    starts_on = Text(max_length=MAX_RAW)
    ends_on = Text(max_length=MAX_RAW)
    cost = Text(max_length=MAX_RAW)
    expected_result = Text(max_length=MAX_RAW)
    actual_result = Text(max_length=MAX_RAW)
    client_ids = Text(max_length=MAX_RAW, many=True)
    goal_ids = Text(max_length=MAX_RAW, many=True)
    first_title = Text(max_length=MAX_RAW)
    first_assignee_id = Text(max_length=MAX_RAW)
    first_due_at = Text(max_length=MAX_RAW)

    input: StrategyInput

    def read(self, *, new: bool) -> Self:
        """Run the strategy's rules (a new strategy: with its first task, titled after it when left empty)."""
        raw: dict[str, Any] = {k: self.raw(k) for k in STRATEGY_KEYS} | {
            "client_ids": self.raw_all("client_ids"),
            "goal_ids": self.raw_all("goal_ids"),
        }
        if new:
            title = self.raw("first_title") or self.raw("name")
            raw["first_task"] = {"title": title, "assignee_id": self.raw("first_assignee_id")}
            raw["first_task"]["due_at"] = self.raw("first_due_at")
        self.input = read_strategy(raw, partial=not new)
        self.add_service_errors()
        return self

    def add_service_errors(self) -> None:
        for name, message in translated(self.input.errors).items():
            self.errors.add(name.replace("first_task.", "first_"), message)

    def typed(self) -> dict[str, Any]:
        shown: dict[str, Any] = {k: self.raw(k) for k in self.fields}
        return shown | {"client_ids": self.raw_all("client_ids"), "goal_ids": self.raw_all("goal_ids")}
