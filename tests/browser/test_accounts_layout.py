"""Accounts screens keep their shape: the roles matrix fits a 1280 px screen (or scrolls inside its own box on a
phone, the permission column in view), long emails wrap instead of widening the page at 360 px, radios stay small."""

from __future__ import annotations

import pytest

from tests.browser.conftest import shot, sign_in
from tests.conftest import DEFAULT_PASSWORD, make_user

pytestmark = pytest.mark.browser

LONG_EMAIL = "konstantin.konstantinopolsky.regional-sales-department@very-long-subsidiary-name.example.com"


async def _page_width(page) -> int:
    return int(await page.evaluate("document.documentElement.scrollWidth"))


async def test_the_roles_matrix_shows_every_role_at_desktop_width_and_scrolls_in_its_box_on_a_phone(page, db):
    await make_user(db, "admin@example.com", ["admin"], name="Анна")
    await sign_in(page, "admin@example.com", DEFAULT_PASSWORD)
    await page.goto("/roles")
    box = page.locator(".roles-wrap")
    await shot(page, "roles-matrix")
    assert await _page_width(page) <= page.viewport_size["width"]
    inner, outer = await box.evaluate("b => [b.scrollWidth, b.clientWidth]")
    if page.viewport_name == "desktop":
        assert inner <= outer, (inner, outer)  # the last (Billing) column is not cut at the right edge
        last = await page.locator(".roles-matrix thead th").last.bounding_box()
        frame = await box.bounding_box()
        assert last["x"] + last["width"] <= frame["x"] + frame["width"] + 1
    else:
        assert inner > outer  # the matrix scrolls inside its box...
        await box.evaluate("b => { b.scrollLeft = b.scrollWidth; }")
        first = await page.locator(".roles-matrix tbody th[scope=row]").first.bounding_box()
        frame = await box.bounding_box()
        assert abs(first["x"] - frame["x"]) <= 2  # ...with the permission column kept in view
        await shot(page, "roles-matrix-scrolled")


async def test_long_emails_wrap_on_the_users_list_the_user_page_and_the_profile(page, db):
    await make_user(db, "admin@example.com", ["admin"], name="Анна")
    long = await make_user(db, LONG_EMAIL, ["manager"], name="Константин")
    await sign_in(page, "admin@example.com", DEFAULT_PASSWORD)
    for url, name in (("/users", "users-long-email"), (f"/users/{long.id}", "user-long-email")):
        await page.goto(url)
        await shot(page, name)
        assert await _page_width(page) <= page.viewport_size["width"], url
        if url == "/users":
            box = page.locator("#list .table-wrap")
            cell = await page.locator(f"#list td a[href='/users/{long.id}']").bounding_box()
            frame = await box.bounding_box()
            assert cell["x"] + cell["width"] <= frame["x"] + frame["width"] + 1 or page.viewport_name == "phone"
    radio = await page.locator("#employee-none").bounding_box()
    assert radio["height"] <= 24 and radio["width"] <= 24  # not stretched to a text input's size


async def test_a_long_department_name_does_not_widen_the_user_form_or_the_users_filters_on_a_phone(page, db):
    from crm.features.org.models import Department

    db.add(Department(name="Департамент по работе с ключевыми клиентами Северо-Западного федерального округа"))
    await db.commit()
    await make_user(db, "admin@example.com", ["admin"], name="Анна")
    await sign_in(page, "admin@example.com", DEFAULT_PASSWORD)
    for url in ("/users/new", "/users"):
        await page.goto(url)
        assert await _page_width(page) <= page.viewport_size["width"], url
    await shot(page, "users-long-department")
