"""Tasks in a real browser: kanban moves by mouse and by keyboard (one request each, with an undo), a calendar drag,
and a whole field visit on a 360 px phone with the position shared or refused."""

from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta

import pytest
from PIL import Image
from playwright.async_api import expect
from sqlalchemy import select

from crm.features.tasks.models import Photo, Task, Visit
from crm.lib.i18n import local_today, local_tz
from tests.browser.conftest import SHOTS, VIEWPORTS, shot, sign_in
from tests.conftest import DEFAULT_PASSWORD, make_user

pytestmark = pytest.mark.browser


def at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=local_tz())


async def anna_with_tasks(db) -> dict[str, int]:
    anna = await make_user(db, "anna@example.com", ["manager"], name="Анна Петрова")
    today = local_today()
    rows = {
        "call": Task(title="Позвонить в Ромашку", assignee_id=anna.id, creator_id=anna.id, due_at=at(today, 15)),
        "offer": Task(
            title="Отправить КП", assignee_id=anna.id, creator_id=anna.id, priority="high", due_at=at(today, 12)
        ),
        "visit": Task(
            title="Визит в Лютик",
            assignee_id=anna.id,
            creator_id=anna.id,
            due_at=at(today, 11),
            address="Москва, Тверская ул., 7",
            lat=55.7601,
            lon=37.6087,
        ),
    }
    db.add_all(rows.values())
    await db.commit()
    return {k: t.id for k, t in rows.items()}


async def status_of(db, task_id: int) -> str:
    db.expire_all()
    return (await db.get(Task, task_id)).status


async def test_a_card_moves_by_mouse_and_by_keyboard_with_one_request_each_and_an_undo(page, db):
    ids = await anna_with_tasks(db)
    await sign_in(page, "anna@example.com", DEFAULT_PASSWORD)
    await page.goto("/tasks")
    card = page.locator(f'.tk-card[data-id="{ids["call"]}"]')
    await expect(card).to_be_visible()
    await shot(page, "tasks-board")
    width = await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    wide = await page.evaluate(
        "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > "
        "document.documentElement.clientWidth + 1).slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + "
        "Math.round(e.getBoundingClientRect().right))"
    )
    assert width <= 1, wide  # nothing sticks out sideways, at 360 px either
    moves: list[str] = []
    page.on("request", lambda r: moves.append(r.url) if "/move" in r.url else None)
    async with page.expect_response(lambda r: "/move" in r.url) as answer:
        await card.drag_to(page.locator('[data-drop="in_progress"]'))
    assert (await answer.value).status == 200
    await expect(page.locator('[data-drop="in_progress"]').locator(f'[data-id="{ids["call"]}"]')).to_be_visible()
    assert await status_of(db, ids["call"]) == "in_progress"
    assert len(moves) == 1
    offer = page.locator(f'.tk-card[data-id="{ids["offer"]}"]')
    await offer.focus()
    async with page.expect_response(lambda r: "/move" in r.url):
        await page.keyboard.press("ArrowRight")
    assert await status_of(db, ids["offer"]) == "in_progress"
    async with page.expect_response(lambda r: "/move" in r.url):
        await page.keyboard.press("ArrowRight")
    assert await status_of(db, ids["offer"]) == "done"
    await expect(offer).to_be_focused()
    toast = page.locator(".toast", has=page.locator("button")).last
    await expect(toast).to_be_visible()
    await shot(page, "tasks-board-moved")
    async with page.expect_response(lambda r: "/move" in r.url):
        await toast.locator("button").click()
    assert await status_of(db, ids["offer"]) == "in_progress"
    assert len(moves) == 4


async def test_a_task_is_dragged_to_another_day_of_the_calendar(page, db):
    ids = await anna_with_tasks(db)
    await sign_in(page, "anna@example.com", DEFAULT_PASSWORD)
    today = local_today()
    await page.goto(f"/tasks/calendar?mode=week&on={today.isoformat()}")
    chip = page.locator(f'.tk-chip-task[data-id="{ids["call"]}"]')
    await expect(chip).to_be_visible()
    await shot(page, "tasks-calendar-week")
    monday = today - timedelta(days=today.weekday())
    target = monday + timedelta(days=6 if today.weekday() != 6 else 5)
    async with page.expect_response(lambda r: "/reschedule" in r.url) as answer:
        await chip.drag_to(page.locator(f'.tk-day[data-day="{target.isoformat()}"]'))
    assert (await answer.value).status == 200
    db.expire_all()
    moved = await db.get(Task, ids["call"])
    assert moved.due_at.astimezone(local_tz()) == at(target, 15)
    await chip.focus()
    async with page.expect_response(lambda r: "/reschedule" in r.url):
        await page.keyboard.press("ArrowLeft")
    db.expire_all()
    assert (await db.get(Task, ids["call"])).due_at.astimezone(local_tz()).date() == target - timedelta(days=1)
    await page.goto("/tasks/calendar")
    await shot(page, "tasks-calendar-month")


