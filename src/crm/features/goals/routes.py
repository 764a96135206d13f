"""Routes of the goals slice: goals, the sales analysis, control, their API."""

from __future__ import annotations

from typing import Any

from crm.features.goals.analysis_pages import ROUTES as ANALYSIS_ROUTES
from crm.features.goals.api import ROUTES as API_ROUTES
from crm.features.goals.control import ROUTES as CONTROL_ROUTES
from crm.features.goals.pages import ROUTES as GOAL_ROUTES
from crm.features.goals.settings_page import ROUTES as SETTINGS_ROUTES

ROUTES: list[Any] = [*GOAL_ROUTES, *ANALYSIS_ROUTES, *SETTINGS_ROUTES, *CONTROL_ROUTES, *API_ROUTES]
