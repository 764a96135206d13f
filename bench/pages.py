"""Server time of the list pages and cards of the product at the spec's "large" company scale.

Uses the data set of ``reports_communications.py`` (100,000 companies with their figures, 1,000,000 deals, 2,000
users, 200 Bitrix24 employees), reused when ``crm_bench`` (or ``CRM_BENCH_DB``) already holds it, generated
otherwise. Times, as the admin (every company) and as a manager (own companies): the companies list (first page,
a title search, an INN prefix, sorts, a deep page, the HTMX partial, a filter), a company card, the employees
list and the client-communication report's first page. Prints one Markdown table (p50/p95 server time, app CPU
per request, HTML and gzip bytes) and the machine.

Spec targets: any list or report page p95 ≤ 150 ms (our aim 50 ms); a 50-row table partial < 40 KB.

    CRM_BENCH_DB=crm_bench_pages .venv/bin/python bench/pages.py [--requests 30] [--only companies] [--explain]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Sequence
from contextlib import closing

import common
import generate
import httpx
from common import Case
from reports_communications import REGIONS, generate_report_data, reuse_report_data
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


def _has(text: str):  # type: ignore[no-untyped-def]
    return lambda r: None if text in r.text else f"{text!r} not in the answer"


def admin_cases() -> tuple[Case, ...]:
    return (
        Case("companies: first page", "/companies", check=_company_rows()),
        Case(
            "companies: partial page 2",
            "/companies",
            {"page": "2"},
            headers=HTMX_HEADERS,
            check=_company_rows(whole=False),
            partial=True,
        ),
        Case("companies: q=сталь", "/companies", {"q": "сталь"}, check=_company_rows()),
        Case("companies: q=rare (few rows)", "/companies", {"q": "ГранитАгро 74"}, check=_company_rows(None)),
        Case("companies: inn=77", "/companies", {"inn": "77"}, check=_company_rows()),
        Case("companies: sort=-last", "/companies", {"sort": "-last"}, check=_company_rows()),
        Case("companies: sort=responsible", "/companies", {"sort": "responsible"}, check=_company_rows()),
        Case("companies: region filter", "/companies", {"region": REGIONS[3]}, check=_company_rows()),
        Case("companies: page=400", "/companies", {"page": "400"}, check=_company_rows()),
        Case("company card", "/companies/1551", check=_has("<h1")),
        Case("employees", "/employees", check=_has("<h1")),
        Case("communications report", "/reports/communications", check=_has("<h1")),
    )


def manager_cases() -> tuple[Case, ...]:
    return (
        Case("manager: companies", "/companies", check=_company_rows(None)),
        Case("manager: communications", "/reports/communications", check=_has("<html")),
    )


async def explain(sql_cases: Sequence[tuple[str, str]]) -> None:
    conn = await common.connect()
    try:
        for name, sql in sql_cases:
            plan = await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {sql}")
            print(f"\n-- {name}\n" + "\n".join(r[0] for r in plan))
    finally:
        await conn.close()


EXPLAINED = (
    (
        "companies: q=сталь (count)",
        "SELECT count(*) FROM companies WHERE title ILIKE '%сталь%' AND active",
    ),
    (
        "companies: page=400 by title",
        "SELECT id FROM companies WHERE active ORDER BY title, id LIMIT 50 OFFSET 19950",
    ),
)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=30, help="timed requests per case")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests per case first")
    parser.add_argument("--only", default="", help="time only the cases whose name contains this text")
    parser.add_argument("--explain", action="store_true", help="print the query plans of the slow cases too")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    who = asyncio.run(reuse_report_data(COMPANIES, DEALS))
    if who is None:
        org = asyncio.run(generate.generate(users=2_000))
        who = asyncio.run(generate_report_data(COMPANIES, DEALS, seed=7))
        print(f"Generated {generate.summary(org)} + data in {time.perf_counter() - started:.1f} s")
    results: list[Result] = []
    with common.app_server() as server:
        for email, cases in ((common.ADMIN_EMAIL, admin_cases()), (who["manager"], manager_cases())):
            with closing(common.sign_in(server.base_url, email)) as client:
                for case in cases:
                    if args.only and args.only not in case.name:
                        continue
                    result = time_case(client, case, args.requests, args.warmup, server.process.pid)
                    results.append(result)
                    print(f"  {case.name:34} p50 {result.p50:7.1f} ms  p95 {result.p95:7.1f} ms", flush=True)
    print(f"\nPages at {COMPANIES:,} companies, {DEALS:,} deals, {args.requests} sequential requests per case\n")
    print(table(results))
    if args.explain:
        asyncio.run(explain(EXPLAINED))
    print()
    print(common.machine_summary())


if __name__ == "__main__":
    main()
