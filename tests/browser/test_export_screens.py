"""The page of a big export in a real browser (1366 px and 360 px): the progress while the worker writes the file,
then (the block polls itself) the download link, in Russian."""

from __future__ import annotations

import secrets

from playwright.async_api import expect

from crm.lib import export_jobs
from tests.browser.conftest import shot, sign_in
from tests.conftest import DEFAULT_PASSWORD, make_user

pytestmark = __import__("pytest").mark.browser


async def test_the_export_page_shows_progress_then_the_download(page, db):
    if page.viewport_name == "desktop":
        await page.set_viewport_size({"width": 1366, "height": 860})
    user = await make_user(db, "admin@example.com", ["admin"], name="Анна Админова")
    record = export_jobs.ExportRecord(
        id=secrets.token_urlsafe(16),
        user_id=str(user.id),
        source="crm.features.accounts.admin:users_source",
        query=[],
        sort="email",
        fmt="xlsx",
        locale="ru",
        name="users",
        total=120_000,
        done=48_000,
        status="running",
    )
    export_jobs.save(record)

    await sign_in(page, "admin@example.com", DEFAULT_PASSWORD)
    await page.goto(f"/exports/{record.id}")
    panel = page.locator("#export")
    await expect(panel).to_contain_text("Выгрузка готовится")
    await expect(panel.locator("progress")).to_have_attribute("value", "40")
    await shot(page, "export-progress")
    if page.viewport_name == "phone":
        assert await page.evaluate("document.documentElement.scrollWidth") <= 360

    export_jobs.file_path(record).write_bytes(b"PK")
    record.status, record.done = "done", 120_000
    export_jobs.save(record)
    link = panel.locator(f"a[href='/exports/{record.id}/file']")
    await expect(link).to_be_visible()  # the polling block swapped itself
    await expect(panel).to_contain_text("Скачать users.xlsx")
    await shot(page, "export-ready")
    export_jobs.file_path(record).unlink()
    (export_jobs.folder() / f"{record.id}.json").unlink()
