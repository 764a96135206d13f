"""The plans slice's forms (crm.lib.forms): the report settings, refreshing a period, forcing a day, a day's
comment."""

from __future__ import annotations

from crm.features.plans.services import MAX_COMMENT, MAX_YEAR, MIN_YEAR
from crm.lib.forms import Form, Integer, Text
from crm.lib.i18n import N_

DEADLINE = N_("A day of the month from 1 to 28.")


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
