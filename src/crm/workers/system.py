"""System jobs: SMTP test messages from the settings page."""

from __future__ import annotations

from typing import Any

from crm.config import get_settings
from crm.features.system import diagnostics


async def send_mail_test(ctx: dict[str, Any], *, test_id: int) -> str:
    async with ctx["db"].get_session() as session:
        status = await diagnostics.send_mail_test(session, get_settings(), test_id)
        await session.commit()
    return status
