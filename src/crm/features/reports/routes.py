"""Every route of the reports slice."""

from __future__ import annotations

from typing import Any

from crm.features.reports.communications_routes import ROUTES as COMMUNICATION_ROUTES
from crm.features.reports.sales_routes import ROUTES as SALES_ROUTES
from crm.features.reports.schedules_routes import ROUTES as SCHEDULE_ROUTES

ROUTES: list[Any] = [*COMMUNICATION_ROUTES, *SALES_ROUTES, *SCHEDULE_ROUTES]
