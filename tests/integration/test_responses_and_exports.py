"""What leaves the server: nothing personal stays in a cache, CSV files open right in a Russian or an English
spreadsheet, and the CSRF cookie is pinned to the host behind HTTPS."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

from litestar.testing import AsyncTestClient

from crm.app import create_app
from crm.config import get_settings
from tests.conftest import login, make_user, set_cookie


async def test_pages_exports_and_api_answers_are_never_stored_but_static_files_are_cacheable(client, db):
    await make_user(db, "admin@example.com", ["admin"], name="Admin")
    await login(client, "admin@example.com")
    for url in ("/users", "/users?format=csv", "/users?format=xlsx", "/api/v1/users", "/login", "/no-such-page"):
        response = await client.get(url)
        assert response.headers.get("cache-control") == "no-store", url
    static = await client.get("/static/app.css")
    assert static.status_code == 200 and static.headers.get("cache-control") != "no-store"


async def test_a_csv_export_follows_the_spreadsheet_conventions_of_the_users_language(client, db):
    await make_user(db, "admin@example.com", ["admin"], name="Admin")
    await make_user(db, "comma@example.com", ["manager"], name='Petrov, Ivan; "Vanya"')
    await login(client, "admin@example.com")

    english = (await client.get("/users?format=csv&sort=email")).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(english), delimiter=","))
    assert [cell for row in rows for cell in row if "Petrov" in cell] == ['Petrov, Ivan; "Vanya"']
    assert len({len(row) for row in rows}) == 1  # the name stays in its column

    set_cookie(client, "crm_lang", "ru")
    russian = (await client.get("/users?format=csv&sort=email")).content.decode("utf-8-sig")
    assert russian.splitlines()[0].count(";") == len(rows[0]) - 1
    ru_rows = list(csv.reader(io.StringIO(russian), delimiter=";"))
    assert len({len(row) for row in ru_rows}) == 1
    assert [cell for row in ru_rows for cell in row if "Petrov" in cell] == ['Petrov, Ivan; "Vanya"']


async def test_behind_https_the_csrf_cookie_is_a_host_only_secure_cookie(database):
    app = create_app(replace(get_settings(), secure_cookies=True))
    async with AsyncTestClient(app, base_url="https://testserver.local") as secure_client:
        response = await secure_client.get("/login")
        cookie = next(v for k, v in response.headers.multi_items() if k == "set-cookie" and "csrf" in v)
        assert cookie.startswith("__Host-crm_csrf=")
        assert "Secure" in cookie and "Path=/" in cookie and "Domain" not in cookie


async def test_an_export_streams_every_row_of_the_filter_past_a_batch_with_no_cap(client, db):
    """More rows than one batch of the stream (2,000): every one is in the CSV and the XLSX, in the list's order."""
    from io import BytesIO

    from openpyxl import load_workbook
    from sqlalchemy import insert

    from crm.features.accounts.models import AuditEntry
    from crm.lib import exports

    await make_user(db, "admin@example.com", ["admin"], name="Admin")
    n = exports.BATCH + 1_500
    rows = [
        {"actor_email": "script", "entity": "calendar", "entity_id": f"{i:05d}", "action": "toggle"} for i in range(n)
    ]
    await db.execute(insert(AuditEntry), rows)
    await db.commit()
    await login(client, "admin@example.com")

    answer = await client.get("/audit?entity=calendar&format=csv")
    assert answer.status_code == 200 and "content-length" not in answer.headers  # streamed, chunk by chunk
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    lines = answer.content.decode("utf-8-sig").strip().split("\r\n")
    assert len(lines) == n + 1
    ids = [line.split(",")[3] for line in lines[1:]]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == n  # newest first, none twice

    xlsx = await client.get("/audit?entity=calendar&format=xlsx")
    assert xlsx.headers["content-type"] == exports.XLSX_MEDIA
    book = load_workbook(BytesIO(xlsx.content), read_only=True)
    assert sum(1 for _ in book.active.iter_rows()) == n + 1
