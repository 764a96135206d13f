"""Routes of the lead desk: pages of daily work, set-up pages, and the JSON API."""

from __future__ import annotations

from typing import Any

from crm.features.leads import api, desk_pages, pages, work_pages

ROUTES: list[Any] = [*pages.ROUTES, *work_pages.ROUTES, *desk_pages.ROUTES, *api.ROUTES]
