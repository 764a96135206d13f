"""The client-communication report in a real browser at desktop and phone width: a head reads the coverage of
the department, sorts by a pipeline, keeps to stale clients, saves the view and opens a company."""

from __future__ import annotations

import re

from playwright.async_api import expect

from tests.browser.conftest import shot, sign_in

pytestmark = __import__("pytest").mark.browser


async def _demo(db) -> None:
    from crm.demo import load_demo

    await load_demo(db)
    await db.commit()


async def test_a_head_reads_sorts_filters_saves_and_opens_a_company(page, db):
    await _demo(db)
    await sign_in(page, "head@example.com", "crm-demo-2026")
    await expect(page.locator("a.card").first).to_have_attribute("href", "/reports/communications")
    await page.goto("/reports/communications")
    await expect(page.locator("#list table.comm tbody tr").first).to_be_visible()
    await expect(page.locator("#list tfoot")).to_be_visible()
    await shot(page, "communications")

    # no sideways scroll of the page itself: the table scrolls inside its own box
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"] + 1

    # sort by the first pipeline's active sum, biggest first; the former first level becomes the second
    header = page.locator("#list thead .comm-h2 th a").first
    await header.click()
    await expect(page).to_have_url(re.compile(r"sort=-p\d+_active%2Ctitle|sort=-p\d+_active,title"))
    await expect(page.locator(".comm-sorted b")).to_have_count(2)

    # stale only: every row carries the red mark with its tooltip
    await page.check("input[name=stale]")
    await expect(page).to_have_url(re.compile(r"stale=true"))
    await expect(page.locator("#list tbody tr").first).to_have_class(re.compile("row-red"))
    rows = await page.locator("#list tbody tr").count()
    assert await page.locator("#list tbody .stale-red[title]").count() == rows
    await shot(page, "communications-stale")

    # save the view and come back to it
    await page.click("details.comm-save summary >> nth=0")
    await page.fill("#view-name", "Давние")
    async with page.expect_navigation():
        await page.click("form[action='/reports/communications/views'] button")
    await page.goto("/reports/communications")
    await page.click(".comm-view a:has-text('Давние')")
    await expect(page.locator("input[name=stale]")).to_be_checked()

    # a row opens the company card
    first = page.locator("#list tbody th a").first
    title = (await first.inner_text()).strip()
    async with page.expect_navigation():
        await first.click()
    await expect(page.locator("h1")).to_contain_text(title)
