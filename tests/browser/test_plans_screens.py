"""The calls & meetings statistics in a real browser at desktop and phone width, on the demo data."""

from __future__ import annotations

import re

from playwright.async_api import expect

from tests.browser.conftest import shot, sign_in

pytestmark = __import__("pytest").mark.browser


async def _demo(db) -> None:
    from crm.demo import load_demo

    await load_demo(db)
    await db.commit()


async def test_a_head_switches_between_the_year_and_a_month_and_the_grid_scrolls_in_its_box(page, db):
    await _demo(db)
    await sign_in(page, "head@example.com", "crm-demo-2026")
    await page.goto("/plans")
    grid = page.locator("table.plans-grid")
    await expect(grid).to_be_visible()
    await expect(page.locator(".dept-row").first).to_be_visible()
    await shot(page, "plans-month")
    await page.click(".segmented a:first-child")
    await expect(page).to_have_url(re.compile(r"/plans\?year=\d{4}(&|$)"))
    await expect(page.locator("table.plans-grid.by-month")).to_be_visible()
    await shot(page, "plans-year")
    # the page itself never scrolls sideways: the grid scrolls inside its box
    width = await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert width <= 1


async def test_a_head_sets_a_plan_sees_it_not_fulfilled_and_forces_it_with_a_comment(page, db):
    from datetime import timedelta

    from crm.features.accounts.models import User
    from crm.features.calendar.services import working_days
    from crm.features.plans.models import CallPlan
    from crm.lib.i18n import local_today

    await _demo(db)
    head = await db.scalar(__import__("sqlalchemy").select(User).where(User.email == "head@example.com"))
    today = local_today()
    first = (today.replace(day=1) - timedelta(days=1)).replace(day=1)  # the previous month: judged, still editable
    day = (await working_days(db, first, first + timedelta(days=27)))[2]
    db.add(CallPlan(employee_id=head.employee_bitrix_id, day=day, calls=500))
    await db.commit()
    await sign_in(page, "head@example.com", "crm-demo-2026")
    await page.goto(f"/plans?year={day.year}&month={day.month}")
    cell = page.locator("td.cell.st-not_fulfilled").first
    await expect(cell).to_be_visible()
    await shot(page, "plans-month-not-fulfilled")
    await page.goto(f"/plans/{head.employee_bitrix_id}/day/{day.isoformat()}")
    await page.click("form[action$='/force'] button")
    await expect(page.locator("#e-comment")).to_be_visible()  # the comment is required
    await page.fill("textarea[name=comment]", "На выставке")
    await page.click("form[action$='/force'] button")
    await expect(page.locator(".day-facts .badge-warn")).to_be_visible()
    await shot(page, "plans-day-forced")
    await page.goto(f"/plans/{head.employee_bitrix_id}/{day.year}-{day.month:02d}/plan")
    await page.fill("input[name=daily]", "-3")
    await page.click("form.plan-daily button.btn-primary")
    await shot(page, "plans-plan-form")
    width = await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert width <= 1


async def test_the_month_draws_plan_against_fact_and_a_head_refreshes_the_period_from_bitrix24(page, db):
    """The month view's chart is drawn (and its numbers open as a table); "Refresh data for the period" asks first,
    then shows the re-sync's panel until the run ends — here without a Bitrix24 connection, so it ends failed
    with the reason in words."""
    await _demo(db)
    await sign_in(page, "head@example.com", "crm-demo-2026")
    await page.goto("/plans")
    canvas = page.locator(".plans-chart canvas[data-chart]")
    await expect(canvas).to_have_attribute("data-drawn", "1")
    box = await canvas.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 100
    await page.locator(".plans-chart summary").click()
    rows = page.locator(".plans-chart .chart-table tbody tr")
    assert await rows.count() >= 15  # one per working day of the month
    await shot(page, "plans-month-chart")

    await page.locator("form.refresh-form button").click()
    await expect(page.locator("#confirm-dialog")).to_be_visible()
    await page.locator("#confirm-ok").click()
    panel = page.locator("#refresh-run")
    await expect(panel).to_be_visible()
    await expect(panel.locator(".badge-bad, .badge-ok")).to_be_visible(timeout=30_000)
    await expect(panel).to_contain_text("Битрикс24 не подключён")  # the run's reason, in the reader's language
    await expect(panel).not_to_have_attribute("hx-trigger", "every 2s")  # polling stopped with the run
    await shot(page, "plans-refresh-panel")
    width = await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert width <= 1
