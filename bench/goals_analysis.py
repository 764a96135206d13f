"""Server time of the sales analysis at the spec's scale: the client table and the dashboard of a month.

Generates the organisation (departments, users), then 20,000 ERP clients (each with a responsible manager) and
1,000,000 sales lines over 24 months (6 product families, 4 % credit notes) straight into the tables with
generate_series, the monthly aggregate ``client_month_sales`` from them (as the import maintains it). Then
times, through the running app over HTTP, the client table (page, API, sorts and filters), the dashboard and
the summary API as the admin (every client), a head and a manager; the first request of a month builds the
cached figures (reported apart as "cold"), the rest read them.

Spec targets: p95 ≤ 150 ms (aim ≤ 50 ms).

    .venv/bin/python bench/goals_analysis.py [--clients 20000] [--lines 1000000] [--requests 30] [--reuse]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Sequence
from contextlib import closing
from datetime import date

import common
import generate
import httpx
from common import Case
from users_list import table, time_case

FAMILIES = ["Краски", "Лаки", "Грунтовки", "Инструмент", "Клеи", "Герметики"]


async def generate_sales(org: generate.Organisation, clients: int, lines: int, last_month: date) -> None:
    managers = org.users_with_role("manager")[:200]
    conn = await common.connect()
    first = date(last_month.year - 2, last_month.month, 1)
    try:
        async with conn.transaction():
            await conn.execute(
                """INSERT INTO erp_clients (id, code, inn, name, name_key, is_new, responsible_id,
                       created_at, updated_at)
                SELECT g, 'C' || lpad(g::text, 6, '0'), (7700000000 + g)::text, 'Клиент ' || g, 'клиент ' || g,
                       false, ($1::uuid[])[1 + (g % array_length($1::uuid[], 1))], now(), now()
                FROM generate_series(1, $2) AS g""",
                managers,
                clients,
            )
            # Clients buy with different weights (a long tail), on days spread over 24 months.
            await conn.execute(
                """INSERT INTO sales_lines (id, day, invoice, product, line_no, client_id, family, quantity, amount,
                       salesperson, created_at, updated_at)
                SELECT g, $1::date + (random() * ($2::date - $1::date))::int, 'INV' || g, 'P' || (g % 500), 1,
                       1 + floor(power(random(), 2) * $3)::int, ($4::text[])[1 + (g % 6)], 1,
                       CASE WHEN random() < 0.04 THEN -round((random() * 5000)::numeric, 2)
                            ELSE round((100 + random() * 20000)::numeric, 2) END,
                       '', now(), now()
                FROM generate_series(1, $5) AS g""",
                first,
                date(last_month.year + (last_month.month == 12), last_month.month % 12 + 1, 1),
                clients,
                FAMILIES,
                lines,
            )
            await conn.execute(
                """INSERT INTO client_month_sales (client_id, month, family, revenue, lines)
                SELECT client_id, date_trunc('month', day)::date, family, sum(amount), count(*)
                FROM sales_lines GROUP BY 1, 2, 3"""
            )
            await conn.execute("SELECT setval('erp_clients_id_seq', $1)", clients)
            await conn.execute("SELECT setval('sales_lines_id_seq', $1)", lines)
    finally:
        await conn.close()
    await common.analyze()


async def people() -> tuple[str, str]:
    """A head whose department has managers with clients, and one of those managers."""
    conn = await common.connect()
    try:
        row = await conn.fetchrow(
            """SELECT h.email AS head, m.email AS manager FROM users m
            JOIN user_roles mr ON mr.user_id = m.id JOIN roles r ON r.id = mr.role_id AND r.name = 'manager'
            JOIN erp_clients c ON c.responsible_id = m.id
            JOIN users h ON h.department_id = m.department_id AND h.id <> m.id AND h.is_active
            JOIN user_roles hr ON hr.user_id = h.id JOIN roles hx ON hx.id = hr.role_id AND hx.name = 'head'
            WHERE m.is_active LIMIT 1"""
        )
        return row["head"], row["manager"]
    finally:
        await conn.close()


def _ok(response: httpx.Response) -> str | None:
    return None if response.status_code == 200 else f"status {response.status_code}"


def _table(response: httpx.Response) -> str | None:
    return None if 'class="table analysis-table"' in response.text else "no client table"


def cases(who: str, month: str, year: str) -> list[Case]:
    t = "/analysis/clients"
    return [
        Case(f"{who}: table, first page", t, {"variable": "revenue", "month": month}, check=_table),
        Case(f"{who}: table sort=-i3,name", t, {"month": month, "sort": "-i3", "sort2": "name"}, check=_table),
        Case(f"{who}: table abc=A & i1<0", t, {"month": month, "f1": "abc:eq:A", "f2": "i1:lt:0"}, check=_table),
        Case(f"{who}: table non-retained", t, {"variable": "non_retained_clients", "month": month}, check=_table),
        Case(f"{who}: API clients", "/api/v1/analysis/clients", {"month": month, "page_size": "50"}, check=_ok),
        Case(f"{who}: dashboard revenue", "/analysis", {"variable": "revenue", "year": year}, check=_ok),
        Case(
            f"{who}: dashboard non-retained",
            "/analysis",
            {"variable": "non_retained_clients", "year": year, "month": month},
            check=_ok,
        ),
        Case(f"{who}: API summary", "/api/v1/analysis/summary", {"variable": "revenue", "year": year}, check=_ok),
    ]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=20_000)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--reuse", action="store_true", help="keep the data of the last run")
    args = parser.parse_args(argv)
    today = date.today()
    last = date(today.year, today.month, 1)
    month, year = f"{last:%Y-%m}", str(last.year)
    if not args.reuse:
        started = time.perf_counter()
        org = asyncio.run(generate.generate(users=args.users))
        asyncio.run(generate_sales(org, args.clients, args.lines, last))
        print(f"data: {args.clients:,} clients, {args.lines:,} lines in {time.perf_counter() - started:.1f} s")
    head, manager = asyncio.run(people())
    with common.app_server() as server:
        results = []
        for who, email in (("admin", common.ADMIN_EMAIL), ("head", head), ("manager", manager)):
            with closing(common.sign_in(server.base_url, email)) as client:
                token = httpx.post(
                    f"{server.base_url}/api/v1/auth/token", json={"email": email, "password": common.PASSWORD}
                ).json()["access_token"]
                for n, path, params in (
                    (1, "/analysis/clients", {"month": month}),
                    (2, "/analysis", {"variable": "revenue", "year": year}),
                ):
                    started = time.perf_counter()
                    client.get(path, params=params).raise_for_status()
                    print(
                        f"{who}: cold {path} ({'builds the month' if n == 1 else 'builds the year'}): "
                        f"{(time.perf_counter() - started) * 1000:.0f} ms"
                    )
                for case in cases(who, month, year):
                    if case.path.startswith("/api/"):
                        case = Case(case.name, case.path, case.params, {"Authorization": f"Bearer {token}"}, case.check)
                    results.append(time_case(client, case, args.requests, args.warmup, server.process.pid))
        print(table(results))
        print(common.machine_summary())


if __name__ == "__main__":
    main()
