"""The reports slice's forms (crm.lib.forms): the client-communication report's saved views and settings."""

from __future__ import annotations

from crm.lib.forms import Form, Integer, Text
from crm.lib.i18n import N_


class ViewForm(Form):
    """Save the current filters (``query``: the page's query string) under a name."""

    name = Text(required=True, max_length=120, required_message=N_("Give the view a name."))
    query = Text(max_length=4000)


class ReportSettingsForm(Form):
    """How many months without a communication make a company stale, how recent a lost deal is, rows a page."""

    stale_months = Integer(required=True, min=1, max=60)
    lost_days = Integer(required=True, min=1, max=366)
    page_size = Integer(required=True, min=10, max=500)
