"""The registry editor of issue 9 in a real browser at both widths: one client for ticked rows and a row's own
picker, removing a row and its Undo, rows as cards with nothing sideways on a phone, a read-only VAT."""

from __future__ import annotations

from playwright.async_api import expect

from tests.browser.conftest import shot, sign_in
from tests.browser.test_tariffs_workflow import _arrange
from tests.conftest import DEFAULT_PASSWORD

pytestmark = __import__("pytest").mark.browser


async def _no_sideways_scroll(page) -> None:
    overflow = await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px"


async def _settled(page) -> None:
    await expect(page.locator(".htmx-request, .htmx-swapping, .htmx-settling")).to_have_count(0)


async def test_an_operator_gives_clients_to_ticked_rows_removes_a_row_and_undoes_it(page, db):
    await _arrange(db)
    await sign_in(page, "pok-2@example.com", DEFAULT_PASSWORD)
    await page.goto("/registries/day?date=2022-08-01")
    await page.click("#add-telegrams")  # nothing ticked: no registry, the reason next to the list
    await expect(page.locator("#add-error")).to_be_visible()
    await shot(page, "registry-day-nothing-ticked")
    boxes = page.locator("input[name=telegram]")
    for i in range(4):
        await boxes.nth(i).check()
    await page.click("#add-telegrams")
    await page.wait_for_url("**/registries/*")
    rows = page.locator("#records tbody tr")
    await expect(rows).to_have_count(4)
    if page.viewport_name == "phone":
        await _no_sideways_scroll(page)
        box = await rows.first.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 360  # a card inside the screen
    await shot(page, "registry-cards")

    await page.click("#assign-clients")
    await expect(page.locator("#bulk-assign")).to_be_visible()
    picks = page.locator("#records tbody input[name=record]")
    await expect(picks).to_have_count(4)
    await picks.nth(0).check()
    await picks.nth(2).check()
    await page.fill("#bulk-client", "99999 никто")  # no such client: the reason, the ticks and the text kept
    async with page.expect_response(lambda r: r.url.split("?")[0].endswith("/assign")):
        await page.click("#bulk-assign-button")
    await _settled(page)
    await expect(page.locator("#bulk-error")).to_be_visible()
    await expect(page.locator("#records tbody input[name=record]:checked")).to_have_count(2)
    await page.fill("#bulk-client", "00001 таможня")
    async with page.expect_response(lambda r: r.url.split("?")[0].endswith("/assign")):
        await page.click("#bulk-assign-button")
    await _settled(page)
    await expect(page.locator("#bulk-error")).to_have_count(0)
    pickers = page.locator("#records tbody input[name=client]")
    await expect(pickers.nth(0)).to_have_value("00001 таможня")
    await expect(pickers.nth(1)).to_have_value("")
    await expect(pickers.nth(2)).to_have_value("00001 таможня")
    await expect(page.locator("#toasts .toast").last).to_contain_text("00001")

    async with page.expect_response(lambda r: r.url.split("?")[0].endswith("/client")):
        await pickers.nth(1).fill("00101 занятость")  # a row's own picker: saved when it changes
        await pickers.nth(1).press("Tab")
    await _settled(page)
    await expect(page.locator("#registry-summary")).to_contain_text("1")  # one row without a client left
    await expect(page.locator("#records tbody input[name=client]").nth(1)).to_have_value("00101 занятость")
    if page.viewport_name == "phone":
        await _no_sideways_scroll(page)
    await shot(page, "registry-assign-clients")

    await page.click("text=← Цены и виды")
    await expect(page.locator("#assign-clients")).to_be_visible()
    await expect(rows.nth(1)).to_contain_text("00101 занятость")
    async with page.expect_response(lambda r: r.url.split("?")[0].endswith("/edit")):
        await rows.nth(1).locator("a[href*='edit=']").click()
    async with page.expect_response(lambda r: "/records/" in r.url):
        await rows.nth(1).locator("input[name=manual]").check()
    await _settled(page)
    vat = rows.nth(1).locator("input[name=vat]")
    await expect(vat).to_have_attribute("readonly", "")
    total = rows.nth(1).locator("input[name=total]")
    vat_bg, total_bg = (
        await vat.evaluate("e => getComputedStyle(e).backgroundColor"),
        await total.evaluate("e => getComputedStyle(e).backgroundColor"),
    )
    assert vat_bg != total_bg  # the VAT does not look like a field to type in
    if page.viewport_name == "phone":
        await _no_sideways_scroll(page)
    await shot(page, "registry-manual-row")

    removed_name = await rows.nth(1).locator("a[href^='/telegrams/']").first.inner_text()
    async with page.expect_response(lambda r: r.url.split("?")[0].endswith("/delete")):
        await rows.nth(1).locator("button.btn-danger").click()
    await _settled(page)
    await expect(rows).to_have_count(3)
    undo = page.locator(".toast-undo button")
    await expect(undo).to_be_visible()
    await shot(page, "registry-removed-undo")
    async with page.expect_response(lambda r: r.url.split("?")[0].endswith("/restore")):
        await undo.click()
    await _settled(page)
    await expect(rows).to_have_count(4)
    await expect(page.locator(".toast-undo")).to_have_count(0)
    await expect(rows.nth(1)).to_contain_text(removed_name)
    await expect(rows.nth(1)).to_contain_text("00101 занятость")  # back as it was: its client and manual mark
    await expect(rows.nth(1).locator(".badge-warn")).to_have_count(1)
    await shot(page, "registry-undone")
