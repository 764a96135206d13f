"""Routes of the sales slice."""

from __future__ import annotations

from typing import Any

from crm.features.sales.api import ROUTES as API_ROUTES
from crm.features.sales.client_pages import ROUTES as CLIENT_ROUTES
from crm.features.sales.mailbox_pages import ROUTES as MAILBOX_ROUTES
from crm.features.sales.pages import ROUTES as PAGE_ROUTES

ROUTES: list[Any] = [*API_ROUTES, *PAGE_ROUTES, *MAILBOX_ROUTES, *CLIENT_ROUTES]
