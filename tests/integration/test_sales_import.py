"""The ERP sales import end to end on PostgreSQL: clients matched by code, then INN, then name (new ones created
and flagged), invoice lines upserted by (invoice, product, line number within the invoice), the monthly revenue of
the touched months recomputed, rejected rows kept with reasons, a bad file leaving nothing behind, and the command
line's summary and exit code."""

from __future__ import annotations

import asyncio
import os
import sys
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select

from crm.features.sales import imports
from crm.features.sales.models import (
    ClientMonthSales,
    ErpClient,
    SalesImport,
    SalesImportFile,
    SalesImportReject,
    SalesLine,
)
from crm.features.sales.pipeline import rebuild_month_sales
from crm.features.sales.reading import FileRejected
from crm.lib.db import alchemy_config
from tests.conftest import make_user

HEADER = "Дата;Номер документа;Код клиента;Клиент;ИНН;Товарная группа;Товар;Количество;Сумма;Менеджер"
FILE = "\r\n".join(
    [
        HEADER,
        "05.11.2026;РН-1;C001;ООО «Ромашка»;7701000001;Краски;Эмаль белая;2;1 234,50;Мария Алексеева",
        "05.11.2026;РН-1;C001;ООО «Ромашка»;7701000001;Краски;Эмаль белая;1;100,00;Мария Алексеева",
        "31.02.2026;РН-2;C002;ООО «Лютик»;;Лаки;Лак;1;десять;manager@example.com",
        "2026-10-01;РН-3;;ИП  Иванов;;Лаки;Лак;1;5\u00a0000,00;",
        "",
    ]
).encode("cp1251")


async def run(db, content: bytes, name: str = "sales.csv", **kwargs) -> SalesImport:
    item = await imports.create(db, source="cli", file_name=name, status="running", **kwargs)
    await db.commit()
    item_id = item.id
    try:
        async with db.begin_nested():
            await imports.perform(db, item, content)
    except FileRejected as exc:
        await db.rollback()
        await imports.mark_failed(db, item_id, exc)
    await db.commit()
    return await db.get(SalesImport, item_id, populate_existing=True)


async def months(db) -> dict[tuple[str, str, str], Decimal]:
    rows = (
        await db.execute(
            select(ErpClient.name, ClientMonthSales.month, ClientMonthSales.family, ClientMonthSales.revenue).join(
                ErpClient, ErpClient.id == ClientMonthSales.client_id
            )
        )
    ).all()
    return {(r[0], r[1].isoformat(), r[2]): r[3] for r in rows}


async def test_a_file_is_imported_with_new_clients_flagged_line_numbers_per_invoice_and_monthly_revenue(client, db):
    maria = await make_user(db, "maria@example.com", ["manager"], name="Мария Алексеева")
    item = await run(db, FILE)
    assert (item.status, item.rows_read, item.imported, item.updated, item.rejected) == ("done", 4, 3, 0, 1)
    clients = {c.name: c for c in (await db.scalars(select(ErpClient))).all()}
    assert set(clients) == {"ООО «Ромашка»", "ИП Иванов"}
    assert all(c.is_new for c in clients.values())
    assert clients["ООО «Ромашка»"].responsible_id == maria.id and clients["ООО «Ромашка»"].inn == "7701000001"
    lines = (await db.scalars(select(SalesLine).order_by(SalesLine.invoice, SalesLine.line_no))).all()
    assert [(ln.invoice, ln.line_no, ln.amount) for ln in lines] == [
        ("РН-1", 1, Decimal("1234.50")),
        ("РН-1", 2, Decimal("100.00")),
        ("РН-3", 1, Decimal("5000.00")),
    ]
    assert lines[0].salesperson_id == maria.id and lines[2].salesperson_id is None
    assert await months(db) == {
        ("ООО «Ромашка»", "2026-11-01", "Краски"): Decimal("1334.50"),
        ("ИП Иванов", "2026-10-01", "Лаки"): Decimal("5000.00"),
    }
    reject = await db.scalar(select(SalesImportReject))
    assert (reject.row_no, reject.reason, reject.value) == (4, "date_invalid", "31.02.2026")
    assert reject.row[8] == "десять"


