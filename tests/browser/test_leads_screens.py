"""The lead desk in a real browser at desktop and phone width: an operator works their contacts (close with one
click, new ones appear by themselves), an admin tunes weights and operators and reads the statistics."""

from __future__ import annotations

from playwright.async_api import expect
from sqlalchemy import text

from tests.browser.conftest import shot, sign_in
from tests.conftest import DEFAULT_PASSWORD, make_user
from tests.integration.test_leads_fixtures import make_operator, make_source, post_contact

pytestmark = __import__("pytest").mark.browser


PEOPLE = [("Иван Петров", "+79123450001"), ("Мария Смирнова", "+79123450002"), ("Олег Кузнецов", "+79123450003"),
          ("Елена Волкова", "+79123450004")]  # fmt: skip


async def _desk(client, db) -> dict:
    anna = await make_operator(db, "anna@example.com", max_load=3, name="Анна Операторова")
    boris = await make_operator(db, "boris@example.com", max_load=3, name="Борис Звонков")
    source, key = await make_source(db, "Telegram-бот", {anna: 10, boris: 10})
    _partners, partners_key = await make_source(db, "Партнёры", {boris: 5})
    contacts = []
    for i, (name, phone) in enumerate(PEOPLE):
        answer = await post_contact(client, key, message=f"Хочу узнать цену, заявка {i}", phone=phone, name=name)
        contacts.append({**answer.json(), "phone": phone})
    for i in range(3):
        await post_contact(
            client, partners_key, message="Партнёрская заявка", phone=f"+7912555000{i}", name=f"Партнёр {i}"
        )
    return {"anna": anna, "boris": boris, "source": source, "key": key, "contacts": contacts}


async def test_an_operator_closes_a_contact_with_one_click_and_new_ones_appear_by_themselves(page, db, client):
    desk = await _desk(client, db)
    mine = [c for c in desk["contacts"] if c["operator_id"] == desk["anna"]]
    assert len(mine) == 2
    await sign_in(page, "anna@example.com", DEFAULT_PASSWORD)
    if page.viewport_name == "phone":
        await page.click("label.nav-burger")
    await page.click("nav.nav a[href='/leads/my']")
    await page.wait_for_url("**/leads/my")
    await expect(page.locator("#list tbody tr")).to_have_count(2)
    await expect(page.locator("#list meter")).to_have_attribute("value", "2")
    await expect(page.locator("#flt-status option:checked")).to_have_text("Открытые")  # a status, not "Открыть"
    await shot(page, "leads-my-contacts")

    await page.click(f"#c-{mine[0]['id']} button")
    await expect(page.locator(f"#c-{mine[0]['id']} button")).to_have_count(0)
    await expect(page.locator(".toast").last).to_be_visible()
    await expect(page.locator("#list meter")).to_have_attribute("value", "1")
    await expect(page.locator("#list tbody tr")).to_have_count(1)

    # the other lead writes again: it is Anna's lead and she has room, so it comes to her list by itself
    await post_contact(client, desk["key"], message="Ещё один вопрос", phone=mine[1]["phone"])
    await expect(page.locator("#list")).to_contain_text("Ещё один вопрос", timeout=15_000)
    await expect(page.locator("#list tbody tr")).to_have_count(2)
    await shot(page, "leads-my-contacts-refreshed")

    await page.click("#list form[action='/leads/my/active'] button")
    await expect(page.locator("#list form[action='/leads/my/active'] input[name=active]")).to_have_value(
        "true", timeout=15_000
    )


async def test_an_admin_tunes_weights_and_operators_and_reads_the_statistics(page, db, client):
    desk = await _desk(client, db)
    await make_user(db, "admin@example.com", ["admin"], name="Анна Админова")
    await sign_in(page, "admin@example.com", DEFAULT_PASSWORD)
    await page.goto("/leads/queue")
    await expect(page.locator("#list tbody tr")).to_have_count(2)  # partners: 3 contacts, 1 place left for Boris
    await shot(page, "leads-queue")

    await page.goto("/leads/sources")
    cell = page.locator(f"#w-{desk['source']}-{desk['anna']}")
    await cell.fill("30")
    await cell.press("Tab")
    await expect(page.locator("#weights")).to_contain_text("75 %")
    await shot(page, "leads-sources")

    await page.goto("/leads/operators")
    row = page.locator(f"#op-{desk['anna']}")
    await row.locator("button[aria-pressed='true']").click()
    await expect(row.locator("button[aria-pressed]")).to_have_attribute("aria-pressed", "false")
    max_load = page.locator(f"#ml-{desk['boris']}")
    await max_load.fill("5")
    await max_load.press("Tab")
    await expect(page.locator(f"#op-{desk['boris']} meter")).to_have_attribute("max", "5")
    # (screenshots come after the swaps: Playwright leaves style="" on inputs, which htmx's settle would copy)
    # a negative figure is not blocked silently by the browser: the server answers next to the field
    max_load = page.locator(f"#ml-{desk['boris']}")
    await max_load.fill("-5")
    await max_load.press("Tab")
    await expect(page.locator(f"#mle-{desk['boris']}")).to_be_visible()
    await expect(page.locator(f"#ml-{desk['boris']}")).to_have_attribute("aria-invalid", "true")
    await expect(page.locator(f"#ml-{desk['boris']}")).to_have_value("-5")
    await expect(page.locator(f"#op-{desk['boris']} meter")).to_have_attribute("max", "5")
    await shot(page, "leads-operators")
    assert (
        await db.execute(text("SELECT max_load FROM lead_operators WHERE id = :id"), {"id": desk["boris"]})
    ).scalar_one() == 5

    await page.goto("/leads/stats")
    await expect(page.locator("canvas[data-chart]")).to_have_attribute("data-drawn", "1")
    await expect(page.locator("main > .table-wrap table")).to_contain_text("Анна Операторова")
    await shot(page, "leads-stats")

    await page.goto("/leads?q=8 912 345 00 02")
    await expect(page.locator("#list tbody tr")).to_have_count(1)
    async with page.expect_navigation():
        await page.click("#list tbody a >> nth=0")
    await expect(page.locator("h1")).to_contain_text("Мария Смирнова")
    await shot(page, "leads-lead-card")
