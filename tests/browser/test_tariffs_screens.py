"""Telegraph and billing screens at desktop and phone width: nothing runs past the screen's edge, the calculator's
bad field is named under the field with no figures left, and the Russian tariffs' edit links are in view."""

from __future__ import annotations

from playwright.async_api import expect

from tests.browser.conftest import shot, sign_in
from tests.conftest import DEFAULT_PASSWORD, make_user
from tests.integration.test_tariffs_screens import _billed_month

pytestmark = __import__("pytest").mark.browser


async def _fits(page, name):
    """The page does not scroll sideways (wide tables scroll inside their own box)."""
    path = await shot(page, name)
    width = page.viewport_size["width"]
    assert await page.evaluate("document.documentElement.scrollWidth") <= width, f"{name} is wider than {width} px"
    return path


async def test_telegraph_and_billing_screens_fit_the_screen(page, db, client):
    clients = await _billed_month(client, db, manual={"delivery_amount": "601.7"})
    await make_user(db, "tariffs-admin@example.com", ["admin"])
    await sign_in(page, "tariffs-admin@example.com", DEFAULT_PASSWORD)
    await page.goto("/tariffs")
    await _fits(page, "tariffs-list")
    if page.viewport_name == "desktop":  # every column of the Russian tariffs, the edit link too, without scrolling
        box = page.locator("#russian-tariffs").locator("xpath=..")
        assert await box.evaluate("e => e.scrollWidth <= e.clientWidth")
        await expect(page.locator("#russian-tariffs a", has_text="Изменить").first).to_be_in_viewport()
    await page.goto("/telegrams/import")
    await _fits(page, "tariffs-journal-import")
    await page.goto("/telegrams/op0441e14.q")
    await expect(page.locator("#detected")).to_contain_text("Доставка: обыкновенная · Уведомление: обыкновенное")
    await _fits(page, "tariffs-telegram-card")
    await page.goto("/billing?month=2022-08")
    await _fits(page, "tariffs-billing-month")
    await page.goto("/billing/detail?month=2022-08")
    await expect(page.locator(f"#send-{clients['00001']}")).to_have_text("✉ Отправить")
    await _fits(page, "tariffs-billing-detail")
    await page.goto(f"/billing/detail/{clients['00001']}?month=2022-08")
    await expect(page.locator("main")).to_contain_text("601,70")
    await _fits(page, "tariffs-client-sheet")
    await page.goto("/billing?month=2026-13")
    await expect(page.locator("#month-problem")).to_contain_text("2026-13")
    await _fits(page, "tariffs-billing-bad-month")


async def test_a_negative_word_count_is_named_under_the_field_and_no_figures_stay(page, db, client):
    from tests.integration.test_tariffs_calculator import load_tariffs

    await load_tariffs(db)
    await make_user(db, "tg@example.com", ["telegraph"], telegraph_prefix="123002")
    await sign_in(page, "tg@example.com", DEFAULT_PASSWORD)
    await page.goto("/tariffs/calculator?date=2022-01-01")
    await expect(page.locator("#calc-total")).to_contain_text("83")
    await _fits(page, "tariffs-calculator")
    async with page.expect_response(lambda r: "/tariffs/calculator" in r.url and r.status == 422):
        await page.fill("#f-words", "-3")
    await expect(page.locator("#e-words")).to_contain_text("не может быть отрицательным")
    await expect(page.locator("#calc-total")).to_have_count(0)
    await _fits(page, "tariffs-calculator-negative")
    async with page.expect_response(lambda r: "/tariffs/calculator" in r.url and r.status == 200):
        await page.fill("#f-words", "12")
    await expect(page.locator("#e-words")).to_be_hidden()
    await expect(page.locator("#calc-total")).to_be_visible()