async def test_importing_the_same_file_again_updates_the_lines_and_never_duplicates_them(client, db):
    await run(db, FILE)
    again = await run(db, FILE)
    assert (again.imported, again.updated, again.rejected) == (0, 3, 1)
    assert await db.scalar(select(func.count()).select_from(SalesLine)) == 3
    assert await db.scalar(select(func.count()).select_from(ErpClient)) == 2
    changed = FILE.replace(b"100,00", b"300,00").replace(b"2026-10-01", b"2026-09-30")
    third = await run(db, changed)
    assert (third.imported, third.updated) == (0, 3)
    assert await months(db) == {
        ("ООО «Ромашка»", "2026-11-01", "Краски"): Decimal("1534.50"),
        ("ИП Иванов", "2026-09-01", "Лаки"): Decimal("5000.00"),  # the line left October: October is gone
    }
    incremental = await months(db)
    await rebuild_month_sales(db)
    await db.commit()
    assert await months(db) == incremental


async def test_clients_are_matched_by_code_then_inn_then_name(client, db):
    db.add_all(
        [
            ErpClient(code="K1", inn="", name="Первый", name_key="первый"),
            ErpClient(code="K2", inn="5000000002", name="Второй", name_key="второй"),
            ErpClient(code="", inn="", name="ООО  Третий", name_key="ооо третий"),
        ]
    )
    await db.commit()
    content = "\n".join(
        [
            "date;invoice;client_code;client_name;client_inn;amount",
            "2026-11-01;A;K1;Совсем другое имя;;10",  # by code, whatever the name
            "2026-11-01;B;UNKNOWN;Второй по ИНН;5000000002;20",  # unknown code, known INN
            "2026-11-01;C;;ооо третий;;30",  # by name: case and spaces ignored
            "2026-11-01;D;;Новый клиент;;40",
        ]
    ).encode()
    item = await run(db, content)
    assert (item.imported, item.rejected) == (4, 0)
    named = select(SalesLine.invoice, ErpClient.name).join(ErpClient, ErpClient.id == SalesLine.client_id)
    by_invoice = dict((await db.execute(named)).all())
    assert by_invoice == {"A": "Первый", "B": "Второй", "C": "ООО  Третий", "D": "Новый клиент"}
    assert [c.name for c in (await db.scalars(select(ErpClient).where(ErpClient.is_new))).all()] == ["Новый клиент"]


async def test_a_row_naming_only_the_inn_of_a_client_created_in_the_same_file_joins_it(client, db):
    content = "\n".join(
        ["date;invoice;client_code;client_name;client_inn;amount", "2026-11-01;A;N1;Новый;7800000001;10",
         "2026-11-02;B;;;7800000001;20"]
    ).encode()  # fmt: skip
    item = await run(db, content)
    assert item.imported == 2
    assert await db.scalar(select(func.count()).select_from(ErpClient)) == 1


async def test_a_file_that_cannot_be_read_fails_with_a_reason_and_leaves_nothing_behind(client, db):
    await run(db, FILE)
    before = await db.scalar(select(func.count()).select_from(SalesLine))
    header_only = await run(db, (HEADER + "\r\n").encode("cp1251"))
    assert header_only.status == "failed" and "no data rows" in header_only.error
    no_amount = await run(db, b"date;invoice;client_code\n2026-11-01;A;K\n")
    assert no_amount.status == "failed" and "amount" in no_amount.error_args["fields"]
    assert await db.scalar(select(func.count()).select_from(SalesLine)) == before


async def test_the_worker_marks_a_crashed_import_failed_and_rolls_everything_back(client, db, monkeypatch):
    from crm.features.sales import pipeline

    async def broken(*_args, **_kwargs):
        raise RuntimeError("the disk is full")

    item = await imports.create(db, source="upload", file_name="x.csv", content=FILE)
    await db.commit()
    monkeypatch.setattr(pipeline, "_apply", broken)
    assert await imports.run_queued(alchemy_config(), item.id) == "failed"
    await db.refresh(item)
    assert item.status == "failed" and "RuntimeError" in imports.error_text(item)
    assert await db.scalar(select(func.count()).select_from(SalesLine)) == 0
    assert await db.scalar(select(func.count()).select_from(SalesImportFile)) == 0
    assert await imports.run_queued(alchemy_config(), item.id) == "nothing to do"


