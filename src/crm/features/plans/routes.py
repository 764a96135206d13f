"""Every route of the plans slice."""

from __future__ import annotations

from typing import Any

from crm.features.plans.api import ROUTES as API_ROUTES
from crm.features.plans.day import ROUTES as DAY_ROUTES
from crm.features.plans.pages import ROUTES as PAGE_ROUTES
from crm.features.plans.refresh import ROUTES as REFRESH_ROUTES
from crm.features.plans.settings_page import ROUTES as SETTINGS_ROUTES

ROUTES: list[Any] = [*PAGE_ROUTES, *SETTINGS_ROUTES, *DAY_ROUTES, *API_ROUTES, *REFRESH_ROUTES]
