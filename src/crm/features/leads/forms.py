"""The lead desk's forms (crm.lib.forms): an operator, an operator's state and maximum load, a source, a weight,
and closing a contact."""

from __future__ import annotations

from crm.features.leads.desk import MAX_LOAD_LIMIT, MAX_WEIGHT
from crm.features.leads.models import OUTCOMES
from crm.features.leads.work import COMMENT_MAX
from crm.lib.forms import Boolean, Choice, Form, Integer, Text
from crm.lib.i18n import N_

LOAD = N_("A whole number from 0 to 100000.")
WEIGHT = N_("A whole number from 0 to 1000000.")


class MaxLoadForm(Form):
    max_load = Integer(required=True, min=0, max=MAX_LOAD_LIMIT, message=LOAD, required_message=LOAD)


class OperatorForm(MaxLoadForm):
    """Put a user on the desk: one with the operator role picked from the list, or another user by e-mail
    (``desk.operator_user`` finds them)."""

    user_id = Text(max_length=36)
    email = Text(max_length=320, lower=True)


class ActiveForm(Form):
    """The on/off switch of an operator or a source (``active=true`` turns it on)."""

    active = Boolean()


class SourceForm(Form):
    name = Text(max_length=1000)  # the rule (1 to 120 characters, unique) is desk_sources.create_source's


class WeightForm(Form):
    weight = Integer(required=True, min=0, max=MAX_WEIGHT, message=WEIGHT, required_message=WEIGHT)


MODES = ("my", "queue", "all", "lead")


class ModeForm(Form):
    """The list a row action was made from (its answer is that list's row); an unknown one is "my"."""

    mode = Choice(choices=MODES, default="my")

    @property
    def list_mode(self) -> str:
        return self.mode if "mode" not in self.errors else "my"


class CloseContactForm(ModeForm):
    outcome = Choice(
        choices=OUTCOMES,
        required=True,
        required_message=N_("Choose an outcome."),
        message=N_("Choose one of the listed outcomes."),
    )
    comment = Text(max_length=COMMENT_MAX, message=N_("The comment is at most 2000 characters."))
