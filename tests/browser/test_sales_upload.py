"""Importing an ERP file in the browser at 1366 and 360 px: choose the file, check the first rows and the columns
(recognised headers chosen, an unknown one mapped by hand), import; the import's page follows the worker until it
is done; the client card and the mailbox settings fit the screen."""

from __future__ import annotations

import re

from playwright.async_api import expect
from sqlalchemy import select

from crm.features.sales.models import ErpClient
from tests.browser.conftest import shot, sign_in
from tests.conftest import DEFAULT_PASSWORD, make_user

pytestmark = __import__("pytest").mark.browser

FILE = "\r\n".join(
    [
        "Дата;Номер документа;Код клиента;Контрагент;ИНН;Товарная группа;Номенклатура;Количество;Итого;Менеджер",
        "05.11.2026;РН-1;C001;ООО «Ромашка»;7701000001;Краски;Эмаль белая ПФ-115, 2,7 кг;2;1 234,50;Мария Алексеева",
        "05.11.2026;РН-1;C001;ООО «Ромашка»;7701000001;Краски;Эмаль белая ПФ-115, 2,7 кг;1;100,00;Мария Алексеева",
        "31.02.2026;РН-2;C002;ООО «Лютик»;;Лаки;Лак;1;десять;",
        "2026-10-01;РН-3;;ИП Иванов;;Лаки;Лак яхтный;1;5\u00a0000,00;",
        "",
    ]
).encode("cp1251")


async def _fits(page, name):
    path = await shot(page, name)
    width = page.viewport_size["width"]
    assert await page.evaluate("document.documentElement.scrollWidth") <= width, f"{name} is wider than {width} px"
    return path


async def test_an_upload_is_previewed_mapped_imported_and_followed_until_done(page, db, client):
    if page.viewport_name == "desktop":
        await page.set_viewport_size({"width": 1366, "height": 860})
    await make_user(db, "sales-admin@example.com", ["admin"], name="Анна Соколова")
    await make_user(db, "maria@example.com", ["manager"], name="Мария Алексеева")
    await sign_in(page, "sales-admin@example.com", DEFAULT_PASSWORD)
    await page.goto("/")
    await page.locator("main a[href='/imports']").first.click()  # the home page's entry
    await expect(page).to_have_url(re.compile(r"/imports$"))
    await _fits(page, "sales-imports-empty")
    await page.set_input_files("#f-file", files=[{"name": "erp.csv", "mimeType": "text/csv", "buffer": FILE}])
    await page.click("form.sales-upload button.btn-primary")
    await expect(page.locator("h1")).to_have_text("Проверьте столбцы")
    await expect(page.locator("#f-map_date")).to_have_value("0")
    await expect(page.locator("#f-map_client_name")).to_have_value("3")
    await expect(page.locator("#f-map_amount")).to_have_value("-1")  # "Итого" is not a header the spec names
    await expect(page.locator(".sales-preview")).to_contain_text("ООО «Ромашка»")
    await _fits(page, "sales-preview")
    await page.click("form[action$='/start'] button.btn-primary")  # the amount is not chosen yet
    await expect(page.locator("#e-map_amount")).to_contain_text("Выберите столбец")
    await page.select_option("#f-map_amount", "8")
    await page.fill("#f-profile", "ERP склад")
    await page.click("form[action$='/start'] button.btn-primary")
    await expect(page).to_have_url(re.compile(r"/imports/\d+$"))
    await expect(page.locator("#status .badge-ok")).to_be_visible(timeout=60_000)  # the page followed the worker
    counts = page.locator(".sales-counts dd")
    await expect(counts).to_have_text(["4", "3", "0", "1"])
    await expect(page.locator("#status")).to_contain_text("дата «31.02.2026» не существует")
    await _fits(page, "sales-import-done")
    await page.goto("/imports")
    await expect(page.locator("#list")).to_contain_text("erp.csv")
    await _fits(page, "sales-imports")
    client_id = await db.scalar(select(ErpClient.id).where(ErpClient.code == "C001"))
    await page.goto(f"/sales/clients/{client_id}")
    await expect(page.locator("h1")).to_contain_text("ООО «Ромашка»")
    await expect(page.locator(".sales-facts")).to_contain_text("Мария Алексеева")
    await _fits(page, "sales-client-card")
    await page.click("text=Отметить как проверенного")
    await expect(page.locator(".sales-actions")).not_to_contain_text("Отметить как проверенного")
    await page.goto("/imports/mailbox")
    await _fits(page, "sales-mailbox")
