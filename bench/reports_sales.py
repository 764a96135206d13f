"""Server time of the sales report (/reports/sales and /api/v1/reports/sales) on 1,000,000 deals, and
``crm report sales`` on a 1,000,000-row CSV with its PNG and PDF rendering times.

Uses the data set of ``reports_communications.py`` (reused when the database already holds it): 1,000,000 deals
over two years, 40 % of them won, for 200 managers; the won deals get UTM sources, sources, types and a contract
type (spread by a hash of the id) and the figures of the report (``sale_figures``) are built from them once.
Times, as the admin (every deal), a head and a manager, the screen and the API for the last whole month and for
the last twelve months; then writes a 1,000,000-row CSV of won deals and times the command to PNG, PDF and XLSX.
``--explain`` prints the plans of the report's statements for the admin's twelve months.

Spec targets: the screen and the API p95 ≤ 150 ms (aim 50 ms); the command on 1,000,000 rows under 30 s.

    CRM_BENCH_DB=crm_bench_sales_report .venv/bin/python bench/reports_sales.py [--requests 20] [--rows 1000000]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import random
import subprocess
import tempfile
import time
from collections.abc import Sequence
from contextlib import closing
from datetime import date, datetime, timedelta
from pathlib import Path

import common
import generate
import httpx
from common import Case
from reports_communications import generate_report_data, reuse_report_data
from users_list import Result, table, time_case

COMPANIES, DEALS = 100_000, 1_000_000


def _has(text: str):  # type: ignore[no-untyped-def]
    return lambda r: None if text in r.text else f"{text!r} not in the answer"


def _api_ok(response: httpx.Response) -> str | None:
    body = response.json()
    return None if body.get("total", {}).get("count", 0) > 0 else f"no won deals: {str(body)[:200]}"


def cases(today: date) -> tuple[Case, ...]:
    last = today.replace(day=1) - timedelta(days=1)
    first = last.replace(day=1)
    year_from = (first - timedelta(days=330)).replace(day=1)
    return (
        Case("screen: last month", "/reports/sales", {"period": "month", "date": first.isoformat()}, check=_has("<h1")),
        Case(
            "screen: twelve months",
            "/reports/sales",
            {"period": "custom", "from": year_from.isoformat(), "to": last.isoformat()},
            check=_has("<h1"),
        ),
        Case("API: last month", "/api/v1/reports/sales", {"from": first.isoformat(), "to": last.isoformat()}),
        Case("API: twelve months", "/api/v1/reports/sales", {"from": year_from.isoformat(), "to": last.isoformat()}),
    )


FILL_DEALS = """
UPDATE deals SET
  utm_source = (ARRAY['', '', '', 'yandex', 'google', 'vk', 'email'])[1 + abs(hashtext(id::text || 'u')) % 7],
  source_id = (ARRAY['CALL', 'WEB', 'EMAIL', 'PARTNER', '', 'ADVERTISING'])[1 + abs(hashtext(id::text || 's')) % 6],
  type_id = (ARRAY['SALE', 'COMPLEX', 'GOODS', 'SERVICE'])[1 + abs(hashtext(id::text || 't')) % 4],
  fields = jsonb_build_object(
    'contract_type', (ARRAY['Договор', 'Разовая', 'Абонемент', ''])[1 + abs(hashtext(id::text || 'c')) % 4])
WHERE semantic = 'S'"""
REFERENCES = """
INSERT INTO reference_values (entity_id, status_id, name, sort, active, synced_at) VALUES
  ('SOURCE', 'CALL', 'Звонок', 10, true, now()), ('SOURCE', 'WEB', 'Веб-сайт', 20, true, now()),
  ('SOURCE', 'EMAIL', 'Электронная почта', 30, true, now()), ('SOURCE', 'PARTNER', 'Партнёр', 40, true, now()),
  ('SOURCE', 'ADVERTISING', 'Реклама', 50, true, now()), ('DEAL_TYPE', 'SALE', 'Продажа', 10, true, now()),
  ('DEAL_TYPE', 'COMPLEX', 'Комплексная продажа', 20, true, now()),
  ('DEAL_TYPE', 'GOODS', 'Продажа товара', 30, true, now()),
  ('DEAL_TYPE', 'SERVICE', 'Сервисное обслуживание', 40, true, now())
ON CONFLICT DO NOTHING"""


async def prepare_figures() -> None:
    """Sources and types on the won deals (once), then the report's figures built from the deals when empty."""
    from crm.features.reports.sales_figures import REBUILD

    conn = await common.connect()
    try:
        if not await conn.fetchval("SELECT EXISTS (SELECT 1 FROM deals WHERE semantic = 'S' AND utm_source <> '')"):
            started = time.perf_counter()
            await conn.execute("ALTER TABLE deals DISABLE TRIGGER USER")
            await conn.execute(FILL_DEALS)
            await conn.execute("ALTER TABLE deals ENABLE TRIGGER USER")
            await conn.execute(REFERENCES)
            await conn.execute("DELETE FROM sale_figures")
            print(f"Sources and types given to the won deals in {time.perf_counter() - started:.1f} s")
        if not await conn.fetchval("SELECT EXISTS (SELECT 1 FROM sale_figures)"):
            started = time.perf_counter()
            await conn.execute("SET work_mem = '256MB'")
            for statement in REBUILD:
                await conn.execute(statement)
            count = await conn.fetchval("SELECT count(*) FROM sale_figures")
            print(f"Built {count:,} rows of sale_figures in {time.perf_counter() - started:.1f} s")
    finally:
        await conn.close()
    await common.analyze()


