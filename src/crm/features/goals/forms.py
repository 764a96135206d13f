"""The goals slice's forms (crm.lib.forms): the analysis settings (ABC thresholds, index formulas), a category or
a reason, and a rule that assigns a category."""

from __future__ import annotations

from decimal import Decimal

from crm.features.goals.config import MAX_NAME, METRICS, OPS
from crm.features.goals.models import INDEX_FORMULAS, VARIABLES
from crm.lib.forms import Choice, Form, Integer, Number, Text
from crm.lib.i18n import N_
from crm.lib.i18n import gettext as _

PERCENT = N_("A percentage above 0 and below 100.")
FORMULA = N_("Choose a formula from the list.")


def _percent(value: Decimal) -> str | None:
    return None if Decimal(0) < value < Decimal(100) else PERCENT


def _percentage() -> Number:
    return Number(required=True, validate=_percent, message=PERCENT, required_message=PERCENT)


def _formula() -> Choice:
    return Choice(choices=INDEX_FORMULAS, required=True, message=FORMULA, required_message=FORMULA)


class VariableForm(Form):
    """The variable a settings form was sent from (a hidden field; an unknown one is the first)."""

    variable = Choice(choices=VARIABLES, default="revenue")


class AnalysisSettingsForm(VariableForm):
    abc_a = _percentage()
    abc_b = _percentage()
    i1, i2, i3, i4 = _formula(), _formula(), _formula(), _formula()

    def check(self) -> None:
        if self.abc_a is not None and self.abc_b is not None and self.abc_b <= self.abc_a:
            self.errors.add("abc_b", _("The B threshold must be above the A threshold."))


class ItemForm(VariableForm):
    """Add a category or a reason (``name``), or remove one (``remove``: its id)."""

    name = Text(max_length=MAX_NAME * 4)
    remove = Integer(min=1)


class RuleForm(VariableForm):
    """Add a rule "metric op value → category", or remove one (``remove``: its id)."""

    metric = Choice(choices=METRICS, message=N_("Choose a figure from the list."))
    op = Choice(choices=OPS, message=N_("Choose a comparison from the list."))
    value = Number(max=Decimal(10) ** 13 - 1, min=-(Decimal(10) ** 13) + 1, message=N_("A number, e.g. -30 or 12.5."))
    category_id = Integer(min=1, message=N_("Choose a category from the list."))
    remove = Integer(min=1)


def _address_problem(email: str) -> str | None:
    if "@" not in email or any(c.isspace() for c in email) or len(email) < 3:
        return N_("Type an email address, e.g. name@example.com.")
    return None


class ShareForm(Form):
    """Mail the dashboard as it is filtered (``query``: the page's query string) to an address."""

    email = Text(
        required=True,
        max_length=254,
        validate=_address_problem,
        message=N_("Type an email address, e.g. name@example.com."),
        required_message=N_("Type an email address, e.g. name@example.com."),
    )
    query = Text(max_length=1000)
