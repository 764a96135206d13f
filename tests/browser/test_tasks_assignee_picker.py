"""The task board's assignee picker in a real browser at 1366 and 360 px: typing asks the server for matches,
the keyboard reaches them (Tab, arrows), choosing one re-filters the board and the box shows the chosen name."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from crm.features.tasks.models import Task
from tests.browser.conftest import shot, sign_in
from tests.conftest import DEFAULT_PASSWORD, make_user
from tests.integration.test_tasks_api import team

pytestmark = pytest.mark.browser


async def test_the_head_finds_a_person_by_typing_and_the_board_is_filtered(page, db):
    people = await team(db)
    department = people["anna"].department_id
    for n in range(3):
        await make_user(db, f"anton{n}@example.com", ["manager"], name=f"Антон Антонов {n}", department_id=department)
    db.add_all(
        [
            Task(title="Звонок Анны", assignee_id=people["anna"].id, creator_id=people["anna"].id),
            Task(title="Визит Бориса", assignee_id=people["boris"].id, creator_id=people["boris"].id),
        ]
    )
    await db.commit()
    await sign_in(page, "head@example.com", DEFAULT_PASSWORD)
    await page.goto("/tasks")
    await expect(page.get_by_text("Визит Бориса")).to_be_visible()
    box = page.locator("#flt-assignee")
    await box.fill("Антон")
    choices = page.locator('#flt-assignee-choices input[type="radio"]')
    await expect(choices).to_have_count(4)  # "everyone" and three matches
    await shot(page, "tasks-assignee-picker-open")
    await box.fill("Anna")
    await expect(choices).to_have_count(2)
    await page.keyboard.press("Tab")  # to the radio group: the checked "everyone"
    await page.keyboard.press("ArrowDown")  # Anna: the choice re-filters the board
    await expect(page.get_by_text("Визит Бориса")).to_have_count(0)
    await expect(page.get_by_text("Звонок Анны")).to_be_visible()
    await expect(box).to_have_value("Anna")
    assert "assignee_id=" in page.url
    await shot(page, "tasks-assignee-picker-chosen")
