"""Server time of the companies list sorted by the last communication, at 100,000 companies and 1,000,000 deals.

The data set is that of ``reports_communications.py`` (``pages.py`` used it before it moved to ``crm_large``),
reused when ``crm_bench`` (or ``CRM_BENCH_DB``) holds it, generated otherwise. Before timing, the companies' own
copy of the last communication (``companies.last_communication_at``, kept by the figures code; the generator
writes ``company_figures`` by COPY) is brought level with the figures, and added first to a data set made before
that column existed. Times, as the admin and as a manager, the list sorted newest first and oldest first (never
contacted last in both), its HTMX partial, a deep page of that sort, and the default order for comparison.

    CRM_BENCH_DB=crm_bench_pages .venv/bin/python bench/companies_list.py [--requests 30] [--explain]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
from collections.abc import Sequence
from contextlib import closing

import common
import generate
import httpx
from common import Case
from reports_communications import generate_report_data, reuse_report_data
from users_list import HTMX_HEADERS, Result, table, time_case

COMPANIES, DEALS = 100_000, 1_000_000


def _company_rows(expected: int | None = 50, whole: bool = True):  # type: ignore[no-untyped-def]
    def check(response: httpx.Response) -> str | None:
        if whole and "<html" not in response.text:
            return "not a whole page"
        if not whole and not response.text.lstrip().startswith('<div id="list"'):
            return "not the #list block alone"
        rows = response.text.count('<td><a href="/companies/')
        if expected is not None and rows != expected:
            return f"{rows} rows instead of {expected}"
        return None if rows else "no rows"

    return check


async def prepare() -> None:
    """The column (for a data set made before it existed) and its values, as migration 0020 and the figures do."""
    conn = await common.connect()
    try:
        await conn.execute("ALTER TABLE companies ADD COLUMN IF NOT EXISTS last_communication_at timestamptz")
        await conn.execute(
            "UPDATE companies c SET last_communication_at = f.last_communication_at "
            "FROM companies c0 LEFT JOIN company_figures f ON f.company_id = c0.id "
            "WHERE c.id = c0.id AND c.last_communication_at IS DISTINCT FROM f.last_communication_at"
        )
    finally:
        await conn.close()


def admin_cases() -> tuple[Case, ...]:
    return (
        Case("companies: first page (by title)", "/companies", check=_company_rows()),
        Case("companies: sort=-last", "/companies", {"sort": "-last"}, check=_company_rows()),
        Case("companies: sort=last", "/companies", {"sort": "last"}, check=_company_rows()),
        Case(
            "companies: sort=-last partial p2",
            "/companies",
            {"sort": "-last", "page": "2"},
            headers=HTMX_HEADERS,
            check=_company_rows(whole=False),
            partial=True,
        ),
        Case("companies: sort=-last page=400", "/companies", {"sort": "-last", "page": "400"}, check=_company_rows()),
    )


def manager_cases() -> tuple[Case, ...]:
    return (Case("manager: companies sort=-last", "/companies", {"sort": "-last"}, check=_company_rows(None)),)


EXPLAINED = (
    (
        "sort=-last, first page",
        "SELECT id FROM companies WHERE active ORDER BY last_communication_at DESC NULLS LAST, id DESC LIMIT 50",
    ),
    (
        "sort=last, page 400",
        "SELECT id FROM companies WHERE active ORDER BY last_communication_at NULLS LAST, id LIMIT 50 OFFSET 19950",
    ),
)


async def explain() -> None:
    conn = await common.connect()
    try:
        for name, sql in EXPLAINED:
            plan = await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {sql}")
            print(f"\n-- {name}\n" + "\n".join(r[0] for r in plan))
    finally:
        await conn.close()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=30, help="timed requests per case")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests per case first")
    parser.add_argument("--explain", action="store_true", help="print the query plans of the sort")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    with contextlib.suppress(Exception):  # no data set yet: it is generated below, with the column
        asyncio.run(prepare())
    who = asyncio.run(reuse_report_data(COMPANIES, DEALS))
    if who is None:
        org = asyncio.run(generate.generate(users=2_000))
        who = asyncio.run(generate_report_data(COMPANIES, DEALS, seed=7))
        asyncio.run(prepare())
        asyncio.run(common.analyze())
        print(f"Generated {generate.summary(org)} + data in {time.perf_counter() - started:.1f} s")
    results: list[Result] = []
    with common.app_server() as server:
        for email, cases in ((common.ADMIN_EMAIL, admin_cases()), (who["manager"], manager_cases())):
            with closing(common.sign_in(server.base_url, email)) as client:
                for case in cases:
                    result = time_case(client, case, args.requests, args.warmup, server.process.pid)
                    results.append(result)
                    print(f"  {case.name:36} p50 {result.p50:7.1f} ms  p95 {result.p95:7.1f} ms", flush=True)
    print(f"\nCompanies list at {COMPANIES:,} companies, {DEALS:,} deals, {args.requests} sequential requests\n")
    print(table(results))
    if args.explain:
        asyncio.run(explain())
    print()
    print(common.machine_summary())


if __name__ == "__main__":
    main()
