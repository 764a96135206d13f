"""An ERP file uploaded on the screen or through the API, read through declared forms (a File field): a valid upload
is kept as before; no file, an empty file or a long profile is refused naming the field (422), a file past the
limit 413, and nothing is kept."""

from __future__ import annotations

from sqlalchemy import func, select

from crm.features.sales.models import SalesImport
from tests.conftest import login, make_user, post_form
from tests.integration.test_sales_api import bearer
from tests.integration.test_sales_import import FILE

URL = "/api/v1/imports/sales"


async def _imports(db) -> int:
    return int(await db.scalar(select(func.count()).select_from(SalesImport)) or 0)


async def test_the_api_names_the_field_of_a_missing_or_empty_file_or_a_long_profile(client, db):
    await make_user(db, "admin@example.com", ["admin"])
    auth = await bearer(client, "admin@example.com")
    for data, files, field in (
        ({"profile": "x"}, None, "file"),
        ({}, {"file": ("", b"", "text/csv")}, "file"),  # a file input left empty
        ({}, {"file": ("erp.csv", b"")}, "file"),
        ({"file": "erp.csv"}, None, "file"),  # a text value is no file
        ({"profile": "P" * 121}, {"file": ("erp.csv", FILE)}, "profile"),
    ):
        answer = await client.post(URL, data=data, files=files, headers=auth)
        assert answer.status_code == 422, (data, files, answer.text)
        assert answer.json()["errors"][0]["field"] == field
    assert await _imports(db) == 0
    ok = await client.post(URL, data={"profile": "P" * 120}, files={"file": ("erp.csv", FILE)}, headers=auth)
    assert ok.status_code == 202 and ok.json()["status"] == "queued"
    assert (await db.scalar(select(SalesImport.profile))).upper() == "P" * 120  # kept (folded like every profile)


async def test_the_preview_asks_for_a_file_next_to_the_field_and_keeps_the_profile_typed(client, db):
    await make_user(db, "admin@example.com", ["admin"])
    await login(client, "admin@example.com")
    none = await post_form(client, "/imports/preview", {"profile": "Odd ERP"})
    assert none.status_code == 422 and 'id="e-file"' in none.text
    assert "Choose a CSV or XLSX file exported from the ERP." in none.text and 'value="Odd ERP"' in none.text
    assert await _imports(db) == 0
    good = await post_form(client, "/imports/preview", {"profile": ""}, files={"file": ("erp.csv", FILE)})
    assert good.status_code == 200 and await _imports(db) == 1
