"""A telegraph operator forms a day's registry and a billing user bills it, in a real browser at both widths."""

from __future__ import annotations

import re

from playwright.async_api import expect
from sqlalchemy import select

from crm.features.tariffs import journal, tariff_import
from crm.features.tariffs.models import TelegramClient
from tests.browser.conftest import shot, sign_in
from tests.conftest import DEFAULT_PASSWORD, make_user
from tests.integration.test_tariffs_calculator import TARIFFS
from tests.integration.test_tariffs_journal import TLG0

pytestmark = __import__("pytest").mark.browser


async def _arrange(db):
    await tariff_import.import_fixture(db, TARIFFS.read_bytes())
    await journal.import_journal(db, TLG0.read_bytes())
    db.add_all(
        [
            TelegramClient(code="00001", short_name="таможня", full_name="Ростовская таможня", email="c@example.com"),
            TelegramClient(code="00101", short_name="занятость", full_name="Центр занятости"),
        ]
    )
    await db.commit()
    await make_user(db, "pok-2@example.com", ["telegraph"], telegraph_prefix="123002", name="Покровская")
    await make_user(db, "bill-1@example.com", ["billing"], name="Билл")
    return {c.code: str(c.id) for c in (await db.scalars(select(TelegramClient))).all()}


def _row(page, index):
    return page.locator("#records tbody tr").nth(index)


async def _open(page, index):
    """Open a row's controls (only the row being edited has them) and wait until they are there."""
    async with page.expect_response(lambda r: r.url.split("?")[0].endswith("/edit")):
        await _row(page, index).locator("a[href*='edit=']").click()  # "✎ Изменить": the pages speak Russian
    await expect(_row(page, index).locator("select[name=category]")).to_be_visible()
    await expect(_row(page, index).locator("input[name=client]")).to_be_focused()


async def _edit(page, index, selector, value=None, *, check=False, fill=None):
    """Change one field of a row and wait until the server's answer is swapped in."""
    async with page.expect_response(lambda r: "/records/" in r.url):
        field = _row(page, index).locator(selector)
        if check:
            await field.check()
        elif fill is not None:
            await field.fill(fill)
            await field.press("Tab")
        else:
            await field.select_option(value)
    await expect(page.locator(".htmx-request, .htmx-swapping, .htmx-settling")).to_have_count(0)


