"""Benchmark: the ERP sales import (spec: a 100,000-row XLSX under 15 s, a 1,000,000-row CSV under 60 s).

Generates the files (seeded: the same files every run) into a temporary folder, then times the real import code
(``imports.perform``, what the worker, the command line and the mailbox run) into a fresh database: rows read and
checked in Python, COPied into the staging table, then the set-based SQL (clients matched or created, lines
upserted, monthly revenue recomputed). "read + COPY" is the time until the last batch is copied; "SQL" the rest.

    .venv/bin/python bench/sales_import.py                     # 100,000-row XLSX, then 1,000,000-row CSV
    .venv/bin/python bench/sales_import.py --csv-rows 200000   # a quicker look
    .venv/bin/python bench/sales_import.py --xlsx-rows 0 --files /tmp/sales --trace   # the CSV only, files kept
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import common  # sets the CRM_* environment before anything from crm is imported

common.BENCH_DB = "crm_bench_sales"
common.PG_DSN = f"{common.PG_SERVER}/{common.BENCH_DB}"
os.environ["CRM_DATABASE_URL"] = (
    f"{common.PG_SERVER.replace('postgresql://', 'postgresql+asyncpg://')}/{common.BENCH_DB}"
)
os.environ.setdefault("CRM_SALES_IMPORT_MAX_MB", "500")

HEADER = ["Дата", "Номер документа", "Код клиента", "Клиент", "ИНН", "Товарная группа", "Товар", "Количество",
          "Сумма", "Менеджер"]  # fmt: skip
FAMILIES = ("Краски", "Лаки", "Грунтовки", "Инструмент")


def rows(count: int, clients: int, seed: int):
    """Invoice lines over 26 months: about 3 lines per invoice, ``clients`` clients, 40 salespeople."""
    rng = random.Random(seed)
    start = date(2024, 10, 1)
    n = 0
    invoice = 0
    while n < count:
        invoice += 1
        client = rng.randrange(1, clients + 1)
        day = start + timedelta(days=rng.randrange(790))
        for line in range(rng.randint(1, 5)):
            if n >= count:
                break
            amount = rng.randint(100, 5_000_000) / 100
            yield [
                day,
                f"РН-{invoice:08d}",
                f"K{client:06d}",
                f"ООО «Клиент {client}»",
                f"77{client:08d}",
                FAMILIES[(client + line) % 4],
                f"Товар {rng.randrange(500)}",
                rng.randint(1, 50),
                amount,
                f"Менеджер {client % 40}",
            ]
            n += 1


def write_csv(path: Path, count: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(";".join(HEADER) + "\r\n")
        for r in rows(count, 20_000, 1):
            amount = f"{r[8]:,.2f}".replace(",", "\u00a0").replace(".", ",")
            fh.write(f"{r[0]:%d.%m.%Y};{r[1]};{r[2]};{r[3]};{r[4]};{r[5]};{r[6]};{r[7]};{amount};{r[9]}\r\n")


def write_xlsx(path: Path, count: int) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(HEADER)
    for r in rows(count, 5_000, 2):
        sheet.append(r)
    book.save(path)


def generated(path: Path, count: int, write) -> Path:
    """The seeded file (the same every run), written unless a kept one is there."""
    if not path.exists():
        started = time.perf_counter()
        write(path, count)
        print(f"generated {path.name} in {time.perf_counter() - started:.1f} s")
    return path


async def add_salespeople() -> None:
    """Users named as the files' salespeople: their lines then carry a ``salesperson_id`` (a key checked per row
    and an entry in the salesperson index), as real files' lines do."""
    conn = await common.connect()
    try:
        await conn.execute(
            "INSERT INTO users (id, email, name, password_hash, is_active, must_change_password, session_epoch, "
            "created_at, updated_at) SELECT gen_random_uuid(), 'seller' || i || '@example.com', 'Менеджер ' || i, "
            "'-', true, false, 0, now(), now() FROM generate_series(0, 39) AS i"
        )
    finally:
        await conn.close()


def trace_statements() -> None:
    from crm.features.sales import pipeline

    plain = pipeline._exec

    async def timed(session, sql, **params):
        started = time.perf_counter()
        result = await plain(session, sql, **params)
        print(f"  {time.perf_counter() - started:6.2f} s  {' '.join(sql.split())[:110]}")
        return result

    pipeline._exec = timed


async def timed_import(path: Path) -> dict[str, float | int]:
    from crm.features.sales import imports
    from crm.lib.db import alchemy_config

    config = alchemy_config()
    content = await asyncio.to_thread(path.read_bytes)
    copied = [0.0]
    try:
        async with config.get_session() as session:
            item = await imports.create(session, source="cli", file_name=path.name, status="running")
            await session.commit()
            began = time.perf_counter()
            outcome = await imports.perform(
                session, item, content, lambda _n: copied.__setitem__(0, time.perf_counter())
            )
            await session.commit()
            total = time.perf_counter() - began
    finally:
        await config.get_engine().dispose()
    return {
        "rows": outcome.rows_read,
        "imported": outcome.imported,
        "updated": outcome.updated,
        "rejected": outcome.rejected,
        "read_copy": copied[0] - began,
        "sql": total - (copied[0] - began),
        "total": total,
        "mb": len(content) / 1024 / 1024,
    }


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--xlsx-rows", type=int, default=100_000)
    parser.add_argument("--csv-rows", type=int, default=1_000_000)
    parser.add_argument("--again", action="store_true", help="import each file a second time (nothing to write)")
    parser.add_argument("--trace", action="store_true", help="print the time of each SQL statement")
    parser.add_argument("--files", type=Path, help="keep the generated files in this folder and reuse them")
    parser.add_argument(
        "--salespeople-users", action="store_true", help="the files' 40 salespeople are users (as on crm_large)"
    )
    args = parser.parse_args()
    if args.trace:
        trace_statements()
    await common.reset_database()
    if args.salespeople_users:
        await add_salespeople()
    folder = args.files or Path(tempfile.mkdtemp(prefix="crm-bench-sales-"))
    folder.mkdir(parents=True, exist_ok=True)
    results = []
    if args.xlsx_rows:
        xlsx = generated(folder / f"sales-{args.xlsx_rows}.xlsx", args.xlsx_rows, write_xlsx)
        results.append(("XLSX", 15, await timed_import(xlsx)))
        if args.again:
            results.append(("XLSX again", 15, await timed_import(xlsx)))
    if args.csv_rows:
        csv_path = generated(folder / f"sales-{args.csv_rows}.csv", args.csv_rows, write_csv)
        results.append(("CSV", 60, await timed_import(csv_path)))
        if args.again:
            results.append(("CSV again", 60, await timed_import(csv_path)))
    print()
    print("| file | rows | size | imported | updated | read + COPY | SQL | total | target |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, target, r in results:
        print(
            f"| {name} | {r['rows']:,} | {r['mb']:.1f} MB | {r['imported']:,} | {r['updated']:,} | "
            f"{r['read_copy']:.1f} s | {r['sql']:.1f} s | **{r['total']:.1f} s** | < {target} s |"
        )
    return None


if __name__ == "__main__":
    asyncio.run(main())
    print()
    print(common.machine_summary())