async def test_the_month_calendar_with_a_long_title_stays_within_the_screen(page, db):
    ids = await anna_with_tasks(db)
    long = "Согласовать с закупщиком условия годового договора поставки и скидки на весь ассортимент"
    db.add(Task(title=long, assignee_id=(await db.get(Task, ids["call"])).assignee_id, due_at=at(local_today(), 9)))
    await db.commit()
    await sign_in(page, "anna@example.com", DEFAULT_PASSWORD)
    await page.goto("/tasks/calendar")
    await expect(page.locator(".tk-chip-task", has_text="Согласовать с закупщиком")).to_be_attached()
    await shot(page, "tasks-calendar-long-title")
    width = await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert width <= 1  # no sideways scroll
    # every week is as wide as the others: a long title is cut with an ellipsis, it does not widen its week
    rights = await page.locator(".tk-cal-week").evaluate_all("ws => ws.map(w => Math.round(w.scrollWidth))")
    assert max(rights) - min(rights) <= 1, rights


def photo_bytes() -> bytes:
    out = io.BytesIO()
    Image.linear_gradient("L").resize((3000, 2000)).convert("RGB").save(out, "JPEG", quality=85)
    return out.getvalue()


async def phone(browser, live_server, **options):
    context = await browser.new_context(
        viewport=VIEWPORTS["phone"], base_url=live_server, locale="ru-RU", is_mobile=True, has_touch=True, **options
    )
    page = await context.new_page()
    page.viewport_name = "phone"
    return context, page


async def test_a_whole_visit_on_a_phone_with_the_position_shared(browser, live_server, client, db):
    ids = await anna_with_tasks(db)
    context, page = await phone(
        browser,
        live_server,
        geolocation={"latitude": 55.7603, "longitude": 37.6090, "accuracy": 15},
        permissions=["geolocation"],
    )
    await sign_in(page, "anna@example.com", DEFAULT_PASSWORD)
    await page.goto("/my-day")
    items = page.locator(".tk-day-item")
    await expect(items).to_have_count(3)
    assert "Визит в Лютик" in await items.nth(0).inner_text()  # 11:00 first
    await page.screenshot(path=str(SHOTS / "tasks-my-day-phone.png"), full_page=True)
    await page.click("text=Визит в Лютик")
    await expect(page.locator("h1")).to_have_text("Визит в Лютик")
    await page.screenshot(path=str(SHOTS / "tasks-visit-phone.png"), full_page=True)
    async with page.expect_navigation():
        await page.click("form[action$='/check-in'] button")
    await expect(page.locator("text=Прибытие отмечено в")).to_be_visible()
    visit = (await db.scalars(select(Visit))).one()
    assert abs(visit.in_lat - 55.7603) < 1e-6 and visit.in_accuracy == 15 and visit.in_distance_m < 100
    await page.fill("#f-note", "Договорились о поставке")
    async with page.expect_navigation():
        await page.click("form[action$='/note'] button")
    await page.set_input_files(
        "#f-photo", files=[{"name": "IMG_1.jpg", "mimeType": "image/jpeg", "buffer": photo_bytes()}]
    )
    async with page.expect_navigation():
        await page.click("form[action$='/photos'] button")
    await expect(page.locator(".tk-photos img")).to_have_count(1)
    await page.screenshot(path=str(SHOTS / "tasks-visit-checked-in-phone.png"), full_page=True)
    width = await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert width <= 1
    async with page.expect_navigation():
        await page.click("form[action$='/check-out'] button")
    await expect(page).to_have_url(f"{live_server}/my-day")
    db.expire_all()
    visit = (await db.scalars(select(Visit))).one()
    assert visit.checked_out_at and visit.note == "Договорились о поставке"
    assert (await db.get(Task, ids["visit"])).status == "done"
    assert len((await db.scalars(select(Photo))).all()) == 1
    await page.screenshot(path=str(SHOTS / "tasks-my-day-after-phone.png"), full_page=True)
    await context.close()


