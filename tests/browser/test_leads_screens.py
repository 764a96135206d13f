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

    row = page.locator(f"#c-{mine[0]['id']}")
    await row.locator("a", has_text="Закрыть").click()
    await row.locator("select[name=outcome]").select_option("reached")
    await row.locator("textarea[name=comment]").fill("Договорились о встрече")
    await row.locator("button", has_text="Закрыть обращение").click()
    await expect(page.locator(f"#c-{mine[0]['id']} select")).to_have_count(0)
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


async def test_an_operator_takes_from_the_queue_closes_with_an_outcome_and_reopens_a_mistake(page, db, client):
    await _desk(client, db)
    # Vera serves the partners' bot but is away: the worker gives her nothing, she takes contacts by hand
    vera = await make_operator(db, "vera@example.com", max_load=3, active=False, name="Вера Партнёрова")
    await db.execute(
        text("INSERT INTO lead_competences (operator_id, source_id, weight) "
             "SELECT :op, id, 5 FROM lead_sources WHERE name = 'Партнёры'"), {"op": vera})  # fmt: skip
    await db.commit()
    waiting = (
        (await db.execute(text("SELECT id FROM lead_contacts WHERE operator_id IS NULL ORDER BY created_at, id")))
        .scalars()
        .all()
    )
    assert len(waiting) == 2
    await sign_in(page, "vera@example.com", DEFAULT_PASSWORD)
    await page.goto("/leads/queue")
    await expect(page.locator("#list tbody tr")).to_have_count(2)
    await shot(page, "leads-queue-operator")
    await page.locator(f"#c-{waiting[0]} button", has_text="Взять").click()
    await expect(page.locator(f"#c-{waiting[0]}")).to_have_count(0)
    await expect(page.locator(".toast").last).to_contain_text("теперь ваш")
    await expect(page.locator("#list tbody tr")).to_have_count(1)

    await page.goto("/leads/my")
    row = page.locator(f"#c-{waiting[0]}")
    await expect(row).to_be_visible()
    await row.locator("a", has_text="Закрыть").click()
    await row.locator("button", has_text="Закрыть обращение").click()  # no outcome chosen: told next to the field
    await expect(page.locator(f"#oe-{waiting[0]}")).to_be_visible()
    await page.locator(f"#oc-{waiting[0]}").select_option("wrong_number")
    await page.locator(f"#cm-{waiting[0]}").fill("Номер не обслуживается")
    await shot(page, "leads-close-form")
    await page.locator(f"#c-{waiting[0]} button", has_text="Закрыть обращение").click()
    await expect(page.locator(f"#c-{waiting[0]}")).to_have_count(0)  # the open list refreshes without it

    await page.goto("/leads/my?status=closed")
    row = page.locator(f"#c-{waiting[0]}")
    await expect(row).to_contain_text("Неверный номер")
    await expect(row).to_contain_text("Номер не обслуживается")
    await shot(page, "leads-closed-with-reopen")
    await row.locator("button", has_text="Открыть снова").click()
    await expect(page.locator(".toast").last).to_contain_text("снова открыто")
    status = await db.execute(text("SELECT status FROM lead_contacts WHERE id = :id"), {"id": waiting[0]})
    assert status.scalar_one() == "open"

    lead_id = (await db.execute(text("SELECT lead_id FROM lead_contacts WHERE id = :id"), {"id": waiting[0]})).scalar()
    await page.goto(f"/leads/{lead_id}")
    await expect(page.locator("h1")).to_be_visible()
    await shot(page, "leads-lead-card-operator")


async def test_a_new_source_shows_its_key_once_and_loses_its_warning_when_weighted(page, db, client):
    desk = await _desk(client, db)
    await make_user(db, "admin@example.com", ["admin"], name="Анна Админова")
    await sign_in(page, "admin@example.com", DEFAULT_PASSWORD)
    await page.goto("/leads/sources")
    await page.fill("#f-name", "Сайт: форма заявки")
    async with page.expect_navigation():
        await page.click("form[action='/leads/sources'] button")
    await expect(page.locator("code.token")).to_be_visible()
    source = (await db.execute(text("SELECT id FROM lead_sources WHERE name = 'Сайт: форма заявки'"))).scalar_one()
    source_row = page.locator("#sources tr", has_text="Сайт: форма заявки")
    await expect(source_row).to_contain_text("нет весов")
    await shot(page, "leads-sources-new-key")
    cell = page.locator(f"#w-{source}-{desk['anna']}")
    await cell.fill("10")
    await cell.press("Tab")
    await expect(page.locator("#weights")).to_contain_text("100 %")
    await expect(source_row).not_to_contain_text("нет весов")
    await page.reload()
    await expect(page.locator("code.token")).to_have_count(0)  # shown once; a reload re-submits nothing
    assert (await db.execute(text("SELECT count(*) FROM lead_sources"))).scalar_one() == 3
