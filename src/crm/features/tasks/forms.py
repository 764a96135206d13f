"""The tasks slice's forms (crm.lib.forms): a visit's check-in and check-out (the phone's position) and its note, a
comment in a thread."""

from __future__ import annotations

from crm.features.tasks.visits import Position
from crm.lib.forms import Boolean, Form, Number, Text
from crm.lib.i18n import N_
from crm.lib.i18n import gettext as _

POSITION = N_("Latitude from -90 to 90, longitude from -180 to 180, accuracy in metres.")
MAX_NOTE = 5000


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


class CommentForm(Form):
    """A comment on a task's or a strategy's thread, as typed: its rules (not empty, 5,000 characters, mentions of
    people who see the thread) are ``comments.add_comment``'s, shared with the API."""

    text = Text(max_length=1_000_000, strip=False)
