"""Routes of the goals slice: goals, the sales analysis, control, their API."""

from __future__ import annotations

from typing import Any

from crm.features.goals.api import ROUTES as API_ROUTES

ROUTES: list[Any] = [*API_ROUTES]
