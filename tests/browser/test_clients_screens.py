"""The clients screens in a real browser at desktop and phone width: companies list with filters, the company
card, employees and departments, pipelines, the Integrations screen."""

from __future__ import annotations

import re

from playwright.async_api import expect
from sqlalchemy import select

from tests.browser.conftest import shot, sign_in

pytestmark = __import__("pytest").mark.browser


async def _demo(db) -> None:
    from crm.demo import load_demo

    await load_demo(db)
    await db.commit()


async def test_an_admin_filters_companies_and_opens_a_card(page, db):
    from crm.features.clients.models import Company

    await _demo(db)
    company = (await db.scalars(select(Company).where(Company.inn.is_not(None)).order_by(Company.id))).first()
    await sign_in(page, "admin@example.com", "crm-demo-2026")
    await page.goto("/companies")
    await expect(page.locator("#list tbody tr")).to_have_count(50)
    await shot(page, "companies")
    await page.fill("input[name=inn]", company.inn)
    await page.press("input[name=inn]", "Enter")
    await expect(page.locator("#list tbody tr").first).to_contain_text(company.title)
    await expect(page).to_have_url(re.compile(r"inn="))
    await shot(page, "companies-filtered")
    async with page.expect_navigation():
        await page.click(f"#list a[href='/companies/{company.id}']")
    await expect(page.locator("h1")).to_contain_text(company.title)
    await shot(page, "company-card")


async def test_a_head_sees_the_department_tree_and_pipelines(page, db):
    await _demo(db)
    await sign_in(page, "head@example.com", "crm-demo-2026")
    await page.goto("/employees")
    await expect(page.locator("h1")).to_be_visible()
    await shot(page, "employees")
    await page.goto("/pipelines")
    await expect(page.locator("section.panel").first).to_be_visible()
    await shot(page, "pipelines")


async def test_an_admin_sees_the_integrations_screen(page, db):
    await _demo(db)
    await sign_in(page, "admin@example.com", "crm-demo-2026")
    await page.goto("/integrations/bitrix24")
    await expect(page.locator("input[name=webhook_url]")).to_be_visible()
    await page.fill("input[name=webhook_url]", "https://x.example/nope")
    await page.click("form[action='/integrations/bitrix24'] button.btn-primary")
    await expect(page.locator("#e-webhook_url")).to_be_visible()
    await shot(page, "integrations-errors")


async def test_each_sync_button_starts_its_own_kind_of_run(page, db):
    """The clicked button's value must arrive although double-submit protection disables the buttons."""
    from crm.features.clients.sync_models import SyncRun

    await _demo(db)
    await sign_in(page, "admin@example.com", "crm-demo-2026")
    await page.goto("/integrations/bitrix24")
    async with page.expect_navigation():
        await page.click("button[name=kind][value=rebuild]")
    db.expire_all()
    run = await db.scalar(select(SyncRun).order_by(SyncRun.id.desc()))
    assert run is not None and run.kind == "rebuild"


async def _fits(page) -> None:
    """Nothing makes the whole page scroll sideways (tables may scroll inside their own box)."""
    width = page.viewport_size["width"]
    assert await page.evaluate("document.documentElement.scrollWidth") <= width, page.url


async def test_the_clients_screens_fit_the_screen_for_each_role(page, db):
    await _demo(db)
    phone = page.viewport_name == "phone"
    for email in ("admin@example.com", "head@example.com", "manager@example.com"):
        role = email.split("@")[0]
        await page.context.clear_cookies()
        await sign_in(page, email, "crm-demo-2026")
        await page.goto("/companies")
        await expect(page.locator("#list tbody tr").first).to_be_visible()
        await _fits(page)
        more = page.locator("details.co-more-filters")
        if phone:  # secondary filters folded away, the last communication on screen beside the company
            assert await more.get_attribute("open") is None
            await expect(page.locator("#flt-ind")).to_be_hidden()
            last = await page.locator("#list thead th").last.bounding_box()
            assert last is not None and last["x"] + last["width"] <= 360
            await expect(page.locator("#list tbody tr .co-narrow").first).to_be_visible()
        else:  # on a wide screen every filter is in the row and there is no disclosure to open
            await expect(page.locator("#flt-ind")).to_be_visible()
            await expect(more.locator("summary")).to_be_hidden()
        await shot(page, f"companies-{role}")
        href = await page.locator("#list tbody a").first.get_attribute("href")
        await page.goto(href)
        await expect(page.locator("dl.co-props")).to_be_visible()
        await _fits(page)
        await shot(page, f"company-card-{role}")
        await page.goto("/employees")
        await expect(page.locator("h1")).to_be_visible()
        await _fits(page)
        await shot(page, f"employees-{role}")
        if role != "manager":
            await page.goto("/integrations/bitrix24")
            await expect(page.locator("h1")).to_be_visible()
            await _fits(page)
            await shot(page, f"integrations-{role}")
    if phone:  # a filter in use keeps the disclosure open, and choosing one works from inside it
        await page.goto("/companies?industry=ENERGY")
        await expect(page.locator("#flt-ind")).to_be_visible()
        await page.select_option("#flt-active", "all")
        await expect(page).to_have_url(re.compile(r"active=all"))
        await expect(page.locator("#list")).to_contain_text("Энергетика")
        await _fits(page)
        await shot(page, "companies-filtered-open")
