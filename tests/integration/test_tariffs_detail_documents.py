"""The detail sheet as a document a client receives: a PDF of several pages (headings on every page, page numbers,
the sender's requisites, month and client in the title, the totals at the top, the office's telegram numbers) and
an XLSX with a title row, column widths and money formats. The PDF's pages are rendered to PNG under
test-artifacts/detail-sheets/ (pdftoppm) for a person to look at."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from crm.features.tariffs.models import Registry, RegistryRecord, Telegram, TelegramClient
from tests.conftest import ARTIFACTS, login, make_user

SENDER = {
    "CRM_BILLING_SENDER_NAME": "ПАО «Ростелеком», Ростовский филиал, телеграф Ростов-на-Дону",
    "CRM_BILLING_SENDER_INN": "7707049388",
    "CRM_BILLING_SENDER_KPP": "616443001",
    "CRM_BILLING_SENDER_ADDRESS": "344002, г. Ростов-на-Дону, пр. Будённовский, д. 1",
    "CRM_BILLING_SENDER_BANK": "р/с 40702810000000000001 в ПАО Сбербанк, БИК 046015602",
    "CRM_BILLING_SENDER_PHONE": "+7 863 200-00-00",
    "CRM_BILLING_SENDER_EMAIL": "telegraph@example.com",
}
LONG_NAME = (
    "Федеральное государственное казённое учреждение «Южное таможенное управление Федеральной таможенной службы "
    "Российской Федерации по Ростовской области и Краснодарскому краю»"
)
ADDRESS = (
    "УВЕДОМЛЕНИЕ ТЕЛЕГРАФОМ СРОЧНОЕ 353460 ГЕЛЕНДЖИК КРАСНОДАРСКОГО КРАЯ УЛИЦА ТЕЛЬМАНА ДОМ 78 КОРПУС 2 "
    "КВАРТИРА 115 АЛЕКСЕЮ КОНСТАНТИНОВИЧУ ВЕРХОВСКОМУ-ЗАДУНАЙСКОМУ"
)
COUNT = 45


async def _month_of_many_telegrams(db) -> TelegramClient:
    """One closed registry a day in August 2022 holding COUNT telegrams of a client with a very long name."""
    customer = TelegramClient(
        code="00001", short_name="таможня", full_name=LONG_NAME, inn="6163012345", email="customs@example.com"
    )
    db.add(customer)
    operator = await make_user(db, "pok-2@example.com", ["telegraph"], telegraph_prefix="123002")
    registry = Registry(operator_id=operator.id, day=date(2022, 8, 1), office="123002", status="closed")
    db.add(registry)
    await db.flush()
    start = datetime(2022, 8, 1, 6, 0, tzinfo=UTC)
    for i in range(COUNT):
        telegram = Telegram(
            un_name=f"op0441x{i:02d}.q",
            inp_gate_date=start + timedelta(hours=11 * i),
            inp_chan="123002/02",
            inp_num=1000 + i,
            address=ADDRESS if i % 3 == 0 else f"МОСКВА {101000 + i} ИВАНОВУ",
        )
        db.add(telegram)
        await db.flush()
        words = 10 + i
        amounts = {
            "delivery_amount": Decimal("43.00"),
            "words_amount": Decimal("4.00") * words,
            "notification_amount": Decimal("150.00") if i % 3 == 0 else Decimal(0),
            "blank_amount": Decimal("21.00") if i % 5 == 0 else Decimal(0),
        }
        total = sum(amounts.values(), Decimal(0))
        db.add(
            RegistryRecord(
                registry_id=registry.id,
                telegram_id=telegram.id,
                client_id=customer.id,
                words=words,
                **amounts,
                total=total,
                vat=(total * Decimal("0.2")).quantize(Decimal("0.01")),
                total_with_vat=(total * Decimal("1.2")).quantize(Decimal("0.01")),
            )
        )
    await db.commit()
    return customer


def _expected_totals(count: int = COUNT) -> tuple[Decimal, Decimal]:
    total = Decimal(0)
    for i in range(count):
        total += Decimal("43.00") + Decimal("4.00") * (10 + i)
        total += Decimal("150.00") if i % 3 == 0 else Decimal(0)
        total += Decimal("21.00") if i % 5 == 0 else Decimal(0)
    return total, (total * Decimal("1.2")).quantize(Decimal("0.01"))


def _pages_text(pdf: bytes) -> list[str]:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout
    return text.decode("utf-8").split("\f")[:-1]


def _render(pdf: bytes, name: str) -> None:
    """Write the PDF and its pages as PNG for a person to look at (when pdftoppm is there)."""
    folder = ARTIFACTS / "detail-sheets"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.pdf").write_bytes(pdf)
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-r", "80", "-png", str(folder / f"{name}.pdf"), str(folder / name)], check=True)


async def test_the_pdf_is_a_document_of_several_pages_with_headings_page_numbers_requisites_and_totals_first(
    client, db, monkeypatch
):
    for key, value in SENDER.items():
        monkeypatch.setenv(key, value)
    customer = await _month_of_many_telegrams(db)
    await make_user(db, "bill-1@example.com", ["billing"])
    await login(client, "bill-1@example.com")
    response = await client.get(f"/billing/detail/{customer.id}", params={"month": "2022-08", "format": "pdf"})
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    _render(response.content, "detail-00001-2022-08-en")
    pages = _pages_text(response.content)
    assert len(pages) >= 3
    total, with_vat = _expected_totals()
    first = pages[0]
    assert "ПАО «Ростелеком»" in first and "INN 7707049388" in first and "KPP 616443001" in first
    assert "р/с 40702810000000000001" in first and "telegraph@example.com" in first
    assert "Detail of paid telegrams for August 2022" in first
    assert "Client: 00001 Федеральное" in first and "INN 6163012345" in first
    # the totals come before the first telegram
    assert first.index(f"{with_vat:,.2f}") < first.index("Destination")
    assert f"{total:,.2f}" in first
    for number, page in enumerate(pages, start=1):
        assert "Destination" in page and "Charge" in page and "With VAT" in page, f"headings missing on page {number}"
        assert f"Page {number} of {len(pages)}" in page
    everything = "\n".join(pages)
    for i in range(COUNT):
        assert str(1000 + i) in everything
    assert "op0441x" not in everything  # the journal's numbers, not internal names or ids
    assert "ВЕРХОВСКОМУ-ЗАДУНАЙСКОМУ" in everything  # a long address is wrapped, not cut
    assert "Total for the month" in pages[-1] and f"{with_vat:,.2f}" in pages[-1]


async def test_the_pdf_in_russian_without_requisites_configured_still_reads_well(client, db):
    from tests.conftest import set_cookie

    customer = await _month_of_many_telegrams(db)
    await make_user(db, "bill-1@example.com", ["billing"])
    await login(client, "bill-1@example.com")
    set_cookie(client, "crm_lang", "ru")
    response = await client.get(f"/billing/detail/{customer.id}", params={"month": "2022-08", "format": "pdf"})
    _render(response.content, "detail-00001-2022-08-ru")
    pages = _pages_text(response.content)
    assert "Детализация оплаченных телеграмм за август 2022" in pages[0]
    assert f"Страница 1 из {len(pages)}" in pages[0]
    sheet = await client.get(f"/billing/detail/{customer.id}", params={"month": "2022-08"})
    # A clerk is told whom to ask, in words; an administrator is told what to set.
    assert "CRM_BILLING_SENDER_NAME" not in sheet.text and "попросите администратора" in sheet.text
    await make_user(db, "admin-1@example.com", ["admin"])
    client.cookies.clear()
    await login(client, "admin-1@example.com")
    sheet = await client.get(f"/billing/detail/{customer.id}", params={"month": "2022-08"})
    assert "CRM_BILLING_SENDER_NAME" in sheet.text


async def test_the_xlsx_has_a_title_row_widths_money_formats_and_frozen_headings(client, db, monkeypatch):
    for key, value in SENDER.items():
        monkeypatch.setenv(key, value)
    customer = await _month_of_many_telegrams(db)
    await make_user(db, "bill-1@example.com", ["billing"])
    await login(client, "bill-1@example.com")
    response = await client.get(f"/billing/detail/{customer.id}", params={"month": "2022-08", "format": "xlsx"})
    (ARTIFACTS / "detail-sheets").mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "detail-sheets" / "detail-00001-2022-08.xlsx").write_bytes(response.content)
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet["A1"].value == "Detail of paid telegrams for August 2022" and sheet["A1"].font.b
    assert "A1:H1" in {str(r) for r in sheet.merged_cells.ranges}
    texts = [row[0] for row in sheet.iter_rows(min_col=1, max_col=1, values_only=True) if row[0]]
    assert any("ПАО «Ростелеком»" in str(t) for t in texts)
    assert any(str(t).startswith("Client: 00001 Федеральное") for t in texts)
    total, with_vat = _expected_totals()
    labels = {row[0]: row[1] for row in sheet.iter_rows(min_row=1, max_row=12, max_col=2, values_only=True)}
    assert labels["Total with VAT"] == pytest.approx(float(with_vat)) and labels["Telegrams"] == COUNT
    header = next(r for r in range(1, 20) if sheet.cell(r, 2).value == "Telegram No.")
    assert sheet.freeze_panes == f"A{header + 1}"
    assert sheet.cell(header, 1).font.b
    widths = {c: sheet.column_dimensions[c].width for c in "ABCDEFGH"}
    assert widths["C"] >= 50 and all(w >= 10 for w in widths.values())
    first = header + 1
    assert sheet.cell(first, 1).number_format == "DD.MM.YYYY HH:MM" and isinstance(sheet.cell(first, 1).value, datetime)
    assert sheet.cell(first, 2).value == "1000"
    assert sheet.cell(first, 6).number_format == "#,##0.00" and sheet.cell(first, 6).value == 43
    last = sheet.max_row
    assert sheet.cell(last, 4).value == "Total for the month" and sheet.cell(last, 4).font.b
    assert sheet.cell(last, 6).value == pytest.approx(float(total))
    assert sheet.cell(last, 8).number_format == "#,##0.00"
