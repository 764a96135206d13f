"""The calls & meetings statistics in a real browser at desktop and phone width, on the demo data."""

from __future__ import annotations

import re

from playwright.async_api import expect

from tests.browser.conftest import shot, sign_in

pytestmark = __import__("pytest").mark.browser


async def _demo(db) -> None:
    from crm.demo import load_demo

    await load_demo(db)
    await db.commit()


async def test_a_head_switches_between_the_year_and_a_month_and_the_grid_scrolls_in_its_box(page, db):
    await _demo(db)
    await sign_in(page, "head@example.com", "crm-demo-2026")
    await page.goto("/plans")
    grid = page.locator("table.plans-grid")
    await expect(grid).to_be_visible()
    await expect(page.locator(".dept-row").first).to_be_visible()
    await shot(page, "plans-month")
    await page.click(".segmented a:first-child")
    await expect(page).to_have_url(re.compile(r"/plans\?year=\d{4}(&|$)"))
    await expect(page.locator("table.plans-grid.by-month")).to_be_visible()
    await shot(page, "plans-year")
    # the page itself never scrolls sideways: the grid scrolls inside its box
    width = await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert width <= 1
