"""People at work in a real browser: sign-in, language, user creation, the calendar — desktop and phone."""

from __future__ import annotations

import re

from playwright.async_api import expect

from tests.browser.conftest import shot, sign_in
from tests.conftest import DEFAULT_PASSWORD, make_user

pytestmark = __import__("pytest").mark.browser


async def test_an_admin_signs_in_switches_language_and_creates_a_user(page, db):
    await make_user(db, "admin@example.com", ["admin"], name="Анна Админова")
    await page.goto("/login")
    await shot(page, "login")
    await page.fill("input[name=email]", "admin@example.com")
    await page.fill("input[name=password]", "wrong-password")
    await page.click("form[action='/login'] button[type=submit]")
    await expect(page.locator(".alert-error")).to_be_visible()
    await sign_in(page, "admin@example.com", DEFAULT_PASSWORD)
    await shot(page, "home")
    assert await page.locator("html").get_attribute("lang") == "ru"

    if page.viewport_name == "phone":
        await page.click("label.nav-burger")
    await page.click("nav.nav details.navmenu summary")
    await page.click("nav.nav a[href='/users']")
    await page.wait_for_url("**/users")
    await page.click("a[href='/users/new']")
    await page.fill("input[name=email]", "not-an-email")
    await page.click("form button.btn-primary")
    await expect(page.locator("#e-email")).to_be_visible()
    assert await page.locator("input[name=name]").input_value() == ""
    await shot(page, "user-form-errors")
    await page.fill("input[name=email]", "new.manager@example.com")
    await page.fill("input[name=name]", "Новый Менеджер")
    await page.click("form button.btn-primary")
    await page.wait_for_url("**/users/*")
    await shot(page, "user-created")
    assert "new.manager@example.com" in await page.locator("h1").inner_text()

    await page.goto("/users")
    await page.fill("input[name=q]", "new.man")
    await expect(page.locator("#list tbody tr")).to_have_count(1)
    await expect(page.locator("#list")).to_have_count(1)  # swapped in place, not nested
    await expect(page).to_have_url(re.compile(r"q=new\.man"))
    await shot(page, "users-filtered")

    await page.click("details.usermenu summary")
    await shot(page, "user-menu")
    async with page.expect_navigation():
        await page.click("details.usermenu button[value=en]")
    assert await page.locator("html").get_attribute("lang") == "en"
    assert "Users" in await page.locator("h1").inner_text()


async def test_an_admin_toggles_a_day_in_the_calendar(page, db):
    await make_user(db, "admin@example.com", ["admin"])
    await sign_in(page, "admin@example.com", DEFAULT_PASSWORD)
    await page.goto("/calendar?year=2026")
    day = page.locator("#d-2026-03-11 button")
    assert await day.get_attribute("aria-pressed") == "false"  # a Wednesday: a working day
    await day.click()
    await expect(page.locator("#d-2026-03-11 button")).to_have_attribute("aria-pressed", "true")
    assert "edited" in (await page.locator("#d-2026-03-11 button").get_attribute("class") or "")
    await shot(page, "calendar")
    await page.reload()
    await expect(page.locator("#d-2026-03-11 button")).to_have_attribute("aria-pressed", "true")
