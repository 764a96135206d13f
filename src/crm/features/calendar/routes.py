"""Every route of the calendar slice (the app collects them through ``crm.features.SLICES``)."""

from __future__ import annotations

from typing import Any

from crm.features.calendar.controllers import calendar_toggle, calendar_year

ROUTES: list[Any] = [calendar_year, calendar_toggle]
