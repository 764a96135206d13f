"""Tariff screens and files: the sheet for a date, its CSV/XLSX round trip, country tariffs, clients, send all."""

from __future__ import annotations

from sqlalchemy import delete, func, select

from crm.features.tariffs import tariff_files
from crm.features.tariffs.models import Country, CountryTariff, JournalUpload, RussianTariff, TelegramClient
from tests.conftest import drain_queue, login, make_user, post_form
from tests.integration.test_tariffs_calculator import TARIFFS, load_tariffs


async def _admin(client, db):
    await make_user(db, "admin@example.com", ["admin"])
    await login(client, "admin@example.com")


async def test_the_tariff_sheet_shows_the_tariffs_in_force_and_round_trips_as_csv_and_xlsx(client, db):
    await load_tariffs(db)
    await _admin(client, db)
    page = await client.get("/tariffs/sheet", params={"date": "2022-08-01"})
    assert page.status_code == 200
    assert "2021-06-01" in page.text and "Эстония" in page.text
    bad = await client.get("/tariffs/sheet", params={"date": "1 Aug"})
    assert bad.status_code == 422
    csv_file = (await client.get("/tariffs/sheet", params={"date": "2022-08-01", "format": "csv"})).content
    xlsx_file = (await client.get("/tariffs/sheet", params={"date": "2022-08-01", "format": "xlsx"})).content
    for content, name in ((csv_file, "sheet.csv"), (xlsx_file, "sheet.xlsx")):
        await db.execute(delete(CountryTariff))
        await db.execute(delete(RussianTariff))
        await db.commit()
        summary = await tariff_files.import_sheet(db, content, name)
        await db.commit()
        assert summary.errors == [], summary.errors
        assert summary.created == 15  # Russia and the 14 countries
        again = await tariff_files.import_sheet(db, content, name)
        assert (again.created, again.updated, again.unchanged) == (0, 0, 15)
        russian = await db.scalar(select(RussianTariff))
        assert (str(russian.delivery_ordinary), str(russian.word_urgent)) == ("43.0000", "5.7000")
    georgia = await db.scalar(select(Country).where(Country.name == "Грузия"))
    assert (georgia.allow_post, georgia.allow_lux) == (True, False)


