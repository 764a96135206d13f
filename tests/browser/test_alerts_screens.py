"""The bell and the alerts page in a real browser (1366 px and 360 px): the count arrives after the page, the bell
leads to the list, the daily mail switch saves."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from playwright.async_api import expect

from crm.features.alerts.models import OperationFailure
from tests.browser.conftest import shot, sign_in
from tests.conftest import DEFAULT_PASSWORD, make_user

pytestmark = __import__("pytest").mark.browser


async def test_the_bell_shows_the_count_and_leads_to_the_list_of_alerts(page, db):
    if page.viewport_name == "desktop":
        await page.set_viewport_size({"width": 1366, "height": 860})
    await make_user(db, "admin@example.com", ["admin"], name="Анна Админова")
    now = datetime.now(UTC)
    for kind, error, minutes in (
        ("sync", "Bitrix24Error: QUERY_LIMIT_EXCEEDED, the portal asked to wait", 5),
        ("import", "ValueError: the ERP file has no header row «Дата;Сумма»", 30),
    ):
        at = now - timedelta(minutes=minutes)
        db.add(OperationFailure(kind=kind, job=f"{kind}_job", error=error, occurrences=2, first_at=at, last_at=at))
    await db.commit()

    await sign_in(page, "admin@example.com", DEFAULT_PASSWORD)
    bell = page.locator("#bell")
    await expect(bell.locator(".bell-count")).to_have_text("2")
    await shot(page, "alerts-bell")

    await bell.click()
    await expect(page).to_have_url(re.compile(r"/alerts$"))
    items = page.locator(".alert-item")
    await expect(items).to_have_count(2)
    await expect(items.first).to_contain_text("Битрикс24")  # newest first, in Russian
    await shot(page, "alerts-list")
    if page.viewport_name == "phone":
        assert await page.evaluate("document.documentElement.scrollWidth") <= 360

    await page.check("input[name=daily]")
    async with page.expect_navigation():
        await page.click("form[action='/alerts/mail'] button")
    await expect(page.locator(".toast")).to_contain_text("включена")
    await expect(page.locator("input[name=daily]")).to_be_checked()


async def test_with_no_alerts_the_bell_has_no_number_and_the_page_says_so(page, db):
    await make_user(db, "manager@example.com", ["manager"])
    await sign_in(page, "manager@example.com", DEFAULT_PASSWORD)
    await page.goto("/alerts")
    await expect(page.locator(".empty")).to_contain_text("Уведомлений нет")
    await expect(page.locator("#bell .sr-only").nth(1)).to_have_text("0")  # the count has arrived
    assert await page.locator("#bell .bell-count").count() == 0
    await shot(page, "alerts-empty")
