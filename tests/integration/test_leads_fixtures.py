"""Helpers for the lead desk tests: operators, sources with weights, an engine for concurrent clients.

No tests here; the test_leads_* modules import what they need.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from tests.conftest import make_user


async def make_operator(
    db: AsyncSession, email: str, *, max_load: int = 10, active: bool = True, name: str = ""
) -> int:
    """A user with the operator role and a desk profile; returns the operator id."""
    from crm.features.leads import desk

    user = await make_user(db, email, ["operator"], name=name or email.split("@")[0])
    operator = await desk.create_operator(db, user, None, max_load=max_load, is_active=active)
    await db.commit()
    return operator.id


async def make_source(db: AsyncSession, name: str, weights: dict[int, int] | None = None) -> tuple[int, str]:
    """A source with its weights (operator id → weight); returns (id, intake key)."""
    from crm.features.leads import desk_sources

    source, key = await desk_sources.create_source(db, name, None)
    if weights:
        await desk_sources.replace_competences(db, source.id, list(weights.items()), None)
    await db.commit()
    return source.id, key


async def post_contact(client: Any, key: str, message: str = "", **lead: Any) -> Any:
    return await client.post("/api/v1/contacts", json={"lead": lead, "message": message}, headers={"X-Intake-Key": key})


async def open_loads(db: AsyncSession) -> dict[int, int]:
    rows = await db.execute(
        text(
            "SELECT operator_id, count(*) FROM lead_contacts WHERE status = 'open' AND operator_id IS NOT NULL "
            "GROUP BY operator_id"
        )
    )
    return {int(op): int(n) for op, n in rows.all()}


async def bearer(client: Any, email: str, password: str | None = None) -> dict[str, str]:
    from tests.conftest import DEFAULT_PASSWORD

    response = await client.post("/api/v1/auth/token", json={"email": email, "password": password or DEFAULT_PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture
async def engine(client: Any) -> AsyncIterator[AsyncEngine]:
    """An engine with enough connections for 32 concurrent clients (the app's pool is smaller)."""
    from crm.lib.db import database_url

    eng = create_async_engine(database_url(), pool_size=40, max_overflow=0)
    yield eng
    await eng.dispose()


def worker_ctx() -> dict[str, Any]:
    """The context a SAQ job gets from ``crm.workers.context.startup``."""
    from crm.lib.db import alchemy_config

    return {"db": alchemy_config()}
