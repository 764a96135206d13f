"""Every route of the tariffs slice, for app.py."""

from __future__ import annotations

from typing import Any

from crm.features.tariffs.api import ROUTES as API_ROUTES
from crm.features.tariffs.billing_pages import ROUTES as BILLING_ROUTES
from crm.features.tariffs.journal_pages import ROUTES as JOURNAL_ROUTES
from crm.features.tariffs.registry_api import ROUTES as REGISTRY_API_ROUTES
from crm.features.tariffs.registry_pages import ROUTES as REGISTRY_ROUTES
from crm.features.tariffs.registry_row_pages import ROUTES as REGISTRY_ROW_ROUTES
from crm.features.tariffs.tariff_pages import ROUTES as TARIFF_ROUTES
from crm.features.tariffs.telegram_clients_pages import ROUTES as CLIENT_ROUTES

ROUTES: list[Any] = [
    *API_ROUTES,
    *REGISTRY_API_ROUTES,
    *TARIFF_ROUTES,
    *JOURNAL_ROUTES,
    *REGISTRY_ROUTES,
    *REGISTRY_ROW_ROUTES,
    *BILLING_ROUTES,
    *CLIENT_ROUTES,
]
