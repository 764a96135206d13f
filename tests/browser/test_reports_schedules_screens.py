"""Scheduled reports in a real browser at 1366 and 360 px: the form with a mistake shown next to its field, saved
with a Telegram bot token that is never shown back, "send me a test" delivered by the live server's worker through
the tests' SMTP server, and the archive with the outcome and the files."""

from __future__ import annotations

import asyncio

from playwright.async_api import expect

from tests.browser.conftest import shot, sign_in
from tests.conftest import DEFAULT_PASSWORD, make_user

pytestmark = __import__("pytest").mark.browser

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


async def test_a_head_of_sales_sets_a_weekly_report_and_sends_himself_a_test(page, db, mailbox):
    if page.viewport_name == "desktop":
        await page.set_viewport_size({"width": 1366, "height": 860})
    await make_user(db, "boss@example.com", ["admin"])
    await sign_in(page, "boss@example.com", DEFAULT_PASSWORD)
    await page.goto("/reports/sales")
    await page.click("a[href='/reports/schedules']")
    await expect(page.locator("h1")).to_have_text("Отчёты по расписанию")
    await shot(page, "schedules-empty")
    await page.click("a[href='/reports/schedules/new']")
    await page.fill("#f-name", "Продажи за неделю")
    await page.select_option("#f-period", "last-week")
    await expect(page.locator("#f-weekday")).to_be_hidden()  # daily: no day fields
    await page.select_option("#f-frequency", "monthly")
    await expect(page.locator("#f-month_day")).to_be_visible()
    await expect(page.locator("#f-weekday")).to_be_hidden()
    await page.select_option("#f-frequency", "weekly")
    await expect(page.locator("#f-month_day")).to_be_hidden()
    await page.select_option("#f-weekday", "0")
    await page.fill("#f-time", "09:00")
    await page.fill("#f-b24_chat", "общий чат")
    await page.fill("#f-telegram_chat", "-1001234567890")
    await page.fill("#f-telegram_token", TOKEN)
    await page.fill("#f-emails", "boss@example.com, heads@example.com")
    async with page.expect_navigation():
        await page.click("form.schedule-form button.btn-primary")
    await expect(page.locator("#e-b24_chat")).to_contain_text("chat123")
    await expect(page.locator("#f-name")).to_have_value("Продажи за неделю")  # nothing typed is lost
    await expect(page.locator("#f-telegram_token")).to_have_value("")  # a token is never sent back
    await shot(page, "schedule-form-error")
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"] + 1

    await page.fill("#f-b24_chat", "chat42")
    await page.fill("#f-telegram_token", TOKEN)
    async with page.expect_navigation():
        await page.click("form.schedule-form button.btn-primary")
    await expect(page.locator(".toast").first).to_contain_text("Расписание сохранено")
    await expect(page.locator("#h-telegram_token")).to_contain_text("токен сохранён")
    assert TOKEN not in await page.content()
    await expect(page.locator("p.muted").first).to_contain_text("еженедельно: понедельник, в 09:00")
    await shot(page, "schedule-form-saved")
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"] + 1

    async with page.expect_navigation():
        await page.click("form[action$='/test'] button")
    await expect(page.locator("h1")).to_contain_text("Архив отправок")
    for _ in range(60):  # the live server's worker makes the report and mails it
        if mailbox:
            break
        await asyncio.sleep(0.5)
    assert len(mailbox) == 1 and mailbox[0]["To"] == "boss@example.com"
    for _ in range(20):
        await page.reload()
        if await page.locator(".runs .badge-ok").count():
            break
        await asyncio.sleep(0.5)
    await expect(page.locator(".runs tbody tr").first).to_contain_text("тест")
    await expect(page.locator(".runs a[href$='/pdf']").first).to_be_visible()
    await shot(page, "schedule-runs")
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"] + 1

    await page.goto("/reports/schedules")
    await expect(page.locator(".schedules tbody tr")).to_have_count(1)
    await shot(page, "schedules-list")
