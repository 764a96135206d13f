"""Billing screens with the month's totals, who billed, days without a registry, and a failed sending that reads
"не отправлено" with its reason and an honest retry button, at desktop and phone width."""

from __future__ import annotations

from datetime import date

from playwright.async_api import expect

from crm.features.tariffs.models import DetailSending
from tests.browser.conftest import shot, sign_in
from tests.conftest import DEFAULT_PASSWORD
from tests.integration.test_tariffs_screens import _billed_month

pytestmark = __import__("pytest").mark.browser


async def _fits(page, name):
    await shot(page, name)
    width = page.viewport_size["width"]
    assert await page.evaluate("document.documentElement.scrollWidth") <= width, f"{name} is wider than {width} px"


async def test_the_month_list_and_a_failed_sending_read_clearly_on_desktop_and_phone(page, db, client):
    clients = await _billed_month(client, db)
    db.add(
        DetailSending(
            client_id=clients["00001"],
            month=date(2022, 8, 1),
            email="customs@example.com",
            status="failed",
            message="the mail server refused the message: 550 5.1.1 Mailbox unavailable",
        )
    )
    await db.commit()
    await sign_in(page, "bill-1@example.com", DEFAULT_PASSWORD)
    await page.goto("/billing?month=2022-08")
    await expect(page.locator("#registries tfoot")).to_contain_text("Итого за месяц")
    await expect(page.locator("#registries tbody")).to_contain_text("bill-1@example.com")
    await expect(page.locator("#gaps")).to_contain_text("Отделение 623600")
    await _fits(page, "billing-month-totals-gaps")
    await page.goto("/billing/detail?month=2022-08")
    row = page.locator("#detail-clients tr", has_text="таможня")
    await expect(row).to_contain_text("не отправлено")
    await expect(row).to_contain_text("почтовый сервер отклонил письмо: 550 5.1.1 Mailbox unavailable")
    await expect(page.locator(f"#send-{clients['00001']}")).to_have_text("✉ Повторить отправку")
    await _fits(page, "billing-detail-not-sent")
    await page.goto(f"/billing/detail/{clients['00001']}?month=2022-08")
    await expect(page.locator("#sender")).to_be_visible()
    await _fits(page, "billing-client-sheet-not-sent")
