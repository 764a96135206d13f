"""The telegram journal: the real tlg0 file, re-import, encodings, bad rows, filters, scope, CLI, upload."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import anyio.to_thread
from sqlalchemy import func, select

from crm.features.tariffs import journal
from crm.features.tariffs.models import JournalUpload, Telegram
from tests.conftest import drain_queue, login, make_user, post_form
from tests.integration.test_tariffs_calculator import FIXTURES, bearer

TLG0 = FIXTURES / "tlg0.cp1251.csv"


async def import_tlg0(db):
    summary = await journal.import_journal(db, TLG0.read_bytes())
    await db.commit()
    return summary


async def test_the_real_journal_imports_50_telegrams_and_a_reimport_changes_nothing(client, db):
    first = await import_tlg0(db)
    assert (first.rows, first.created, first.errors, first.encoding, first.delimiter) == (
        50,
        50,
        [],
        "cp1251",
        ";",
    )
    telegram = await db.scalar(select(Telegram).where(Telegram.un_name == "op0441e14.q"))
    assert telegram.inp_chan == "123002/02"
    assert telegram.fl_uved is True and telegram.categ == "ПУ"
    assert telegram.address.startswith("УВЕДОМЛЕНИЕ ТЕЛЕГРАФОМ 353460 ГЕЛЕНДЖИК")
    assert telegram.inp_gate_date.isoformat() == "2022-08-01T08:47:34+00:00"  # 11:47:34 in Moscow
    updated_at = telegram.updated_at
    second = await import_tlg0(db)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 50)
    await db.refresh(telegram)
    assert telegram.updated_at == updated_at
    assert await db.scalar(select(func.count()).select_from(Telegram)) == 50


async def test_utf8_with_commas_is_detected_and_bad_rows_are_reported_with_line_numbers(client, db):
    text = TLG0.read_bytes().decode("cp1251")
    lines = text.splitlines()
    import csv
    import io

    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    out = io.StringIO()
    writer = csv.writer(out, delimiter=",")
    for row in rows[:4]:
        writer.writerow(row)
    writer.writerow(["bad.q", "yesterday", "123002/02"] + [""] * 14)
    writer.writerow(["", "2022-08-01 10:00:00", "123002/02"] + [""] * 14)
    summary = await journal.import_journal(db, out.getvalue().encode("utf-8"))
    await db.commit()
    assert (summary.encoding, summary.delimiter, summary.created) == ("utf-8", ",", 3)
    assert [line for line, _message in summary.errors] == [5, 6]
    assert "inp_gate_date" in summary.errors[0][1]
    assert len(lines) == 51


async def test_the_journal_api_filters_by_day_channel_number_and_text(client, db):
    await import_tlg0(db)
    headers = await bearer(client, "admin@example.com", ["admin"])
    day = await client.get(
        "/api/v1/telegrams", params={"date_from": "2022-08-01", "date_to": "2022-08-01"}, headers=headers
    )
    assert day.status_code == 200
    assert day.json()["total"] == 7
    office = (await client.get("/api/v1/telegrams", params={"inp_chan": "623600"}, headers=headers)).json()
    assert office["total"] > 0 and all(r["inp_chan"].startswith("623600") for r in office["rows"])
    number = (
        await client.get("/api/v1/telegrams", params={"inp_chan": "123002/02", "inp_num": 16}, headers=headers)
    ).json()
    assert [r["un_name"] for r in number["rows"]] == ["op0441e14.q"]
    text = (await client.get("/api/v1/telegrams", params={"q": "геленджик"}, headers=headers)).json()
    assert [r["un_name"] for r in text["rows"]] == ["op0441e14.q"]
    bad = await client.get("/api/v1/telegrams", params={"date_from": "1 Aug"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "date_from"


async def test_a_telegraph_operator_sees_only_the_telegrams_of_their_office(client, db):
    await import_tlg0(db)
    headers = await bearer(client, "tgn@example.com", ["telegraph"], telegraph_prefix="623600")
    rows = (await client.get("/api/v1/telegrams", params={"page_size": 500}, headers=headers)).json()["rows"]
    assert rows and all(r["inp_chan"].startswith("623600") for r in rows)
    other = await client.get("/api/v1/telegrams/op0441e14.q", headers=headers)
    assert other.status_code == 404
    assert (await client.get("/api/v1/telegrams/op0441e7d.q", headers=headers)).status_code == 200
    assert (await client.delete("/api/v1/telegrams/op0441e7d.q", headers=headers)).status_code == 403


async def test_the_api_creates_changes_and_deletes_a_telegram(client, db):
    headers = await bearer(client, "admin@example.com", ["admin"])
    body = {
        "un_name": "new.q",
        "inp_gate_date": "2022-08-03T10:00:00+03:00",
        "inp_chan": "123002/02",
        "pp": "РОСТОВ-НА-ДОНУ 2/1 12 03/08 1000",
        "address": "СРОЧНАЯ МОСКВА",
    }
    created = await client.post("/api/v1/telegrams", json=body, headers=headers)
    assert created.status_code == 201, created.text
    assert (await client.post("/api/v1/telegrams", json=body, headers=headers)).status_code == 422
    patched = await client.patch("/api/v1/telegrams/new.q", json={"address": "МОСКВА"}, headers=headers)
    assert patched.json()["address"] == "МОСКВА"
    assert (await client.delete("/api/v1/telegrams/new.q", headers=headers)).status_code == 204
    assert (await client.get("/api/v1/telegrams/new.q", headers=headers)).status_code == 404


async def test_the_telegram_quote_api_detects_the_parameters_and_prices_at_the_telegrams_time(client, db):
    from tests.integration.test_tariffs_calculator import load_tariffs

    await load_tariffs(db)
    await import_tlg0(db)
    headers = await bearer(client, "tg@example.com", ["telegraph"], telegraph_prefix="123002")
    body = (await client.get("/api/v1/telegrams/op0441e14.q/quote", headers=headers)).json()
    assert body["detected"] == {
        "country": "Россия",
        "words": 92,
        "delivery": "ordinary",
        "notification": "ordinary",
        "blank": "none",
        "deliver_on_date": False,
        "paid_reply": False,
    }
    assert body["quote"]["total"] == "561.00"  # 43 + 92 × 4 + 150
    urgent = (await client.get("/api/v1/telegrams/os0441f82.q/quote", headers=headers)).json()
    assert (urgent["detected"]["delivery"], urgent["detected"]["blank"], urgent["detected"]["words"]) == (
        "urgent",
        "lux",
        132,
    )


async def _run(args, **kwargs):
    return await anyio.to_thread.run_sync(lambda: subprocess.run(args, **kwargs))


async def test_the_cli_imports_a_journal_and_reports_a_bad_file_clearly(client, db, tmp_path):
    crm = Path(sys.executable).with_name("crm")
    ok = await _run([str(crm), "telegrams", "import", str(TLG0)], capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert "50 rows" in ok.stdout and "50 new" in ok.stdout
    again = await _run([str(crm), "telegrams", "import", str(TLG0)], capture_output=True, text=True, timeout=120)
    assert "50 unchanged" in again.stdout
    broken = tmp_path / "broken.csv"
    broken.write_text("a;b;c\n1;2;3\n")
    bad = await _run([str(crm), "telegrams", "import", str(broken)], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1
    assert "un_name" in bad.stderr
    tariffs = await _run(
        [str(crm), "tariffs", "import", str(FIXTURES / "tariffs.django-fixture.json")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert tariffs.returncode == 0, tariffs.stderr
    assert "22 tariffs created" in tariffs.stdout


async def test_an_uploaded_journal_is_imported_by_the_worker_and_the_outcome_shown(client, db):
    await make_user(db, "admin@example.com", ["admin"])
    await login(client, "admin@example.com")
    response = await post_form(
        client,
        "/telegrams/import",
        {},
        files={"file": ("tlg0.csv", TLG0.read_bytes())},
        follow_redirects=False,
    )
    assert response.status_code == 303
    await drain_queue()
    upload = await db.scalar(select(JournalUpload))
    assert upload.status == "done"
    assert upload.summary["created"] == 50
    page = await client.get("/telegrams/import")
    assert "tlg0.csv" in page.text
    listing = await client.get("/telegrams", params={"date_from": "2022-08-01", "date_to": "2022-08-01"})
    assert listing.text.count('href="/telegrams/op') + listing.text.count('href="/telegrams/os') == 7
    card = await client.get("/telegrams/op0441e14.q")
    assert card.status_code == 200 and "ГЕЛЕНДЖИК" in card.text
    export = await client.get(
        "/telegrams", params={"date_from": "2022-08-01", "date_to": "2022-08-01", "format": "csv"}
    )
    assert export.text.count("\n") == 8


async def test_the_telegram_card_names_the_detected_kinds_in_words_not_codes(client, db):
    from tests.conftest import set_cookie
    from tests.integration.test_tariffs_calculator import load_tariffs

    await load_tariffs(db)
    await import_tlg0(db)
    await make_user(db, "tg@example.com", ["telegraph"], telegraph_prefix="123002")
    await login(client, "tg@example.com")
    english = await client.get("/telegrams/op0441e14.q")
    assert "Delivery: ordinary · Notification: ordinary notification · Blank: none" in english.text
    set_cookie(client, "crm_lang", "ru")
    russian = await client.get("/telegrams/op0441e14.q")
    assert "Доставка: обыкновенная · Уведомление: обыкновенное · Бланк: нет" in russian.text
    assert "tg-props" in russian.text  # the card's value column may wrap inside a phone's width