async def test_a_refused_position_is_explained_and_the_check_in_still_works(browser, live_server, client, db):
    ids = await anna_with_tasks(db)
    context, page = await phone(browser, live_server)  # no geolocation permission: the browser refuses
    await sign_in(page, "anna@example.com", DEFAULT_PASSWORD)
    await page.goto(f"/tasks/{ids['visit']}/visit")
    async with page.expect_navigation():
        await page.click("form[action$='/check-in'] button")
    await expect(page.locator("text=без координат").first).to_be_visible()
    await page.screenshot(path=str(SHOTS / "tasks-visit-refused-phone.png"), full_page=True)
    visit = (await db.scalars(select(Visit))).one()
    assert visit.checked_in_at is not None and visit.in_lat is None
    await context.close()


async def test_a_note_sent_without_a_connection_is_kept_shown_as_not_sent_and_retried(browser, live_server, client, db):
    ids = await anna_with_tasks(db)
    context, page = await phone(browser, live_server)
    await sign_in(page, "anna@example.com", DEFAULT_PASSWORD)
    await page.goto(f"/tasks/{ids['visit']}/visit")
    await page.fill("#f-note", "Записано без связи")
    await context.set_offline(True)
    await page.click("form[action$='/note'] button")
    banner = page.locator("[data-outbox]")
    await expect(banner).to_be_visible()
    await expect(banner).to_contain_text("Не отправлено: 1")
    await page.screenshot(path=str(SHOTS / "tasks-visit-offline-phone.png"), full_page=True)
    assert (await db.scalars(select(Visit))).first() is None
    await context.set_offline(False)
    await page.evaluate("window.dispatchEvent(new Event('online'))")
    await expect(banner).to_be_hidden()
    db.expire_all()
    visit = (await db.scalars(select(Visit))).one()
    assert visit.note == "Записано без связи"
    await context.close()


async def test_a_head_creates_a_strategy_from_the_analysis_link_and_sees_its_page(page, db):
    from crm.features.sales.models import ErpClient

    head = await make_user(db, "head@example.com", ["head"], name="Олег Егоров")
    db.add_all(
        [
            ErpClient(id=1, name="ООО «Альфа»", name_key="ооо альфа"),
            ErpClient(id=2, name="АО «Бета»", name_key="ао бета"),
        ]
    )
    await db.commit()
    await sign_in(page, "head@example.com", DEFAULT_PASSWORD)
    await page.goto("/strategies/new?client_id=1&client_id=2")
    await expect(page.locator("#f-name")).to_have_value("Работа с клиентами: ООО «Альфа», АО «Бета»")
    await shot(page, "tasks-strategy-new")
    await page.fill("#f-cost", "50000")
    await page.fill("#f-first_title", "Позвонить директору «Альфы»")
    async with page.expect_navigation():
        await page.click("form.tk-form button.btn-primary")
    await expect(page.locator("h1")).to_have_text("Работа с клиентами: ООО «Альфа», АО «Бета»")
    await expect(page.locator("text=Позвонить директору «Альфы»")).to_be_visible()
    await shot(page, "tasks-strategy-page")
    task = (await db.scalars(select(Task))).one()
    assert task.assignee_id == head.id and task.strategy_id is not None


async def test_a_recurring_task_is_created_on_the_form_and_its_page_shows_the_thread(page, db):
    await make_user(db, "anna@example.com", ["manager"], name="Анна Петрова")
    await sign_in(page, "anna@example.com", DEFAULT_PASSWORD)
    await page.goto("/tasks/new")
    await page.fill("#f-title", "Еженедельный звонок")
    await page.fill("#f-due_at", "2027-03-01T10:30")
    await page.select_option("#f-rec_freq", "weekly")
    await page.check("input[name=rec_weekdays][value='0']")
    await shot(page, "tasks-form")
    async with page.expect_navigation():
        await page.click("form.tk-form button.btn-primary")
    await expect(page.locator("h1")).to_have_text("Еженедельный звонок")
    await page.fill("#f-text", "Первый звонок сделан")
    async with page.expect_navigation():
        await page.click("#thread button")
    await expect(page.locator(".tk-entries")).to_contain_text("Первый звонок сделан")
    await shot(page, "tasks-task-page")
    task = (await db.scalars(select(Task))).one()
    assert task.recurrence["weekdays"] == [0] and task.occurrence == 1