async def test_an_operator_forms_a_registry_and_billing_closes_it(page, db):
    await _arrange(db)
    await sign_in(page, "pok-2@example.com", DEFAULT_PASSWORD)
    await page.goto("/telegraph")
    await shot(page, "telegraph-hub")
    await page.goto("/registries/day?date=2022-08-01")
    boxes = page.locator("input[name=telegram]")
    await expect(boxes).to_have_count(6)
    await boxes.nth(0).check()
    await boxes.nth(1).check()
    await shot(page, "registry-day")
    await page.click("#add-telegrams")
    await page.wait_for_url("**/registries/*")
    rows = page.locator("#records tbody tr")
    await expect(rows).to_have_count(2)
    await expect(page.locator("#records select")).to_have_count(0)  # read-only rows: no controls until "Edit"
    total = page.locator("#registry-total")
    before = await total.inner_text()

    await _open(page, 0)
    await expect(page.locator("#records select")).to_have_count(4)  # one row's country and kinds
    await _edit(page, 0, "input[name=client]", fill="тамож")  # typed part of the name: the one match is taken
    await expect(_row(page, 0).locator("input[name=client]")).to_have_value("00001 таможня")
    await _edit(page, 0, "select[name=notification]", "urgent")
    await expect(total).not_to_have_text(before)  # the totals of the registry follow the row
    await _edit(page, 0, "select[name=category]", "post")
    await expect(_row(page, 0).locator(".badge-bad")).to_have_count(1)
    await shot(page, "registry-warning")
    await _edit(page, 0, "select[name=category]", "ordinary")
    await expect(_row(page, 0).locator(".badge-bad")).to_have_count(0)
    async with page.expect_response(lambda r: "/records/" in r.url):
        await _row(page, 0).locator("button[hx-get]").click()  # "✓ Готово"
    await expect(_row(page, 0).locator("select")).to_have_count(0)
    await expect(_row(page, 0)).to_contain_text("00001 таможня")
    await expect(_row(page, 0).locator("a[href*='edit=']")).to_be_focused()

    await _open(page, 1)
    await _edit(page, 1, "input[name=client]", fill="н")  # several clients match: the reason is shown, text kept
    await expect(_row(page, 1).locator("[role=alert]")).to_be_visible()
    await expect(_row(page, 1).locator("input[name=client]")).to_have_value("н")
    await _edit(page, 1, "input[name=client]", fill="00101 занятость")
    await expect(_row(page, 1).locator("[role=alert]")).to_have_count(0)
    await _edit(page, 1, "input[name=manual]", check=True)
    await expect(_row(page, 1).locator("input[name=words]")).to_be_visible()
    await _edit(page, 1, "input[name=words]", fill="10")
    await expect(_row(page, 1).locator("input[name=total]")).to_have_value("83,00")
    await _edit(page, 1, "input[name=delivery_amount]", fill="50,00")  # a part typed over: totals follow
    await expect(_row(page, 1).locator("input[name=total]")).to_have_value("90,00")
    await expect(_row(page, 1).locator("input[name=total_with_vat]")).to_have_value("108,00")
    await _edit(page, 1, "input[name=total]", fill="100,00")  # a total typed over is kept as typed
    await expect(_row(page, 1).locator("input[name=total]")).to_have_value("100,00")
    await expect(_row(page, 1).locator("input[name=vat]")).to_have_value("20,00")  # VAT and with VAT follow it
    await expect(_row(page, 1).locator("input[name=total_with_vat]")).to_have_value("120,00")
    await _edit(page, 1, "input[name=total_with_vat]", fill="267,96")  # with VAT typed: VAT taken out of it
    await expect(_row(page, 1).locator("input[name=total]")).to_have_value("223,30")
    await expect(_row(page, 1).locator("input[name=vat]")).to_have_value("44,66")
    await shot(page, "registry-table")
    async with page.expect_response(lambda r: "/records/" in r.url):
        await _row(page, 1).locator("button[hx-get]").click()  # "✓ Готово"
    await _open(page, 0)  # by registered post with an urgent notification: a tariff warning
    await _edit(page, 0, "select[name=category]", "post")
    await expect(_row(page, 0).locator(".badge-bad")).to_have_count(1)
    async with page.expect_response(lambda r: "/records/" in r.url):
        await _row(page, 0).locator("button[hx-get]").click()

    await page.fill("#f-signature", "Покровская")
    await page.click("#confirm-registry")
    await expect(page.locator("#flagged-rows tbody tr")).to_have_count(1)  # asked first, the row named
    await shot(page, "registry-confirm-warnings")
    await page.click("#acknowledge-warnings")
    await expect(page).to_have_url(re.compile(r"/registries/\d+$"))
    await expect(page.locator("form[action$='/reopen']")).to_have_count(1)  # formed
    await expect(page.locator("input[name=client]")).to_have_count(0)
    await expect(page.locator("#confirm-registry")).to_have_count(0)
    await shot(page, "registry-formed")
    registry_url = page.url

    await page.context.clear_cookies()
    await sign_in(page, "bill-1@example.com", DEFAULT_PASSWORD)
    await page.goto("/billing?month=2022-08")
    await expect(page.locator("#registries tbody tr")).to_have_count(1)
    await expect(page.locator("#registries td.warnings")).to_contain_text("1")
    await shot(page, "billing-month")
    await page.click("#registries tbody tr a")
    await page.wait_for_url(registry_url)
    await page.click("#bill-registry")
    await expect(page.locator("#flagged-rows tbody tr")).to_have_count(1)
    await page.click("#acknowledge-warnings")
    await expect(page).to_have_url(re.compile(r"/registries/\d+$"))
    await expect(page.locator("#bill-registry")).to_have_count(0)
    await expect(page.locator("form[action$='/cancel-billing']")).to_have_count(1)
    await page.goto("/billing/detail?month=2022-08")
    await expect(page.locator("#detail-clients tbody tr")).to_have_count(2)
    await shot(page, "billing-detail")
    await page.click("#detail-clients tbody tr:first-child a")
    await expect(page.locator("table tbody tr").first).to_be_visible()
    await shot(page, "client-detail")


async def test_the_calculator_recalculates_as_fields_change(page, db):
    await _arrange(db)
    await sign_in(page, "pok-2@example.com", DEFAULT_PASSWORD)
    await page.goto("/tariffs/calculator?date=2022-01-01")
    await expect(page.locator("#calc-total")).to_contain_text("83")
    await page.select_option("#f-delivery", "urgent")
    await expect(page.locator("#calc-total")).to_contain_text("116")
    await page.select_option("#f-notification", "urgent")
    await page.select_option("#f-delivery", "box")
    await expect(page.locator("#result .alert-warn")).to_have_count(1)
    await shot(page, "calculator")
