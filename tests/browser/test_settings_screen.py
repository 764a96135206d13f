"""The settings screen in a real browser: the SMTP and time zone form with an error, desktop and phone."""

from __future__ import annotations

from playwright.async_api import expect

from tests.browser.conftest import shot, sign_in
from tests.conftest import DEFAULT_PASSWORD, make_user

pytestmark = __import__("pytest").mark.browser


async def test_an_admin_sees_the_settings_form_and_a_refused_zone_without_overflow(page, db):
    await make_user(db, "admin@example.com", ["admin"], name="Анна Админова")
    await sign_in(page, "admin@example.com", DEFAULT_PASSWORD)
    await page.goto("/settings")
    await expect(page.locator("#f-smtp_host")).to_be_disabled()  # CRM_SMTP_HOST of the test run wins
    await shot(page, "settings")
    await page.fill("#f-timezone", "Europe/Atlantis")
    await page.click("form[action='/settings'] button.btn-primary")
    await expect(page.locator("#e-timezone")).to_be_visible()
    assert await page.locator("#f-timezone").input_value() == "Europe/Atlantis"
    await shot(page, "settings-errors")
    if page.viewport_name == "phone":
        assert await page.evaluate("document.documentElement.scrollWidth") <= 360
