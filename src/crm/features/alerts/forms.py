"""The alerts slice's forms (crm.lib.forms): the daily mail switch."""

from __future__ import annotations

from crm.lib.forms import Boolean, Form


class DailyMailForm(Form):
    """The daily mail of one's alerts: a checkbox, ticked means on."""

    daily = Boolean()