async def test_a_country_tariff_that_overlaps_is_refused_and_a_good_one_added(client, db):
    await load_tariffs(db)
    await _admin(client, db)
    estonia = await db.scalar(select(Country.id).where(Country.name == "Эстония"))
    url = f"/tariffs/countries/{estonia}/tariffs"
    overlap = await post_form(
        client, url, {"valid_from": "2025-01-01", "valid_to": "2030-01-01", "word_ordinary": "1", "word_urgent": "2"}
    )
    assert overlap.status_code == 422
    assert 'value="2025-01-01"' in overlap.text  # what was typed is kept
    negative = await post_form(
        client, url, {"valid_from": "2030-01-01", "valid_to": "2031-01-01", "word_ordinary": "-1", "word_urgent": "2"}
    )
    assert negative.status_code == 422
    ok = await post_form(
        client,
        url,
        {"valid_from": "2028-12-02", "valid_to": "2031-01-01", "word_ordinary": "25,5", "word_urgent": "51"},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    count = await db.scalar(select(func.count()).select_from(CountryTariff).where(CountryTariff.country_id == estonia))
    assert count == 3
    page = await client.get(f"/tariffs/countries/{estonia}")
    assert "25,50" in page.text or "25.50" in page.text


async def test_tariffs_upload_on_the_screen_and_people_without_the_right_cannot_edit(client, db):
    await _admin(client, db)
    response = await post_form(client, "/tariffs/import", {}, files={"file": ("t.json", TARIFFS.read_bytes())})
    assert response.status_code == 200
    assert await db.scalar(select(func.count()).select_from(RussianTariff)) == 4
    listing = await client.get("/tariffs")
    assert "Армения" in listing.text
    await post_form(client, "/logout", {})
    await make_user(db, "tg@example.com", ["telegraph"], telegraph_prefix="123002")
    await login(client, "tg@example.com")
    assert (await client.get("/tariffs")).status_code == 200
    assert (await client.get("/tariffs/calculator", params={"date": "2022-01-01"})).status_code == 200
    assert (await client.get("/tariffs/russian/new")).status_code == 403
    assert (await post_form(client, "/tariffs/import", {}, files={"file": ("t.json", b"[]")})).status_code == 403


async def test_the_calculator_screen_names_the_bad_field(client, db):
    await load_tariffs(db)
    await _admin(client, db)
    ok = await client.get("/tariffs/calculator", params={"date": "2022-01-01", "words": "10", "blank": "lux"})
    assert ok.status_code == 200 and ("104,00" in ok.text or "104.00" in ok.text)
    bad = await client.get(
        "/tariffs/calculator",
        params={"date": "2022-01-01", "words": "-3"},
        headers={"HX-Request": "true", "HX-Target": "result"},
    )
    assert bad.status_code == 422
    assert "<html" not in bad.text and "alert-error" in bad.text


async def test_a_negative_word_count_shows_its_message_under_the_field_and_no_stale_figures(client, db):
    await load_tariffs(db)
    await _admin(client, db)
    page = await client.get("/tariffs/calculator", params={"date": "2022-01-01"})
    form = page.text[page.text.index('<form method="get" action="/tariffs/calculator"') :]
    form = form[: form.index(">")]
    assert "novalidate" in form  # the browser's own min check no longer stops the request silently
    htmx = {"HX-Request": "true", "HX-Target": "result"}
    bad = await client.get("/tariffs/calculator", params={"date": "2022-01-01", "words": "-3"}, headers=htmx)
    assert bad.status_code == 422
    assert "calc-total" not in bad.text  # no figures left on screen
    slot = bad.text[bad.text.index('id="e-words"') :]
    slot = slot[: slot.index("</p>")]
    assert 'hx-swap-oob="true"' in slot and "cannot be negative" in slot and "hidden" not in slot
    good = await client.get("/tariffs/calculator", params={"date": "2022-01-01", "words": "3"}, headers=htmx)
    assert good.status_code == 200 and "calc-total" in good.text
    cleared = good.text[good.text.index('id="e-words"') :]
    assert "hidden" in cleared[: cleared.index("</p>")]  # the message under the field goes away again
    whole = await client.get("/tariffs/calculator", params={"date": "2022-01-01", "words": "-3"})
    assert whole.status_code == 422 and "hx-swap-oob" not in whole.text
    under = whole.text[whole.text.index('id="e-words"') :]
    assert "cannot be negative" in under[: under.index("</p>")]


async def test_clients_are_validated_and_saved(client, db):
    await make_user(db, "bill-1@example.com", ["billing"])
    await login(client, "bill-1@example.com")
    bad = await post_form(
        client, "/telegram-clients/new", {"code": "00 1", "short_name": "", "inn": "12", "email": "nope"}
    )
    assert bad.status_code == 422
    for field in ("code", "short_name", "inn", "email"):
        assert f'id="e-{field}"' in bad.text
    ok = await post_form(
        client,
        "/telegram-clients/new",
        {"code": "00001", "short_name": "таможня", "inn": "6163012345", "email": "c@example.com"},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    clash = await post_form(client, "/telegram-clients/new", {"code": "00001", "short_name": "другой"})
    assert clash.status_code == 422
    listing = await client.get("/telegram-clients", params={"q": "тамож", "format": "csv"})
    assert "00001" in listing.text and listing.text.count("\n") == 2


async def _billed_month(client, db, manual=None):
    """Three telegrams of 2022-08-01 formed into a registry for clients 00001, 00002, 00101 and billed; ``manual``:
    amounts typed by hand on the first row. Ends signed in as the billing user; returns the client ids by code."""
    from tests.integration.test_tariffs_registry import _setup

    clients = await _setup(db)
    await login(client, "pok-2@example.com")
    from crm.features.tariffs.models import Registry, RegistryRecord, Telegram

    ids = (
        await db.scalars(select(Telegram.id).where(Telegram.un_name.in_(["op0441e14.q", "op0441e72.q", "op0441e75.q"])))
    ).all()
    await post_form(client, "/registries/day", {"date": "2022-08-01", "telegram": list(ids)})
    registry_id = await db.scalar(select(Registry.id))
    records = (await db.scalars(select(RegistryRecord.id).order_by(RegistryRecord.id))).all()
    codes = ["00001", "00002", "00101"]
    for index, (record_id, code) in enumerate(zip(records, codes, strict=True)):
        row = await db.get(RegistryRecord, record_id)
        await db.refresh(row)
        form = {
            "client_id": str(clients[code]),
            "category": row.category,
            "notification": row.notification,
            "blank": row.blank,
        }
        if manual and index == 0:
            form.update({"manual": "on", **manual})
        await post_form(
            client,
            f"/registries/{registry_id}/records/{record_id}",
            form,
            headers={"HX-Request": "true", "HX-Target": "records"},
        )
    await post_form(client, f"/registries/{registry_id}/confirm", {"signature": "Покровская"})
    await post_form(client, "/logout", {})
    await login(client, "bill-1@example.com")
    await post_form(client, f"/registries/{registry_id}/close", {})
    return clients


async def test_send_all_mails_every_client_with_an_address(client, db, mailbox):
    await _billed_month(client, db)
    await post_form(client, "/billing/detail/send-all", {"month": "2022-08"})
    await drain_queue()
    assert sorted(m["To"] for m in mailbox) == ["customs@example.com", "job@example.com"]  # 00002 has no address
    without = await db.scalar(select(TelegramClient).where(TelegramClient.code == "00002"))
    assert without.email == ""
    await post_form(client, "/billing/detail/send-all", {"month": "2022-08"})  # a second "send all"
    await drain_queue()
    assert len(mailbox) == 2  # clients already sent this month's sheet are skipped


async def test_a_journal_upload_that_is_not_a_journal_fails_with_the_reason_shown(client, db):
    await _admin(client, db)
    await post_form(client, "/telegrams/import", {}, files={"file": ("x.csv", b"a;b\n1;2\n")})
    await drain_queue()
    upload = await db.scalar(select(JournalUpload))
    assert upload.status == "failed" and "un_name" in upload.summary["error"]
    assert "un_name" in (await client.get("/telegrams/import")).text


async def test_allowed_kinds_of_a_country_are_edited_and_audited(client, db):
    from crm.features.accounts.models import AuditEntry

    await load_tariffs(db)
    await _admin(client, db)
    georgia = await db.scalar(select(Country).where(Country.name == "Грузия"))
    response = await post_form(
        client, f"/tariffs/countries/{georgia.id}", {"allow_post": "on", "allow_lux": "on"}, follow_redirects=False
    )
    assert response.status_code == 303
    await db.refresh(georgia)
    assert (georgia.allow_post, georgia.allow_lux, georgia.allow_box) == (True, True, False)
    entry = await db.scalar(
        select(AuditEntry).where(AuditEntry.entity == "telegram_country", AuditEntry.action == "update")
    )
    assert entry.changes == {"allow_lux": [False, True]}


async def test_a_detail_sending_job_run_twice_sends_once(client, db, mailbox):
    from crm.features.tariffs import mailing
    from crm.lib.db import alchemy_config
    from crm.workers.tariffs import tariffs_send_detail

    customer = TelegramClient(code="00001", short_name="таможня", email="c@example.com")
    db.add(customer)
    await db.commit()
    sending = await mailing.queue_sending(db, customer, __import__("datetime").date(2022, 8, 1), None)
    await db.commit()
    context = {"db": alchemy_config()}
    assert await tariffs_send_detail(context, sending_id=sending.id) == "sent"
    assert await tariffs_send_detail(context, sending_id=sending.id) == "sent"
    assert len(mailbox) == 1
    assert mailbox[0]["Subject"]


async def test_the_detail_csv_has_one_charset_and_hand_typed_amounts_use_the_russian_decimal_comma(client, db):
    from tests.conftest import set_cookie

    clients = await _billed_month(client, db, manual={"delivery_amount": "601.7"})
    url = f"/billing/detail/{clients['00001']}"
    csv_file = await client.get(url, params={"month": "2022-08", "format": "csv"})
    assert csv_file.status_code == 200
    assert csv_file.headers["content-type"] == "text/csv; charset=utf-8"
    assert "601,70" in csv_file.content.decode("utf-8-sig")
    set_cookie(client, "crm_lang", "ru")
    for page in (
        await client.get(url, params={"month": "2022-08"}),
        await client.get("/billing/detail", params={"month": "2022-08"}),
        await client.get("/billing", params={"month": "2022-08"}),
    ):
        assert page.status_code == 200
        assert "601.70" not in page.text
    assert "601,70" in (await client.get(url, params={"month": "2022-08"})).text


async def test_a_detail_sheet_is_sent_with_a_send_button_on_the_list_and_on_the_clients_sheet(client, db, mailbox):
    clients = await _billed_month(client, db)
    listing = await client.get("/billing/detail", params={"month": "2022-08"})
    row = listing.text[listing.text.index(f'action="/billing/detail/{clients["00001"]}/send"') :]
    row = row[: row.index("</form>")]
    assert "customs@example.com" in row  # the address stays in view
    assert f'id="send-{clients["00001"]}"' in row and "✉ Send</button>" in row
    sheet = await client.get(f"/billing/detail/{clients['00001']}", params={"month": "2022-08"})
    assert "✉ Send</button>" in sheet.text
    sent = await post_form(
        client,
        f"/billing/detail/{clients['00001']}/send",
        {"month": "2022-08", "back": "client"},
        follow_redirects=False,
    )
    assert sent.status_code == 303 and sent.headers["location"] == f"/billing/detail/{clients['00001']}?month=2022-08"
    await drain_queue()
    assert [m["To"] for m in mailbox] == ["customs@example.com"]
    again = await client.get(f"/billing/detail/{clients['00001']}", params={"month": "2022-08"})
    assert "✉ Send again</button>" in again.text and 'name="again" value="yes"' in again.text
    without = await client.get(f"/billing/detail/{clients['00002']}", params={"month": "2022-08"})
    assert "/send" not in without.text  # no address, nothing to send


async def test_the_month_of_registries_sorts_by_column_and_exports_what_it_shows(client, db):
    await _billed_month(client, db)
    await make_user(db, "pok-3@example.com", ["telegraph"], telegraph_prefix="123003", name="Александрова")
    from datetime import date

    from crm.features.accounts.models import User
    from crm.features.tariffs.models import Registry

    other = await db.scalar(select(User).where(User.email == "pok-3@example.com"))
    db.add(Registry(operator_id=other.id, day=date(2022, 8, 2), office="123003", status="formed"))
    await db.commit()
    by_day = await client.get("/billing", params={"month": "2022-08"})
    assert by_day.status_code == 200
    assert by_day.text.index("123002") < by_day.text.index("123003")
    assert 'href="/billing?month=2022-08&amp;sort=-day"' in by_day.text  # the day head now sorts the other way
    by_total = await client.get(
        "/billing",
        params={"month": "2022-08", "sort": "-total"},
        headers={"HX-Request": "true", "HX-Target": "list"},
    )
    assert "<html" not in by_total.text and by_total.text.index("123002") < by_total.text.index("123003")
    by_operator = await client.get("/billing", params={"month": "2022-08", "sort": "operator"})
    assert by_operator.text.index("Александрова") < by_operator.text.index("Покровская")
    csv_file = await client.get("/billing", params={"month": "2022-08", "sort": "operator", "format": "csv"})
    assert csv_file.headers["content-disposition"].endswith('registries-2022-08.csv"')
    lines = csv_file.content.decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 3 and "Александрова" in lines[1] and "Покровская" in lines[2]
    xlsx_file = await client.get("/billing", params={"month": "2022-08", "format": "xlsx"})
    assert xlsx_file.content[:2] == b"PK"


async def test_a_bad_month_or_date_in_the_url_is_answered_with_the_reason_not_silently_replaced(client, db):
    await make_user(db, "bill-1@example.com", ["billing"])
    await login(client, "bill-1@example.com")
    for url in ("/billing", "/billing/detail"):
        bad = await client.get(url, params={"month": "2026-13"})
        assert bad.status_code == 422, url
        assert 'id="month-problem"' in bad.text and "“2026-13” is not a month" in bad.text
        assert (await client.get(url, params={"month": "2026-11"})).status_code == 200
        assert (await client.get(url)).status_code == 200  # no month: the current one, nothing to complain about
    customer = TelegramClient(code="00001", short_name="таможня")
    db.add(customer)
    await db.commit()
    sheet = await client.get(f"/billing/detail/{customer.id}", params={"month": "nope", "format": "csv"})
    assert sheet.status_code == 422 and "“nope” is not a month" in sheet.text  # no file for a month nobody meant
