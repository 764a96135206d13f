"""Routes of the alerts slice and of operations (metrics)."""

from __future__ import annotations

from typing import Any

from crm.features.alerts.exports import ROUTES as EXPORT_ROUTES
from crm.features.alerts.metrics import ROUTES as METRICS_ROUTES
from crm.features.alerts.pages import ROUTES as PAGE_ROUTES

ROUTES: list[Any] = [*PAGE_ROUTES, *METRICS_ROUTES, *EXPORT_ROUTES]
