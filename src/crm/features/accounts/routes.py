"""Every route of the accounts slice (sign-in and profile pages, administration, the API)."""

from __future__ import annotations

from typing import Any

from crm.features.accounts.admin import ROUTES as ADMIN_ROUTES
from crm.features.accounts.api import ROUTES as API_ROUTES
from crm.features.accounts.controllers import ROUTES as PAGE_ROUTES
from crm.features.accounts.people import ROUTES as PEOPLE_ROUTES

ROUTES: list[Any] = [*PAGE_ROUTES, *ADMIN_ROUTES, *API_ROUTES, *PEOPLE_ROUTES]
