"""The sales report in a real browser at desktop and phone width: the demo's last month with its charts drawn,
the tables, the arrow to the period before and another period chosen in the filters, each swapping only the
report (htmx, the address bar kept true, no page load); and the same page working without JavaScript."""

from __future__ import annotations

from playwright.async_api import expect

from crm.features.reports.sales import shift
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

    await page.evaluate("window.stillTheSamePage = true")  # gone if anything loads a whole page
    before = await page.locator("#report h2").first.inner_text()
    await page.locator("#report h2 a").first.click()  # the period before
    await expect(page.locator("#report h2").first).not_to_have_text(before)
    await expect(page.locator("canvas[id^=sales-managers-]")).to_have_attribute("data-drawn", "1")
    earlier = shift("month", day_from, -1).isoformat()
    assert f"date={earlier}" in page.url and await page.evaluate("window.stillTheSamePage")
    await expect(page.locator("#f-date")).to_have_value(earlier)  # the filters follow the arrows

    await page.select_option("#f-period", "week")  # a changed control is enough
    await expect(page.locator("canvas[id^=sales-trend-]")).to_have_count(0)
    await expect(page.locator("canvas[id^=sales-managers-]")).to_have_attribute("data-drawn", "1")
    assert "period=week" in page.url and await page.evaluate("window.stillTheSamePage")
    await shot(page, "sales-report-week")
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"] + 1

    await page.go_back()  # the address bar's history gives back the month
    await expect(page.locator("#f-period")).to_have_value("month")
    await expect(page.locator("canvas[id^=sales-trend-]")).to_have_attribute("data-drawn", "1")


async def test_without_javascript_the_filters_and_arrows_load_whole_pages(browser, live_server, db):
    from crm.demo import load_demo
    from crm.features.reports.sales import parse_period
    from crm.lib.i18n import local_today

    await load_demo(db)
    await db.commit()
    day_from, _day_to = parse_period("last-month", local_today())
    context = await browser.new_context(base_url=live_server, java_script_enabled=False, locale="ru-RU")
    page = await context.new_page()
    try:
        await sign_in(page, "admin@example.com", "crm-demo-2026")
        await page.goto(f"/reports/sales?period=month&date={day_from.isoformat()}")
        await expect(page.locator("#sales-managers tbody tr").first).to_be_visible()
        async with page.expect_navigation():
            await page.locator("#report h2 a").first.click()
        assert f"date={shift('month', day_from, -1).isoformat()}" in page.url
        await page.select_option("#f-period", "week")
        async with page.expect_navigation():
            await page.click("form.filters button.btn-primary")
        assert "period=week" in page.url
        await expect(page.locator("#sales-managers")).to_be_visible()
    finally:
        await context.close()
