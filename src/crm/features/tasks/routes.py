"""Routes of the tasks slice."""

from __future__ import annotations

from typing import Any

from crm.features.tasks.api import ROUTES as TASK_API
from crm.features.tasks.calendar_page import ROUTES as CALENDAR
from crm.features.tasks.myday import ROUTES as MY_DAY
from crm.features.tasks.pages import ROUTES as BOARD
from crm.features.tasks.strategies_api import ROUTES as STRATEGY_API
from crm.features.tasks.strategy_pages import ROUTES as STRATEGY_PAGES
from crm.features.tasks.task_pages import ROUTES as TASK_PAGES
from crm.features.tasks.visits_api import ROUTES as VISIT_API

ROUTES: list[Any] = [
    *TASK_API,
    *STRATEGY_API,
    *VISIT_API,
    *BOARD,
    *CALENDAR,
    *TASK_PAGES,
    *STRATEGY_PAGES,
    *MY_DAY,
]
