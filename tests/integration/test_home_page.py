"""The home page offers each role the sections of its daily work, and nothing it does not use."""

from __future__ import annotations

import re

import pytest

from tests.conftest import login, make_user


def _cards(html: str) -> list[str]:
    return re.findall(r'<a class="card" href="([^"]+)"', html)


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (
            "manager",
            ["/reports/communications", "/reports/sales", "/plans", "/analysis", "/tasks", "/my-day", "/companies"],
        ),
        (
            "head",
            [
                "/reports/communications",
                "/reports/sales",
                "/plans",
                "/analysis",
                "/tasks",
                "/my-day",
                "/strategies",
                "/companies",
                "/imports",
                "/audit",
            ],
        ),
        ("operator", ["/leads/my"]),
        ("telegraph", ["/telegraph"]),
        ("billing", ["/telegraph"]),
        (
            "admin",
            [
                "/reports/communications",
                "/reports/sales",
                "/plans",
                "/analysis",
                "/tasks",
                "/my-day",
                "/strategies",
                "/companies",
                "/leads/queue",
                "/telegraph",
                "/imports",
                "/users",
                "/roles",
                "/audit",
                "/integrations/bitrix24",
                "/calendar",
                "/docs",
            ],
        ),
    ],
)
async def test_each_role_sees_the_cards_of_its_work_in_order(client, db, role, expected):
    await make_user(db, f"{role}@example.com", [role], name="Someone")
    await login(client, f"{role}@example.com")
    assert _cards((await client.get("/")).text) == expected


async def test_an_account_without_a_section_is_told_to_ask_for_a_role(client, db):
    await make_user(db, "nobody@example.com", [])
    await login(client, "nobody@example.com")
    page = (await client.get("/")).text
    assert _cards(page) == [] and "Ask an administrator to give you a role" in page
