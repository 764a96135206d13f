"""`crm demo load` for the telegraph office: operators, clients, seed tariffs equal to the fixture, a journal."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from crm.demo import load_demo
from crm.features.tariffs import tariffs
from crm.features.tariffs.demo import generate_journal
from crm.features.tariffs.journal import JournalSummary, read_rows
from crm.features.tariffs.models import Country, RussianTariff, Telegram, TelegramClient
from crm.features.tariffs.pricing import QuoteInput


async def test_demo_load_creates_the_telegraph_office_and_a_second_run_adds_nothing(client, db):
    await load_demo(db)
    await db.commit()
    codes = sorted((await db.scalars(select(TelegramClient.code))).all())
    assert codes == ["00001", "00002", "00101"]
    assert await db.scalar(select(func.count()).select_from(RussianTariff)) == 3
    assert await db.scalar(select(func.count()).select_from(Country)) == 14
    telegrams = await db.scalar(select(func.count()).select_from(Telegram))
    assert telegrams == 7 * 60
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
