"""A big export (more rows than CRM_EXPORT_JOB_ROWS, lowered here to 3) runs in the real worker: the click on
"CSV"/"XLSX" leads to a page that polls its progress, then offers the file; the bell says it is ready until it is
downloaded; nobody else can see or fetch it; a small export still streams at once."""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterator

import pytest
from openpyxl import load_workbook

from crm.config import get_settings
from crm.lib import export_jobs
from tests.conftest import drain_queue, login, make_user


@pytest.fixture
def small_threshold(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("CRM_EXPORT_JOB_ROWS", "3")
    get_settings.cache_clear()
    assert get_settings().export_job_rows == 3
    started = time.time()
    yield
    monkeypatch.delenv("CRM_EXPORT_JOB_ROWS")
    get_settings.cache_clear()
    for path in export_jobs.folder().glob("*.json"):  # this test's exports, not the machine's
        record = export_jobs.load(path.stem)
        if record is not None and record.created >= started:
            export_jobs.file_path(record).unlink(missing_ok=True)
            path.unlink()


async def _users(db) -> None:
    await make_user(db, "admin@example.com", ["admin"], name="Admin", locale="en")
    for n in range(4):
        await make_user(db, f"user{n}@example.com", ["manager"], name=f"User {n}")


async def test_a_big_export_is_prepared_by_the_worker_for_its_owner_only(client, db, small_threshold):
    await _users(db)
    await login(client, "admin@example.com")

    asked = await client.get("/users?format=csv&sort=-email&q=example", follow_redirects=False)
    assert asked.status_code == 303
    page_url = asked.headers["location"]
    export_id = re.fullmatch(r"/exports/([\w-]+)", page_url).group(1)
    record = export_jobs.load(export_id)
    assert record is not None and (record.total, record.status, record.fmt) == (5, "queued", "csv")

    waiting = await client.get(page_url)
    assert waiting.status_code == 200 and 'hx-trigger="every 2s"' in waiting.text
    assert "Your export is being prepared" in waiting.text and "<progress" in waiting.text
    assert (await client.get(f"{page_url}/file")).status_code == 404  # not ready yet

    await drain_queue()

    done = await client.get(page_url, headers={"HX-Request": "true", "HX-Target": "export"})
    assert done.status_code == 200 and "every 2s" not in done.text and "<html" not in done.text  # the block only
    assert f'href="{page_url}/file"' in done.text
    alerts = (await client.get("/alerts")).text
    assert f'href="{page_url}"' in alerts and "Your export users.csv is ready to download." in alerts

    got = await client.get(f"{page_url}/file")
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    assert 'filename="users.csv"' in got.headers["content-disposition"]
    lines = got.content.decode("utf-8-sig").splitlines()
    emails = [line.split(",")[0] for line in lines[1:]]
    assert emails == sorted(emails, reverse=True) and len(emails) == 5  # the list's filter and sort, every row
    assert f'href="{page_url}"' not in (await client.get("/alerts")).text  # downloaded: the bell is quiet again

    await login(client, "user1@example.com")
    assert (await client.get(page_url)).status_code == 404
    assert (await client.get(f"{page_url}/file")).status_code == 404


async def test_a_big_xlsx_export_and_a_small_one_that_streams(client, db, small_threshold):
    await _users(db)
    await login(client, "admin@example.com")
    asked = await client.get("/users?format=xlsx", follow_redirects=False)
    assert asked.status_code == 303
    await drain_queue()
    got = await client.get(asked.headers["location"] + "/file")
    sheet = load_workbook(io.BytesIO(got.content)).active
    assert sheet.max_row == 6  # a header and five users

    small = await client.get("/users?format=csv&q=user1", follow_redirects=False)
    assert small.status_code == 200 and "user1@example.com" in small.text  # under the threshold: at once


def test_old_exports_are_purged():
    record = export_jobs.ExportRecord(
        id="old-export-0000",
        user_id="x",
        source="m:f",
        query=[],
        sort="",
        fmt="csv",
        locale="en",
        name="n",
        total=1,
        created=0.0,
    )
    export_jobs.save(record)
    export_jobs.file_path(record).write_text("a")
    assert export_jobs.purge() >= 1
    assert export_jobs.load("old-export-0000") is None and not export_jobs.file_path(record).exists()
