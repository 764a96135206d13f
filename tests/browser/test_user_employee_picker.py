"""The Bitrix24 employee picker of the user form, by keyboard, at desktop and phone width."""

from __future__ import annotations

from sqlalchemy import select

from crm.features.accounts.models import User
from crm.features.org.models import Department, Employee
from tests.browser.conftest import shot, sign_in
from tests.conftest import DEFAULT_PASSWORD, make_user


async def test_an_admin_finds_an_employee_by_typing_and_links_the_user_with_the_keyboard(page, db):
    sales = Department(name="Отдел продаж")
    db.add(sales)
    await db.flush()
    db.add_all(
        [
            Employee(
                id=101,
                name="Иван",
                last_name="Петров",
                email="petrov@portal.ru",
                position="Менеджер по продажам",
                department_id=sales.id,
            ),
            Employee(id=102, name="Пётр", last_name="Петровский", email="petrovsky@portal.ru"),
            Employee(id=103, name="Ольга", last_name="Сидорова", email="sidorova@portal.ru"),
        ]
    )
    await db.commit()
    await make_user(db, "admin@example.com", ["admin"], name="Анна")
    await make_user(db, "other@example.com", ["manager"], name="Олег", employee_bitrix_id=102)
    manager = await make_user(db, "manager@example.com", ["manager"], name="Мария")

    await sign_in(page, "admin@example.com", DEFAULT_PASSWORD)
    await page.goto(f"/users/{manager.id}")
    search = page.locator("#f-employee_q")
    async with page.expect_response(lambda r: "/users/employees?" in r.url):
        await search.fill("петр")
    await page.locator("#employee-choices input[value='101']").wait_for()
    async with page.expect_response(lambda r: "/users/employees?" in r.url):
        await search.press("Enter")  # searches; does not save the user
    await page.locator("#employee-choices input[value='102']").wait_for()
    assert page.url.endswith(f"/users/{manager.id}")
    assert await page.locator("#employee-choices input[value='103']").count() == 0
    assert await page.locator("#employee-choices").get_by_text("other@example.com").count() == 1

    # Tab reaches the radio group (on "no link"); the arrow key picks the first match.
    await search.press("Tab")
    assert await page.evaluate("document.activeElement.value") == ""
    await page.keyboard.press("ArrowDown")
    assert await page.evaluate("document.activeElement.value") == "101"
    await shot(page, "user-employee-picker")
    async with page.expect_navigation():
        await page.keyboard.press("Enter")
    await page.locator("#employee-choices input[value='101']:checked").wait_for()
    assert await page.locator("#employee-choices").get_by_text("Петров Иван").count() == 1
    await db.refresh(manager)
    assert manager.employee_bitrix_id == 101

    # The employee of another user is refused next to the field, with that user named.
    async with page.expect_response(lambda r: "/users/employees?" in r.url):
        await search.fill("петровский")
    await page.locator("#employee-choices input[value='102']").check()
    async with page.expect_navigation():
        await page.locator("form[data-once] button.btn-primary").click()
    error = page.locator("#e-employee_bitrix_id")
    assert "other@example.com" in (await error.inner_text())
    assert await page.locator("#employee-choices input[value='102']:checked").count() == 1
    assert await search.input_value() == "петровский"
    await shot(page, "user-employee-picker-clash")
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= await page.evaluate("window.innerWidth")

    users = await db.scalars(select(User.employee_bitrix_id).where(User.email == "manager@example.com"))
    await db.commit()
    assert list(users) == [101]