async def explain(today: date) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of the statements the report sends for the admin's twelve months."""
    from sqlalchemy import event
    from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

    from crm.features.reports.sales_data import sale_rows

    last = today.replace(day=1) - timedelta(days=1)
    year_from = (last.replace(day=1) - timedelta(days=330)).replace(day=1)
    engine = create_async_engine(common.BENCH_ENV["CRM_DATABASE_URL"])
    sent: list[tuple[str, object]] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _keep(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        sent.append((statement, parameters))

    async with AsyncSession(engine) as session:
        await sale_rows(session, None, year_from, last)
        conn = await session.connection()
        for statement, parameters in list(sent):
            if "sale_figures" not in statement or statement.lstrip().startswith("EXPLAIN"):
                continue
            plan = await conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)  # type: ignore[arg-type]
            print("\n".join(row[0] for row in plan), end="\n\n")
    await engine.dispose()


def write_csv(path: Path, rows: int, seed: int = 5) -> None:
    rng = random.Random(seed)
    managers = [f"Менеджер {i:03d}" for i in range(200)]
    sources = ["yandex", "google", "Сайт", "Звонок", "Выставка", ""]
    kinds = ["Договор", "Разовая", "Абонемент"]
    start = datetime(2025, 1, 1)
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["closed_at", "amount", "manager", "source", "type"])
        for _ in range(rows):
            at = start + timedelta(seconds=rng.randrange(0, 365 * 86400))
            amount = f"{rng.lognormvariate(11, 1.2):.2f}"
            out.writerow([at.isoformat(sep=" "), amount, rng.choice(managers), rng.choice(sources), rng.choice(kinds)])


def time_command(csv_path: Path, output: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [
            str(common.VENV_BIN / "crm"),
            "report",
            "sales",
            "--input",
            str(csv_path),
            "--output",
            str(output),
            "--from",
            "2025-01-01",
            "--to",
            "2025-12-31",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"crm report sales failed: {done.stderr[-2000:]}")
    return elapsed


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20, help="timed requests per case")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests per case first")
    parser.add_argument("--explain", action="store_true", help="print the plans of the admin's twelve months")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the command's CSV (0: skip it)")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    who = asyncio.run(reuse_report_data(COMPANIES, DEALS))
    if who is None:
        org = asyncio.run(generate.generate(users=2_000))
        who = asyncio.run(generate_report_data(COMPANIES, DEALS, seed=7))
        print(f"Generated {generate.summary(org)} + data in {time.perf_counter() - started:.1f} s")
    asyncio.run(prepare_figures())
    today = date.today()
    if args.explain:
        asyncio.run(explain(today))
    results: list[Result] = []
    with common.app_server() as server:
        for role, email in (("admin", common.ADMIN_EMAIL), ("head", who["head"]), ("manager", who["manager"])):
            with closing(common.sign_in(server.base_url, email)) as client:
                token = client.post("/api/v1/auth/token", json={"email": email, "password": common.PASSWORD})
                bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
                for case in cases(today):
                    headers = bearer if case.path.startswith("/api/") else {}
                    check = _api_ok if case.path.startswith("/api/") and role == "admin" else case.check
                    named = Case(f"{role}: {case.name}", case.path, case.params, headers, check)
                    result = time_case(client, named, args.requests, args.warmup, server.process.pid)
                    results.append(result)
                    print(f"  {named.name:34} p50 {result.p50:7.1f} ms  p95 {result.p95:7.1f} ms", flush=True)
    print(f"\nSales report, {DEALS:,} deals, {args.requests} sequential requests per case\n")
    print(table(results))
    if args.rows:
        with tempfile.TemporaryDirectory() as tmp:
            source = Path(tmp) / "deals.csv"
            made = time.perf_counter()
            write_csv(source, args.rows)
            print(
                f"\n`crm report sales` on a {args.rows:,}-row CSV ({source.stat().st_size / 2**20:.0f} MB, "
                f"written in {time.perf_counter() - made:.1f} s), the year 2025:\n"
            )
            print("| output | seconds | bytes |\n|---|---:|---:|")
            for suffix in ("png", "pdf", "xlsx"):
                output = Path(tmp) / f"report.{suffix}"
                seconds = time_command(source, output)
                print(f"| {suffix.upper()} | {seconds:.1f} | {output.stat().st_size:,} |", flush=True)
    print()
    print(common.machine_summary())


if __name__ == "__main__":
    main()
