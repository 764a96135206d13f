"""The goals slice's forms (crm.lib.forms): the analysis settings (ABC thresholds, index formulas), a category or
a reason, and a rule that assigns a category."""

from __future__ import annotations

from decimal import Decimal

from crm.features.goals import services
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


class CategoryCellForm(Form):
    """A row's category and reason set by hand (names from the variable's lists, empty: the automatic one;
    ``overrides.set_override`` checks they are in the lists), with the table's variable and month and the address
    to go back to (hidden: a bad one is refused with a 422 naming it)."""

    variable = Choice(choices=VARIABLES, required=True)
    month = Text(max_length=20)
    back = Text(max_length=2000)
    category = Text(max_length=MAX_NAME, message=N_("Choose a category from the list of this variable."))
    reason = Text(max_length=MAX_NAME, message=N_("Choose a reason from the list of this variable."))

    @property
    def back_url(self) -> str:
        """Back to the clients table only (never to another site)."""
        return self.back if self.back.startswith("/analysis/clients") else "/analysis/clients"


class AnalysisViewForm(Form):
    """Save the clients analysis as filtered (``query``) under a name (spaces collapsed)."""

    name = Text(required=True, max_length=400, required_message=N_("Give the view a name."))
    query = Text(max_length=2000)

    @property
    def view_name(self) -> str:
        return " ".join(self.raw("name").split())[:80]


def _target() -> Text:
    return Text(max_length=30)  # a month's target as typed; ``services.check`` reads it


MONTH = N_("A month from 1 to 12.")
HELPERS = {"repeat": ("fill_from", "fill_value"), "grow": ("grow_from", "grow_percent")}


class GoalForm(Form):
    """A goal: who, what, the year, a name and twelve monthly targets (checked by ``services.check``, shared with
    the API), and the two helpers that fill the targets in: "repeat a value from a month" and "grow by N % from a
    month" (``action``)."""

    variable = Text(max_length=60)
    family = Text(max_length=60)
    responsible_id = Text(max_length=60)
    year = Text(max_length=60)
    name = Text(max_length=services.MAX_NAME)
    t1, t2, t3, t4, t5, t6 = _target(), _target(), _target(), _target(), _target(), _target()
    t7, t8, t9, t10, t11, t12 = _target(), _target(), _target(), _target(), _target(), _target()
    action = Choice(choices=("save", "repeat", "grow"), default="save")
    fill_from = Integer(min=1, max=12, message=MONTH, required_message=MONTH)
    fill_value = Number(min=0, message=N_("A number from 0, e.g. 120000 or 1 250 000,50."))
    grow_from = Integer(min=1, max=12, message=MONTH, required_message=MONTH)
    grow_percent = Number(min=-100, max=1000, message=N_("A percentage from -100 to 1000."))

    def check(self) -> None:
        """Only the chosen helper's fields count; the chosen helper needs both of its own."""
        chosen = HELPERS.get(self.action, ())
        for name in {n for pair in HELPERS.values() for n in pair} - set(chosen):
            self.errors.pop(name, None)
        for name in chosen:
            if self.values[name] is None and name not in self.errors:
                self.errors.add(name, _(self.fields[name].message or MONTH))

    def typed(self) -> dict[str, str]:
        """Every field as typed, for the form shown again."""
        return {name: self.raw(name) for name in self.fields if name != "action"}

    def filled_targets(self) -> dict[int, Decimal]:
        """The targets typed, with the chosen helper applied (a valid form with a helper chosen)."""
        targets = {
            m: value
            for m in services.MONTHS
            if self.raw(f"t{m}").strip() and (value := services.parse_target(self.raw(f"t{m}"))) is not None
        }
        if self.action == "repeat" and self.fill_from is not None:
            return services.fill(targets, self.fill_from, value=self.fill_value)
        if self.action == "grow" and self.grow_from is not None:
            return services.fill(targets, self.grow_from, grow_percent=self.grow_percent)
        return targets
