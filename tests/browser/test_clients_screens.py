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
