"""The sales report in a real browser at desktop and phone width: the demo's last month with its charts drawn,
the tables, the arrow to the period before, another period chosen in the filters."""

from __future__ import annotations

from playwright.async_api import expect

from tests.browser.conftest import shot, sign_in

pytestmark = __import__("pytest").mark.browser


async def test_an_admin_reads_last_months_sales_and_moves_between_periods(page, db):
    from crm.demo import load_demo
    from crm.features.reports.sales import parse_period
    from crm.lib.i18n import local_today

    await load_demo(db)
    await db.commit()
    day_from, _day_to = parse_period("last-month", local_today())
    await sign_in(page, "admin@example.com", "crm-demo-2026")
    await page.goto(f"/reports/sales?period=month&date={day_from.isoformat()}")
    await expect(page.locator("#sales-managers tbody tr").first).to_be_visible()
    for chart in ("sales-managers", "sales-sources", "sales-trend"):
        await expect(page.locator(f"canvas[id^={chart}-]")).to_have_attribute("data-drawn", "1")
    assert await page.locator("#sales-sources tbody tr").count() >= 3
    await shot(page, "sales-report")
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"] + 1

    before = await page.locator("#report h2").first.inner_text()
    async with page.expect_navigation():
        await page.locator("#report h2 a").first.click()  # the period before
    await expect(page.locator("#report h2").first).not_to_have_text(before)
    await expect(page.locator("canvas[id^=sales-managers-]")).to_have_attribute("data-drawn", "1")

    await page.select_option("#f-period", "week")
    async with page.expect_navigation():
        await page.click("form.filters button.btn-primary")
    await expect(page.locator("canvas[id^=sales-managers-]")).to_have_attribute("data-drawn", "1")
    await expect(page.locator("canvas[id^=sales-trend-]")).to_have_count(0)
    await shot(page, "sales-report-week")
