"""The plans slice's forms (crm.lib.forms): a month's plan, the report settings, refreshing a period, forcing a
day, a day's comment."""

from __future__ import annotations

from crm.features.plans.services import MAX_COMMENT, MAX_PLAN, MAX_YEAR, MIN_YEAR
from crm.lib.forms import Boolean, Form, Integer, Keyed, Text
from crm.lib.i18n import N_

DEADLINE = N_("A day of the month from 1 to 28.")
PLAN = N_("Enter a whole number from 0 to 1000.")


class PlanSettingsForm(Form):
    """The deadline day for editing past plans and the department the statistics open with (empty: none);
    ``services.save_settings`` checks that the department exists."""

    edit_deadline_day = Integer(required=True, min=1, max=28, message=DEADLINE, required_message=DEADLINE)
    default_department_id = Integer(min=1, message=N_("Choose a department from the list."))


class RefreshForm(Form):
    """Refresh a period of the statistics from Bitrix24: a year (this one when empty), a month (the whole year
    when empty), and the grid's department/employee query to go back to."""

    year = Integer(min=MIN_YEAR, max=MAX_YEAR)
    month = Integer(min=1, max=12)
    scope_query = Text(max_length=2000)


class ForceForm(Form):
    """A head marks a day done: why (required); ``services.force_completion`` checks the day may be forced."""

    comment = Text(
        required=True,
        max_length=MAX_COMMENT,
        required_message=N_("Say why the plan counts as done."),
        message=N_("At most 2000 characters."),
    )


class DayCommentForm(Form):
    body = Text(
        required=True,
        max_length=MAX_COMMENT,
        required_message=N_("Write the comment."),
        message=N_("At most 2000 characters."),
    )


class MonthPlanForm(Form):
    """A month's call plan: one number for every working day (``daily``), or a number per day from the inputs
    ``day-YYYY-MM-DD`` (``day``: ISO date → calls, ``None`` for a day left empty: no plan), or ``copy`` the
    previous month. ``services.check_plan`` (shared with the API) checks the days are the month's working days."""

    daily = Integer(min=0, max=MAX_PLAN, message=PLAN)
    day = Keyed(Integer(min=0, max=MAX_PLAN, message=PLAN), max_keys=31)
    copy = Boolean()
