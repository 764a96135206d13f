"""Worker start-up: a database session factory in the job context, the organisation's settings loaded."""

from __future__ import annotations

import logging
from typing import Any

from crm.features.system import settings as system_settings
from crm.lib.db import alchemy_config

log = logging.getLogger("crm.worker")


async def startup(ctx: dict[str, Any]) -> None:
    config = alchemy_config()
    ctx["db"] = config
    await system_settings.start(config)  # the time zone (kept fresh); the SMTP settings are read per mail
    log.info("worker started")


async def shutdown(ctx: dict[str, Any]) -> None:
    config = ctx.get("db")
    if config is not None:
        await config.get_engine().dispose()
