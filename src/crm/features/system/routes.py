"""Every route of the system slice (the app collects them through ``crm.features.SLICES``)."""

from __future__ import annotations

from typing import Any

from crm.features.system.controllers import health, home, mail_test, settings_page, settings_save

ROUTES: list[Any] = [home, health, settings_page, settings_save, mail_test]
