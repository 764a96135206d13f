"""Journal uploads never stay "running": a NUL in a field is a row error, any failure of the job marks the upload
failed with its reason, stored row errors are capped, and the screen's poll is cheap and stops when done."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from crm.features.tariffs import journal
from crm.features.tariffs.models import JournalUpload, Telegram
from tests.conftest import drain_queue, login, make_user, post_form
from tests.integration.test_tariffs_journal import TLG0

HTMX = {"HX-Request": "true", "HX-Target": "uploads"}


def _tlg0_lines() -> list[str]:
    return TLG0.read_bytes().decode("cp1251").splitlines()


async def _admin(client, db):
    await make_user(db, "admin@example.com", ["admin"])
    await login(client, "admin@example.com")


async def _upload(client, name: str, content: bytes):
    response = await post_form(client, "/telegrams/import", {}, files={"file": (name, content)}, follow_redirects=False)
    assert response.status_code == 303
    await drain_queue()


async def test_a_nul_in_a_field_is_a_row_error_and_the_upload_finishes(client, db):
    lines = _tlg0_lines()
    lines[3] = lines[3].replace("ГЕЛЕНДЖИК", "ГЕЛЕН\x00ДЖИК") if "ГЕЛЕНДЖИК" in lines[3] else lines[3] + "\x00"
    await _admin(client, db)
    await _upload(client, "nul.csv", ("\r\n".join(lines) + "\r\n").encode("cp1251"))
    upload = await db.scalar(select(JournalUpload))
    assert upload.status == "done", upload.summary
    assert upload.summary["created"] == 49
    assert [e["line"] for e in upload.summary["errors"]] == [4]
    assert "NUL" in upload.summary["errors"][0]["message"]
    assert await db.scalar(select(func.count()).select_from(Telegram)) == 49


async def test_an_undecodable_byte_is_a_row_error_not_a_mangled_telegram(client, db):
    content = "\r\n".join(_tlg0_lines()).encode("cp1251")
    first_row_end = content.index(b"\r\n", content.index(b"\r\n") + 2)
    broken = content[:first_row_end] + b"\x98" + content[first_row_end:]  # 0x98 is no character in Windows-1251
    summary = await journal.import_journal(db, broken)
    assert (summary.created, [line for line, _m in summary.errors]) == (49, [2])
    assert "not text" in summary.errors[0][1]


async def test_any_failure_of_the_job_marks_the_upload_failed_with_a_readable_reason(client, db, monkeypatch):
    async def broken(*_args, **_kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(journal, "import_journal", broken)
    await _admin(client, db)
    await _upload(client, "tlg0.csv", TLG0.read_bytes())
    db.expire_all()
    upload = await db.scalar(select(JournalUpload))
    assert upload.status == "failed"
    assert "the disk is full" in upload.summary["error"]
    page = await client.get("/telegrams/import", headers=HTMX)
    assert "the disk is full" in page.text and "every 2s" not in page.text


async def test_thousands_of_bad_rows_store_the_first_200_and_a_count(client, db):
    header = _tlg0_lines()[0]
    bad = [f"bad{n}.q;yesterday;123002/02" + ";" * 14 for n in range(5000)]
    await _admin(client, db)
    await _upload(client, "bad.csv", ("\r\n".join([header, *bad]) + "\r\n").encode("utf-8"))
    upload = await db.scalar(select(JournalUpload))
    assert upload.status == "done"
    assert upload.summary["rejected"] == 5000
    assert len(upload.summary["errors"]) == journal.MAX_STORED_ERRORS == 200
    listing = await client.get("/telegrams/import", headers=HTMX)
    assert "5000 rejected" in listing.text
    assert "line 2:" not in listing.text  # the poll does not carry the stored errors
    detail = await client.get(f"/telegrams/import/{upload.id}")
    assert detail.status_code == 200
    assert "line 2:" in detail.text and "line 201:" in detail.text and "line 202:" not in detail.text
    assert "4800 more" in detail.text


async def test_the_poll_stops_once_nothing_is_pending_and_a_stuck_upload_is_shown_as_failed(client, db):
    await _admin(client, db)
    db.add(JournalUpload(filename="waiting.csv", content=b"x", status="queued"))
    await db.commit()
    pending = await client.get("/telegrams/import", headers=HTMX)
    assert "every 2s" in pending.text
    # a worker that died mid-import leaves "running": after the job's time limit it is shown as failed
    long_ago = datetime.now(UTC) - timedelta(hours=2)
    await db.execute(update(JournalUpload).values(status="running", updated_at=long_ago, created_at=long_ago))
    await db.commit()
    stuck = await client.get("/telegrams/import", headers=HTMX)
    assert "every 2s" not in stuck.text
    assert "did not finish" in stuck.text
