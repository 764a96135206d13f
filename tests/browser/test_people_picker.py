"""The person pickers of the forms in a real browser at desktop and 360 px: on the task, strategy and goal forms
the head types part of a name, the matches drop below the box, a click chooses one (the box shows the name, the
list closes), Save keeps that person; and the tasks filter bar fits a phone."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.browser.conftest import shot, sign_in
from tests.conftest import DEFAULT_PASSWORD, make_user
from tests.integration.test_tasks_api import team

pytestmark = pytest.mark.browser


async def _people(db) -> dict:
    people = await team(db)
    for n in range(3):
        await make_user(
            db,
            f"anton{n}@example.com",
            ["manager"],
            name=f"Антон Антонов {n}",
            department_id=people["anna"].department_id,
        )
    return people


async def _no_sideways_scroll(page) -> None:
    width = await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert width <= 1


async def _pick(page, field: str, typed: str, count: int, name: str, shot_name: str = "") -> None:
    box = page.locator(f"#f-{field}")
    await box.fill(typed)
    choices = page.locator(f"#f-{field}-choices input[type=radio]")
    await expect(choices).to_have_count(count)
    if shot_name:
        await shot(page, shot_name)
    await page.locator(f"#f-{field}-choices label", has_text=name).click()
    await expect(box).to_have_value(name)
    await expect(page.locator(f"#f-{field}-choices")).to_be_hidden()


async def test_the_task_form_finds_the_assignee_by_typing(page, db):
    await _people(db)
    await sign_in(page, "head@example.com", DEFAULT_PASSWORD)
    await page.goto("/tasks/new")
    await expect(page.locator("#f-assignee_id")).to_have_value("Head")
    await page.fill("#f-title", "Позвонить клиенту")
    await _pick(page, "assignee_id", "Антон", 5, "Антон Антонов 1", "people-picker-task-open")  # "me" and 3 + head
    await _no_sideways_scroll(page)
    async with page.expect_navigation():
        await page.locator("form.tk-form button.btn-primary").click()
    await expect(page.get_by_role("heading", name="Позвонить клиенту")).to_be_visible()
    await expect(page.get_by_text("Антон Антонов 1")).to_be_visible()
    await shot(page, "people-picker-task-saved")


async def test_the_strategy_form_finds_its_owner_and_first_assignee(page, db):
    await _people(db)
    await sign_in(page, "head@example.com", DEFAULT_PASSWORD)
    await page.goto("/strategies/new")
    await page.fill("#f-name", "Краски весной")
    await _pick(page, "owner_id", "Ann", 3, "Anna", "people-picker-strategy-open")  # "me", Head (chosen), Anna
    await _pick(page, "first_assignee_id", "Bor", 3, "Boris")
    await shot(page, "people-picker-strategy-chosen")
    await _no_sideways_scroll(page)
    async with page.expect_navigation():
        await page.locator("form.tk-form button.btn-primary").click()
    await expect(page.get_by_role("heading", name="Краски весной")).to_be_visible()
    await expect(page.get_by_text("Anna").first).to_be_visible()
    await expect(page.get_by_text("Boris")).to_have_count(1)  # the first task's assignee (a column hidden on a phone)
    await shot(page, "people-picker-strategy-saved")


async def test_the_goal_form_finds_its_person(page, db):
    await _people(db)
    await sign_in(page, "head@example.com", DEFAULT_PASSWORD)
    await page.goto("/goals/new?year=2026")
    await expect(page.locator("#f-responsible_id")).to_have_attribute(
        "placeholder", "Введите имя или e-mail для поиска"
    )
    await _pick(page, "responsible_id", "Антон", 3, "Антон Антонов 2", "people-picker-goal-open")  # no "nobody"
    for m in range(1, 13):
        await page.fill(f"#f-t{m}", "1000")
    await _no_sideways_scroll(page)
    await shot(page, "people-picker-goal-chosen")
    async with page.expect_navigation():
        await page.locator(".goal-form .actions button.btn-primary").click()
    await expect(page.locator("table").get_by_text("Антон Антонов 2").first).to_be_visible()
    await shot(page, "people-picker-goal-saved")


async def test_the_tasks_filter_bar_fits_the_screen(page, db):
    await _people(db)
    await sign_in(page, "head@example.com", DEFAULT_PASSWORD)
    await page.goto("/tasks/list")
    await expect(page.locator("#tk-filter")).to_be_visible()
    await _no_sideways_scroll(page)
    status = await page.locator("#flt-status").bounding_box()
    assert status is not None and status["width"] <= 240
    await shot(page, "people-picker-tasks-filters")


async def test_the_goals_list_filters_by_a_person_found_by_typing(page, db):
    from crm.features.goals.models import Goal

    people = await _people(db)
    db.add_all(
        [
            Goal(variable="revenue", family="Краски", responsible_id=people["anna"].id, year=2026),
            Goal(variable="revenue", family="Клей", responsible_id=people["boris"].id, year=2026),
        ]
    )
    await db.commit()
    await sign_in(page, "head@example.com", DEFAULT_PASSWORD)
    await page.goto("/goals?year=2026")
    table = page.locator("table.goals-table")
    await expect(table.get_by_text("Клей")).to_be_visible()
    box = page.locator("#g-person")
    await box.fill("Ann")
    await expect(page.locator("#g-person-choices input[type=radio]")).to_have_count(2)  # "everybody" and Anna
    await shot(page, "people-picker-goals-list-open")
    await page.locator("#g-person-choices label", has_text="Anna").click()
    await expect(table.get_by_text("Клей")).to_have_count(0)
    await expect(table.get_by_text("Краски")).to_be_visible()
    await expect(page.locator("#g-person")).to_have_value("Anna")
    assert "person=" in page.url
    await _no_sideways_scroll(page)
    await shot(page, "people-picker-goals-list-chosen")


async def test_a_name_sent_without_choosing_is_resolved_or_offered_by_the_server(page, db):
    await _people(db)
    await sign_in(page, "head@example.com", DEFAULT_PASSWORD)
    await page.goto("/tasks/new")
    await page.fill("#f-title", "Отправить образцы")
    box = page.locator("#f-assignee_id")
    await box.fill("Антон")
    async with page.expect_navigation():
        await box.press("Enter")  # sent as typed: three people match
    await expect(page.locator("#e-assignee_id")).to_contain_text("Антон")
    await expect(page.locator("#f-assignee_id-choices input[type=radio]")).to_have_count(4)  # "me" and three
    await expect(page.locator("#f-title")).to_have_value("Отправить образцы")
    await shot(page, "people-picker-task-several")
    await page.locator("#f-assignee_id-choices label", has_text="Антон Антонов 0").click()
    await expect(box).to_have_value("Антон Антонов 0")
    async with page.expect_navigation():
        await page.locator("form.tk-form button.btn-primary").click()
    await expect(page.get_by_role("heading", name="Отправить образцы")).to_be_visible()
    await expect(page.get_by_text("Антон Антонов 0")).to_be_visible()


async def test_the_analysis_screens_find_their_person_by_typing(page, db):
    from tests.browser.test_goals_screens import _data

    await _data(db)
    await sign_in(page, "head@example.com", DEFAULT_PASSWORD)
    await page.goto("/analysis?variable=revenue&year=2026")
    box = page.locator("#a-person")
    await box.fill("Mar")
    await page.locator("#a-person-choices label", has_text="Maria").click()
    await expect(box).to_have_value("Maria")
    await page.wait_for_url("**person=*")
    await _no_sideways_scroll(page)
    await shot(page, "people-picker-analysis-board")
    await page.goto("/analysis/clients?variable=revenue&month=2026-03")
    box = page.locator("#t-person")
    await box.fill("Mar")
    await expect(page.locator("#t-person-choices input[type=radio]")).to_have_count(2)  # "everybody I see", Maria
    await shot(page, "people-picker-analysis-clients-open")
    await page.locator("#t-person-choices label", has_text="Maria").click()
    await expect(box).to_have_value("Maria")
    await page.wait_for_url("**person=*")
    await _no_sideways_scroll(page)
    await shot(page, "people-picker-analysis-clients")


async def test_the_companies_list_finds_its_responsible_person_by_typing(page, db):
    from crm.demo import load_demo
    from tests.integration.test_people_picker_employees import unique_responsible

    await load_demo(db)
    await db.commit()
    employee = await unique_responsible(db)
    full = f"{employee.last_name} {employee.name}"
    await sign_in(page, "admin@example.com", "crm-demo-2026")
    await page.goto("/companies")
    summary = page.locator("details.co-more-filters summary")
    if await summary.is_visible():  # a phone's disclosure; a laptop shows every filter
        await summary.click()
    box = page.locator("#flt-resp")
    await box.fill(full)
    await expect(page.locator("#flt-resp-choices input[type=radio]")).to_have_count(2)  # "all" and the one
    await shot(page, "people-picker-companies-open")
    await page.locator("#flt-resp-choices label", has_text=full).click()
    await expect(box).to_have_value(full)
    await page.wait_for_url("**responsible=*")
    await expect(page.locator("#list table tbody tr").first).to_contain_text(full)
    await _no_sideways_scroll(page)
    await shot(page, "people-picker-companies-chosen")