async def test_rejected_rows_are_kept_up_to_a_thousand_and_the_rest_is_counted(client, db):
    bad = "\n".join(f"2026-11-01;R{i};C;Клиент;;{'десять' if i % 2 else i}" for i in range(2100))
    item = await run(db, ("date;invoice;client_code;client_name;client_inn;amount\n" + bad).encode())
    assert (item.imported, item.rejected) == (1050, 1050)
    assert await db.scalar(select(func.count()).select_from(SalesImportReject)) == 1000


async def _crm(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    crm = Path(sys.executable).with_name("crm")
    process = await asyncio.create_subprocess_exec(
        str(crm),
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )
    out, err = await process.communicate()
    return process.returncode or 0, out.decode(), err.decode()


async def test_the_command_line_prints_the_counts_and_exits_1_on_a_file_it_cannot_read(client, db, tmp_path):
    good = tmp_path / "sales.csv"
    good.write_bytes(FILE)
    code, out, _err = await _crm("imports", "sales", str(good))
    assert code == 0 and out.strip() == "read 4, imported 3, updated 0, rejected 1"
    code, out, _err = await _crm("imports", "sales", str(good))
    assert code == 0 and out.strip() == "read 4, imported 0, updated 3, rejected 1"
    binary = tmp_path / "photo.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00" * 100)
    code, out, err = await _crm("imports", "sales", str(binary))
    assert code == 1 and "binary" in err and out == ""
    code, _out, err = await _crm("imports", "sales", str(tmp_path / "missing.csv"))
    assert code == 1 and "cannot read" in err
    big = tmp_path / "big.csv"
    with big.open("wb") as handle:
        handle.truncate(3 * 1024 * 1024)
    code, _out, err = await _crm("imports", "sales", str(big), env={"CRM_SALES_IMPORT_MAX_MB": "2"})
    assert code == 1 and "larger than 2 MB" in err
    sources = (await db.scalars(select(SalesImport.status).where(SalesImport.source == "cli"))).all()
    assert sorted(sources) == ["done", "done", "failed"]  # the missing and the oversized file were never read


async def test_deleting_an_erp_client_deletes_its_lines_and_monthly_revenue_and_nothing_else(client, db):
    await run(db, FILE)
    gone = await db.scalar(select(ErpClient).where(ErpClient.name == "ИП Иванов"))
    await db.delete(gone)
    await db.commit()
    assert [ln.invoice for ln in (await db.scalars(select(SalesLine).order_by(SalesLine.id))).all()] == ["РН-1", "РН-1"]
    assert await months(db) == {("ООО «Ромашка»", "2026-11-01", "Краски"): Decimal("1334.50")}


async def test_an_import_fails_and_writes_nothing_when_a_client_it_matched_is_deleted_before_its_lines(
    client, db, monkeypatch
):
    from sqlalchemy import text

    from crm.features.sales import pipeline

    db.add(ErpClient(code="C001", inn="", name="Ромашка", name_key="ромашка"))
    await db.commit()
    matched = pipeline._match_clients

    async def then_deleted(session, outcome):
        await matched(session, outcome)
        await session.execute(text("DELETE FROM erp_clients WHERE code = 'C001'"))  # as if by someone else

    item = await imports.create(db, source="upload", file_name="x.csv", content=FILE)
    await db.commit()
    monkeypatch.setattr(pipeline, "_match_clients", then_deleted)
    assert await imports.run_queued(alchemy_config(), item.id) == "failed"
    await db.refresh(item)
    assert "RuntimeError" in imports.error_text(item)
    assert await db.scalar(select(func.count()).select_from(SalesLine)) == 0
    assert await db.scalar(select(ErpClient.code)) == "C001"
