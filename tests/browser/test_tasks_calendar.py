"""The task calendar of a busy team in a real browser (1366 and 360 px): a day of 40 tasks draws four, then "and N
more" leading to that day in the list; nothing scrolls sideways."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest
from playwright.async_api import expect

from crm.features.tasks.models import Task
from crm.lib.i18n import local_today, local_tz
from tests.browser.conftest import shot, sign_in
from tests.conftest import DEFAULT_PASSWORD, make_user

pytestmark = pytest.mark.browser


async def test_a_busy_day_shows_four_tasks_and_a_link_to_the_rest(page, db):
    anna = await make_user(db, "anna@example.com", ["manager"], name="Анна Петрова")
    today = local_today()
    for i in range(40):
        due = datetime.combine(today, time(8 + i // 6, (i % 6) * 10), tzinfo=local_tz())
        db.add(Task(title=f"Позвонить клиенту №{i + 1}", assignee_id=anna.id, creator_id=anna.id, due_at=due))
    tomorrow = today + timedelta(days=1)
    db.add(Task(title="Визит", assignee_id=anna.id, due_at=datetime.combine(tomorrow, time(9), tzinfo=local_tz())))
    await db.commit()
    await sign_in(page, "anna@example.com", DEFAULT_PASSWORD)
    await page.goto("/tasks/calendar")
    cell = page.locator(f'.tk-day[data-day="{today.isoformat()}"]')
    await expect(cell.locator(".tk-chip-task")).to_have_count(4)
    more = cell.locator("a.tk-more")
    await expect(more).to_have_text(re.compile("36"))
    await shot(page, "tasks-calendar-busy-month")
    width = await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert width <= 1  # no sideways scroll
    await page.goto(f"/tasks/calendar?mode=week&on={today.isoformat()}")
    await expect(cell.locator(".tk-chip-task")).to_have_count(15)
    await shot(page, "tasks-calendar-busy-week")
    await cell.locator("a.tk-more").click()
    await expect(page).to_have_url(re.compile(rf"/tasks/list\?due_from={today}&due_to={today}"))
    await expect(page.locator("body")).to_contain_text("Позвонить клиенту №40")
    await expect(page.locator("body")).not_to_contain_text("Визит")
