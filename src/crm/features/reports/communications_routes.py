"""Routes of the communications report (pages, partials, exports and the API)."""

from __future__ import annotations

from typing import Any

ROUTES: list[Any] = []
