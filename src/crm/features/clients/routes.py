"""Every route of the clients slice (pages, the Integrations screen, the API)."""

from __future__ import annotations

from typing import Any

from crm.features.clients.api import ROUTES as API_ROUTES
from crm.features.clients.controllers import ROUTES as PAGE_ROUTES
from crm.features.clients.integrations import ROUTES as INTEGRATION_ROUTES

ROUTES: list[Any] = [*PAGE_ROUTES, *INTEGRATION_ROUTES, *API_ROUTES]
