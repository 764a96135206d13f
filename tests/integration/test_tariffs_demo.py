"""`crm demo load` for the telegraph office: operators, clients, seed tariffs equal to the fixture, a journal,
and registries of the previous and the current month (billed, formed, a draft) so billing has something to show."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import func, select, text

from crm.demo import load_demo
from crm.features.calendar import services as calendar
from crm.features.tariffs import registries, tariffs
from crm.features.tariffs.demo import generate_journal, registry_plan
from crm.features.tariffs.journal import JournalSummary, read_rows
from crm.features.tariffs.models import Country, Registry, RegistryRecord, RussianTariff, Telegram, TelegramClient
from crm.features.tariffs.pricing import QuoteInput
from crm.lib.i18n import local_today
from tests.conftest import login

DEMO_PASSWORD = "crm-demo-2026"


async def test_demo_load_creates_the_telegraph_office_and_a_second_run_adds_nothing(client, db):
    await load_demo(db)
    await db.commit()
    codes = sorted((await db.scalars(select(TelegramClient.code))).all())
    assert codes == ["00001", "00002", "00101"]
    assert await db.scalar(select(func.count()).select_from(RussianTariff)) == 3
    assert await db.scalar(select(func.count()).select_from(Country)) == 14
    telegrams = await db.scalar(select(func.count()).select_from(Telegram))
    # The last 7 days and the days of the demo registries, 60 telegrams a day.
    assert telegrams >= 7 * 60 and telegrams % 60 == 0
    book = await tariffs.load_book(db)
    when = tariffs.parse_instant("2022-01-01")
    assert str(book.quote(when, None, QuoteInput(words=10)).total) == "83.00"
    assert str(book.quote(tariffs.parse_instant("2022-09-30"), None, QuoteInput(words=0)).total) == "43.00"
    assert str(book.quote(tariffs.parse_instant("2022-10-01"), None, QuoteInput(words=0)).total) == "47.30"
    assert str(book.quote(when, "Армения", QuoteInput(words=1)).words) == "33.60"

    await load_demo(db)
    await db.commit()
    assert await db.scalar(select(func.count()).select_from(Telegram)) == telegrams
    assert await db.scalar(select(func.count()).select_from(TelegramClient)) == 3


def test_the_generated_journal_has_the_old_tools_format():
    content = generate_journal(date(2022, 8, 1), 2, 50)
    summary = JournalSummary()
    rows = list(read_rows(content, summary))
    assert (summary.encoding, summary.delimiter, len(rows), summary.errors) == ("cp1251", ";", 100, [])
    assert len({data["un_name"] for _line, data in rows}) == 100


def _previous_month(today: date) -> date:
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


async def _snapshot(db) -> tuple:
    """Everything the registries hold: a second load must leave it exactly as it was."""
    row = await db.execute(
        text(
            "SELECT (SELECT count(*) FROM telegrams), (SELECT count(*) FROM telegram_registries), "
            "(SELECT string_agg(day || ':' || status || ':' || signed_by, ',' ORDER BY id) FROM telegram_registries), "
            "(SELECT count(*) FROM telegram_registry_records), "
            "(SELECT sum(total_with_vat) FROM telegram_registry_records), "
            "(SELECT count(*) FROM telegram_registry_records WHERE client_id IS NULL), "
            "(SELECT count(*) FROM audit_log)"
        )
    )
    return tuple(row.one())


async def test_after_the_demo_load_billing_sees_billed_and_formed_registries_with_detail_sheets_to_download(client, db):
    await load_demo(db)
    await db.commit()
    month = _previous_month(local_today())
    await login(client, "billing@example.com", DEMO_PASSWORD)

    page = await client.get("/billing", params={"month": f"{month:%Y-%m}"})
    assert page.status_code == 200
    assert "closed" in page.text and "formed" in page.text and "draft" not in page.text.split('id="list"')[1]
    first, after = registries.month_bounds(month)
    in_month = (Registry.day >= first) & (Registry.day < after)
    statuses = (await db.scalars(select(Registry.status).where(in_month))).all()
    assert {"closed", "formed"} <= set(statuses) and "draft" not in statuses

    detail = await client.get("/billing/detail", params={"month": f"{month:%Y-%m}"})
    assert detail.status_code == 200 and "No billed registries" not in detail.text
    client_ids = [int(i) for i in re.findall(r'href="/billing/detail/(\d+)\?month=', detail.text)]
    assert len(client_ids) >= 2
    sheet = await client.get(f"/billing/detail/{client_ids[0]}", params={"month": f"{month:%Y-%m}"})
    assert sheet.status_code == 200 and "Total for the month" in sheet.text
    billed = (
        await db.execute(
            select(Telegram.un_name, Telegram.inp_num)
            .join(RegistryRecord, RegistryRecord.telegram_id == Telegram.id)
            .join(Registry, Registry.id == RegistryRecord.registry_id)
            .where(RegistryRecord.client_id == client_ids[0], Registry.status == "closed", in_month)
        )
    ).all()
    # telegrams by the journal's numbers, as the office and the client know them, not by internal names
    assert billed and not any(name in sheet.text for name, _number in billed)
    csv = await client.get(f"/billing/detail/{client_ids[0]}", params={"month": f"{month:%Y-%m}", "format": "csv"})
    assert csv.status_code == 200
    numbers = {row.split(";")[1] for row in csv.content.decode("utf-8-sig").splitlines()[1:]}
    assert {str(number) for _name, number in billed} <= numbers
    pdf = await client.get(f"/billing/detail/{client_ids[0]}", params={"month": f"{month:%Y-%m}", "format": "pdf"})
    assert pdf.content.startswith(b"%PDF") and len(pdf.content) > 2000
    xlsx = await client.get(f"/billing/detail/{client_ids[0]}", params={"month": f"{month:%Y-%m}", "format": "xlsx"})
    assert xlsx.content.startswith(b"PK") and len(xlsx.content) > 2000


async def test_the_demo_registries_are_kept_as_an_office_keeps_them_on_working_days(client, db):
    await load_demo(db)
    await db.commit()
    rows = (await db.execute(select(Registry).order_by(Registry.day))).scalars().all()
    assert rows and {r.office for r in rows} == {"123002", "623600"}
    for registry in rows:
        assert await calendar.is_working_day(db, registry.day), registry.day
        assert registry.day <= local_today()
    signed = [r for r in rows if r.status != "draft"]
    assert signed and all(r.signed_by and r.formed_at for r in signed)
    assert all(r.closed_at for r in signed if r.status == "closed")
    records = (
        await db.scalars(
            select(RegistryRecord)
            .join(Registry, Registry.id == RegistryRecord.registry_id)
            .where(Registry.status != "draft")
        )
    ).all()
    assert records and all(r.client_id is not None and not r.error for r in records)
    assert any(r.warnings for r in records), "a few rows carry warnings, as in real life"
    assert any(r.manual for r in records), "a few rows were priced by hand"
    assert len({r.client_id for r in records}) == 3


async def test_the_telegraph_operator_finds_a_draft_of_the_last_working_day_to_continue(client, db):
    await load_demo(db)
    await db.commit()
    today = local_today()
    last_working = (await calendar.working_days(db, today - timedelta(days=20), today))[-1]
    draft = await db.scalar(select(Registry).where(Registry.office == "123002", Registry.status == "draft"))
    assert draft is not None and draft.day == last_working
    waiting = await db.scalar(
        select(func.count()).where(RegistryRecord.registry_id == draft.id, RegistryRecord.client_id.is_(None))
    )
    assert waiting >= 1
    await login(client, "telegraph@example.com", DEMO_PASSWORD)
    page = await client.get(f"/registries/{draft.id}")
    assert page.status_code == 200 and "without a client" in page.text
    assert 'name="signature"' in page.text


async def test_a_second_demo_load_changes_no_registry_telegram_or_audit_record(client, db):
    await load_demo(db)
    await db.commit()
    before = await _snapshot(db)
    assert before[1] >= 6 and before[3] > 0
    await load_demo(db)
    await db.commit()
    assert await _snapshot(db) == before


async def test_the_registry_days_skip_weekends_and_holidays_and_never_repeat_the_draft_day(client, db):
    for today in (date(2026, 11, 22), date(2026, 8, 1), date(2027, 1, 11), date(2026, 6, 3)):
        plan = await registry_plan(db, today)
        days = [day for day, _status in plan]
        assert len(days) == len(set(days)) and days == sorted(days), today
        assert all([await calendar.is_working_day(db, day) for day in days]), today
        draft_day, status = plan[-1]
        assert (
            status == "draft" and draft_day == (await calendar.working_days(db, today - timedelta(days=20), today))[-1]
        )
        assert [s for _d, s in plan].count("draft") == 1
        previous = [s for d, s in plan if d < today.replace(day=1) and s != "draft"]
        assert previous[-1] == "formed" and set(previous[:-1]) == {"closed"}, today
    assert (await registry_plan(db, date(2026, 8, 1)))[-1][0] == date(2026, 7, 31)  # a Saturday the 1st
    assert not [d for d, _s in await registry_plan(db, date(2027, 1, 11)) if d.month == 1 and d.day < 11]
