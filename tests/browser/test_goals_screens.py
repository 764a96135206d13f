"""Goals, the sales-analysis dashboard and the client table in a real browser at desktop and phone width."""

from __future__ import annotations

import re
from decimal import Decimal

from playwright.async_api import expect

from tests.browser.conftest import shot, sign_in
from tests.conftest import DEFAULT_PASSWORD
from tests.integration.test_goals_analysis_rules import LINES, put_sales
from tests.integration.test_goals_api import team

pytestmark = __import__("pytest").mark.browser


async def _data(db) -> dict:
    from crm.features.goals.models import Goal, GoalTarget

    people = await team(db)
    codes = ("A01", "B02", "C03", "D04", "E05", "F06", "H07")
    await put_sales(db, LINES, responsible={c: people["maria"].id for c in codes})
    goal = Goal(variable="revenue", family="", responsible_id=people["maria"].id, year=2026)
    db.add(goal)
    await db.flush()
    db.add_all([GoalTarget(goal_id=goal.id, month=m, target=Decimal(400 + 50 * m)) for m in range(1, 13)])
    await db.commit()
    return people


async def _no_sideways_scroll(page) -> None:
    width = await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert width <= 1


async def test_the_dashboard_shows_bars_with_their_table_and_switches_variable(page, db):
    await _data(db)
    await sign_in(page, "head@example.com", DEFAULT_PASSWORD)
    await page.goto("/analysis?variable=revenue&year=2026")
    await expect(page.locator(".bars .bar.actual").first).to_be_visible()
    await expect(page.locator("table.analysis-table").first).to_contain_text("580")
    await shot(page, "goals-dashboard")
    await _no_sideways_scroll(page)
    await page.select_option("#a-variable", "non_retained_clients")
    await expect(page).to_have_url(re.compile(r"variable=non_retained_clients"))
    await expect(page.locator("h1")).to_contain_text("Неудержанные")
    await shot(page, "goals-dashboard-non-retained")


async def test_the_dashboard_with_amounts_in_millions_fits_and_shows_the_whole_year(page, db):
    from crm.features.goals.models import Goal, GoalTarget

    people = await _data(db)
    goal = Goal(variable="revenue", family="Paint", responsible_id=people["maria"].id, year=2026)
    db.add(goal)
    await db.flush()
    db.add_all([GoalTarget(goal_id=goal.id, month=m, target=Decimal("7654321.99")) for m in range(1, 13)])
    await db.commit()
    await sign_in(page, "head@example.com", DEFAULT_PASSWORD)
    await page.goto("/analysis?variable=revenue&year=2026&family=Paint")
    table = page.locator("table.analysis-table").first
    await expect(table).to_contain_text("91 851 863,88")
    await shot(page, "goals-dashboard-millions")
    await _no_sideways_scroll(page)
    # all twelve months and the year total are shown (the frame does not cut them off) ...
    wrap = table.locator("xpath=..")
    assert await wrap.evaluate("e => e.scrollHeight <= e.clientHeight + 1")
    # ... each month on one line: no amount or percent breaks in two ("122,1" / "%")
    heights = await table.locator("tbody tr").evaluate_all("rows => rows.map(r => r.getBoundingClientRect().height)")
    assert len(heights) == 12 and max(heights) - min(heights) <= 1, heights


async def test_the_client_table_picks_columns_filters_saves_a_view_and_overrides_a_category(page, db):
    await _data(db)
    await sign_in(page, "maria@example.com", DEFAULT_PASSWORD)
    await page.goto("/analysis/clients?variable=revenue&month=2026-03")
    await expect(page.locator("table.analysis-table")).to_be_visible()
    label, field = page.locator("label[for=t-month]"), page.locator("#t-month")
    label_box, field_box = await label.bounding_box(), await field.bounding_box()
    if page.viewport_name == "phone":  # each label right above its own field
        assert label_box["y"] + label_box["height"] <= field_box["y"] + 1 and abs(label_box["x"] - field_box["x"]) <= 1
    else:  # on one line, the label before its field
        assert label_box["x"] < field_box["x"] and abs(label_box["y"] - field_box["y"]) < field_box["height"]
    await page.click("details.table-setup summary")
    await page.uncheck("input[name=cols][value=i2]")
    await page.uncheck("input[name=cols][value=i4]")
    await page.select_option("#f1-field", "abc")
    await page.select_option("#f1-op", "eq")
    await page.fill("#f1-value", "A")
    await page.click("details.table-setup button.btn")
    await expect(page).to_have_url(re.compile(r"f1=abc%3Aeq%3AA|f1_field=abc"))
    await expect(page.locator("table.analysis-table tbody tr")).to_have_count(3)
    await expect(page.locator("table.analysis-table thead")).not_to_contain_text("I2")
    await page.fill("#view-name", "Клиенты A")
    await page.click("form[action='/analysis/views'] button")
    await expect(page.locator(".views a", has_text="Клиенты A")).to_be_visible()
    row = page.locator("table.analysis-table tbody tr", has_text="Client A01")
    await row.locator("a.edit-category").click()
    await row.locator("select[name=category]").select_option("Falling")
    await row.locator("select[name=reason]").select_option("Price")
    await row.locator("form.override button").click()
    await expect(row.locator(".manual")).to_be_visible()
    await expect(row.locator(".category-cell")).to_contain_text("Падает")
    await shot(page, "goals-client-table")
    await _no_sideways_scroll(page)


async def test_the_goal_form_repeats_a_value_and_saves_twelve_months(page, db):
    await _data(db)
    await sign_in(page, "head@example.com", DEFAULT_PASSWORD)
    await page.goto("/goals/new?year=2026")
    await page.fill("#f-responsible_id", "Mar")  # the person picker: type, then choose among the matches
    await page.locator("#f-responsible_id-choices label", has_text="Maria").click()
    await page.fill("#f-family", "Paint")
    await page.fill("#f-t1", "1000")
    await page.fill("#f-fill_value", "1500")
    await page.fill("#f-fill_from", "2")
    await page.click("button[value=repeat]")
    await expect(page.locator("#f-t12")).to_have_value("1500")
    await expect(page.locator("#f-t1")).to_have_value("1000")
    await shot(page, "goals-form")
    await _no_sideways_scroll(page)
    await page.click(".actions button[value=save]")
    await expect(page).to_have_url(re.compile(r"/goals\?year=2026"))
    await expect(page.locator("table.goals-table")).to_contain_text("Paint")
    await expect(page.locator("table.goals-table .team-row").first).to_be_visible()
    await shot(page, "goals-list")
    # a goal is opened for editing from where the eye is (its indicator), not only from the far end of 16 columns
    edit = page.locator("table.goals-table a[href^='/goals/']").first
    await expect(edit).to_be_in_viewport()
    await edit.click()
    await expect(page).to_have_url(re.compile(r"/goals/\d+$"))
    await expect(page.locator("#f-t12")).not_to_have_value("")


async def test_control_and_settings_fit_the_screen(page, db):
    await _data(db)
    await sign_in(page, "head@example.com", DEFAULT_PASSWORD)
    await page.goto("/control?year=2026&from=1&to=4")
    await expect(page.locator(".kpi").first).to_be_visible()
    await expect(page.locator("table.analysis-table")).to_contain_text("Maria")
    await shot(page, "goals-control")
    await _no_sideways_scroll(page)
    await page.goto("/analysis/settings?variable=non_retained_clients")
    await expect(page.locator("h1")).to_be_visible()
    await shot(page, "goals-settings")
    await _no_sideways_scroll(page)
