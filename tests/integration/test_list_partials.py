"""Every list page answers htmx's request for its ``#list`` block alone (filters, sorting and paging swap it): the
block must render without the rest of the page, so the imports and macros it uses live inside it. A block that
borrowed a macro from the page around it answered 500 to every sort or page click (``/sales/clients`` did)."""

from __future__ import annotations

import pytest

from tests.conftest import login

PARTIAL = {"hx-request": "true", "hx-target": "list"}
LISTS = [
    "/users",
    "/audit",
    "/companies?page=2",
    "/leads",
    "/leads/contacts",
    "/telegrams",
    "/telegram-clients",
    "/billing",
    "/reports/communications",
    "/plans",
    "/imports",
    "/sales/clients?sort=-created",
    "/goals",
    "/tasks/list?sort=-due_at",
    "/strategies",
]


@pytest.fixture
async def demo(db):
    from crm.demo import load_demo

    await load_demo(db)
    await db.commit()


@pytest.mark.parametrize("path", LISTS)
async def test_a_list_answers_htmx_with_its_list_block_alone(client, demo, path: str) -> None:
    await login(client, "admin@example.com", "crm-demo-2026")
    whole = await client.get(path)
    assert whole.status_code == 200, whole.text[:500]
    part = await client.get(path, headers=PARTIAL)
    assert part.status_code == 200, part.text[:500]
    assert "<html" not in part.text and 'id="list"' in part.text
    assert len(part.text) < len(whole.text)
