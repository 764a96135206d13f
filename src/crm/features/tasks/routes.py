"""Routes of the tasks slice."""

from __future__ import annotations

from typing import Any

from crm.features.tasks.api import ROUTES as TASK_API
from crm.features.tasks.strategies_api import ROUTES as STRATEGY_API
from crm.features.tasks.visits_api import ROUTES as VISIT_API

ROUTES: list[Any] = [*TASK_API, *STRATEGY_API, *VISIT_API]
