"""Server time of the client-communication report (/reports/communications) at the spec's scale.

Generates the organisation (departments, users), then 200 managers as Bitrix24 employees in the sales
departments (each linked to a user), 100,000 companies, their figures (last communication; 5 pipelines with
active/won sums and preparation counts, about 1.6 per company) and 1,000,000 deals (30 % lost, close dates
over two years: the "recently lost" mark reads them). Then times the report as the admin (all companies), a
head of a sales directorate and a manager, with the cases below.

Spec targets: any list or report page p95 < 150 ms; the HTML of a 50-row table partial < 40 KB.

    .venv/bin/python bench/reports_communications.py [--companies 100000] [--deals 1000000] [--requests 50]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from collections.abc import Sequence
from contextlib import closing
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import common
import generate
import httpx
from common import Case
from users_list import HTMX_HEADERS, Result, table, time_case

PIPELINES = ((0, "Общее направление"), (1, "Охрана труда"), (2, "Экология"), (3, "Обучение"), (4, "Проекты"))
INDUSTRIES = ("IT", "MANUFACTURING", "TRADE", "FOOD", "BUILDING", "ENERGY", "TRANSPORT", "FINANCE", "HEALTH", "OTHER")
REGIONS = tuple(f"Регион {i:02d}" for i in range(1, 41))
FORMS = ("ООО", "АО", "ЗАО", "ПАО", "ИП")
WORDS = ("Север", "Юг", "Сталь", "Агро", "Транс", "Логистик", "Фарм", "Строй", "Энерго", "Профи", "Гранит", "Вектор")


def _rows(response: httpx.Response) -> int:
    return response.text.count('<th scope="row"><a href="/companies/')


def _page(expected: int | None = 50, whole: bool = True):  # type: ignore[no-untyped-def]
    def check(response: httpx.Response) -> str | None:
        if whole and "<html" not in response.text:
            return "not a whole page"
        if not whole and not response.text.lstrip().startswith('<div id="list"'):
            return "not the #list block alone"
        rows = _rows(response)
        if expected is not None and rows != expected:
            return f"{rows} rows instead of {expected}"
        return None if rows else "no rows"

    return check


def _csv(response: httpx.Response) -> str | None:
    return None if response.headers.get("content-type", "").startswith("text/csv") else "not a CSV"


def admin_cases(companies: int) -> tuple[Case, ...]:
    middle = str(max(1, companies // 100))  # half of the rows: answered with the last page the cap reaches
    return (
        Case("admin: first page (100k)", "/reports/communications", check=_page()),
        Case(
            "admin: htmx partial #list",
            "/reports/communications",
            headers=HTMX_HEADERS,
            check=_page(whole=False),
            partial=True,
        ),
        Case("admin: sort=-p1_active", "/reports/communications", {"sort": "-p1_active"}, check=_page()),
        Case("admin: sort=responsible,-last", "/reports/communications", {"sort": "responsible,-last"}, check=_page()),
        Case("admin: stale only", "/reports/communications", {"stale": "true", "sort": "last"}, check=_page()),
        Case("admin: inn=77", "/reports/communications", {"inn": "77"}, check=_page()),
        Case("admin: q=Сталь", "/reports/communications", {"q": "Сталь"}, check=_page()),
        Case(
            "admin: pipeline=2 & has_active",
            "/reports/communications",
            {"pipeline": "2", "has_active": "true", "sort": "-p2_won,title"},
            check=_page(),
        ),
        Case(
            "admin: region+turnover+employees",
            "/reports/communications",
            {"region": REGIONS[3], "turnover_from": "1000000", "employees_from": "50"},
            check=_page(None),
        ),
        Case(f"admin: page={middle} (past the cap)", "/reports/communications", {"page": middle}, check=_page()),
        Case("admin: page=200 (OFFSET 9,950)", "/reports/communications", {"page": "200"}, check=_page()),
        Case(
            "admin: export csv one region",
            "/reports/communications",
            {"format": "csv", "region": REGIONS[5]},
            check=_csv,
            page=False,
        ),
    )


async def generate_report_data(companies: int, deals: int, seed: int) -> dict[str, str]:
    """Employees, companies, figures and deals; returns the emails of a head and a manager to sign in as."""
    rng = random.Random(seed)
    conn = await common.connect()
    try:
        sales = await conn.fetch(
            "SELECT u.id, u.email, u.department_id, r.name AS role FROM users u "
            "JOIN user_roles ur ON ur.user_id = u.id JOIN roles r ON r.id = ur.role_id "
            "JOIN departments d ON d.id = u.department_id "
            "WHERE r.name IN ('manager', 'head') AND u.is_active ORDER BY u.email"
        )
        managers = [r for r in sales if r["role"] == "manager"][:200]
        directorate = await conn.fetchval("SELECT id FROM departments WHERE name = 'Отдел продаж Поволжье'")
        head = await conn.fetchrow(
            "SELECT u.id, u.email FROM users u JOIN user_roles ur ON ur.user_id = u.id "
            "JOIN roles r ON r.id = ur.role_id WHERE r.name = 'head' AND u.department_id = $1 LIMIT 1",
            directorate,
        )
        people = [(100_000 + i, m) for i, m in enumerate(managers)]
        await conn.execute("UPDATE users SET employee_bitrix_id = NULL")
        await generate.copy_records(
            conn,
            "employees",
            ("id", "name", "last_name", "email", "department_id", "active", "department_bitrix_ids"),
            [
                (eid, m["email"].split(".")[0].title(), m["email"], m["email"], m["department_id"], True, [])
                for eid, m in people
            ],
        )
        for eid, m in people:
            await conn.execute("UPDATE users SET employee_bitrix_id = $1 WHERE id = $2", eid, m["id"])
        await conn.execute("UPDATE users SET employee_bitrix_id = 999 WHERE id = $1", head["id"])
        await generate.copy_records(
            conn, "pipelines", ("id", "name", "sort", "active"), [(i, n, i * 10, True) for i, n in PIPELINES]
        )
        now = datetime.now(UTC)
        ids = [eid for eid, _ in people]
        company_rows, figure_rows, pipeline_rows = [], [], []
        for cid in range(1, companies + 1):
            title = f"{rng.choice(FORMS)} «{rng.choice(WORDS)}{rng.choice(WORDS)} {cid}»"
            inn = str(rng.randrange(10**9, 10**10))
            revenue = Decimal(rng.randrange(100_000, 500_000_000)) if rng.random() < 0.8 else None
            staff = rng.choice(("EMPLOYEES_1", "EMPLOYEES_2", "EMPLOYEES_3", "EMPLOYEES_4", ""))
            company_rows.append(
                (
                    cid,
                    title,
                    inn,
                    rng.choice(ids),
                    revenue,
                    staff,
                    rng.choice(INDUSTRIES),
                    rng.choice(REGIONS),
                    rng.random() > 0.02,
                    "{}",
                )
            )
            last = None if rng.random() < 0.05 else now - timedelta(days=rng.expovariate(1 / 120))
            figure_rows.append((cid, last))
            for pid, _name in rng.sample(PIPELINES, rng.choice((0, 1, 1, 2, 2, 3))):
                active = Decimal(rng.randrange(0, 3_000_000)) if rng.random() < 0.5 else Decimal(0)
                won = Decimal(rng.randrange(0, 5_000_000)) if rng.random() < 0.6 else Decimal(0)
                pipeline_rows.append((cid, pid, active, int(active > 0), won, int(won > 0), int(rng.random() < 0.1)))
        await generate.copy_records(
            conn,
            "companies",
            ("id", "title", "inn", "responsible_id", "revenue", "employees", "industry", "region", "active", "fields"),
            company_rows,
        )
        await generate.copy_records(conn, "company_figures", ("company_id", "last_communication_at"), figure_rows)
        await generate.copy_records(
            conn,
            "company_pipeline_figures",
            ("company_id", "pipeline_id", "active_sum", "active_count", "won_sum", "won_count", "preparation_count"),
            pipeline_rows,
        )
        today = date.today()
        deal_rows = []
        for did in range(1, deals + 1):
            semantic = rng.choices(("P", "S", "F"), (3, 4, 3))[0]
            deal_rows.append(
                (
                    did,
                    rng.randrange(1, companies + 1),
                    rng.choice(PIPELINES)[0],
                    semantic,
                    Decimal(rng.randrange(1000, 2_000_000)),
                    rng.choice(ids),
                    today - timedelta(days=rng.randrange(0, 730)) if semantic != "P" else None,
                    semantic != "P",
                    True,
                    "{}",
                )
            )
        await generate.copy_records(
            conn,
            "deals",
            (
                "id",
                "company_id",
                "pipeline_id",
                "semantic",
                "amount",
                "responsible_id",
                "close_date",
                "closed",
                "active",
                "fields",
            ),
            deal_rows,
        )
    finally:
        await conn.close()
    await common.analyze()
    return {"head": head["email"], "manager": managers[0]["email"]}


async def reuse_report_data(companies: int, deals: int) -> dict[str, str] | None:
    """The sign-in emails of the data set already in ``crm_bench`` when it has this many companies and deals
    (made by an earlier run of this script), after creating any table or index of the models it lacks;
    ``None`` when it is missing or of another size."""
    from sqlalchemy import create_engine
    from sqlalchemy.schema import CreateIndex

    from crm import models
    from crm.features.clients.models import TRIGRAM_INDEXES

    try:
        conn = await common.connect()
    except Exception:
        return None
    try:
        try:
            sizes = await conn.fetchrow(
                "SELECT (SELECT count(*) FROM companies) AS companies, (SELECT count(*) FROM deals) AS deals"
            )
        except Exception:
            return None
        if (sizes["companies"], sizes["deals"]) != (companies, deals):
            return None
        head = await conn.fetchval("SELECT email FROM users WHERE employee_bitrix_id = 999")
        manager = await conn.fetchval("SELECT email FROM users WHERE employee_bitrix_id = 100000")
        if not head or not manager:
            return None
    finally:
        await conn.close()
    engine = create_engine(common.PG_DSN.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as sync:
        models.metadata.create_all(sync)
        for table in models.metadata.sorted_tables:
            for index in table.indexes:
                sync.execute(CreateIndex(index, if_not_exists=True))
        sync.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for statement in TRIGRAM_INDEXES:
            sync.exec_driver_sql(statement)
    engine.dispose()
    await common.analyze()
    return {"head": head, "manager": manager}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=2_000)
    parser.add_argument("--companies", type=int, default=100_000)
    parser.add_argument("--deals", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=50, help="timed requests per case")
    parser.add_argument("--warmup", type=int, default=5, help="untimed requests per case first")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the data in crm_bench when it is of this size (made by an earlier run); generate it otherwise",
    )
    parser.add_argument("--only", default="", help="time only the cases whose name contains this text")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    who = asyncio.run(reuse_report_data(args.companies, args.deals)) if args.reuse else None
    if who is not None:
        print(f"Reused crm_bench: {args.companies:,} companies, {args.deals:,} deals")
    else:
        org = asyncio.run(generate.generate(users=args.users))
        who = asyncio.run(generate_report_data(args.companies, args.deals, seed=7))
        print(
            f"Generated {generate.summary(org)} + {args.companies:,} companies, {args.deals:,} deals "
            f"in {time.perf_counter() - started:.1f} s"
        )
    results: list[Result] = []
    with common.app_server() as server:
        runs = [
            (common.ADMIN_EMAIL, admin_cases(args.companies)),
            (who["head"], (Case("head: first page (directorate)", "/reports/communications", check=_page()),)),
            (who["manager"], (Case("manager: first page (own)", "/reports/communications", check=_page(None)),)),
        ]
        for email, cases in runs:
            with closing(common.sign_in(server.base_url, email)) as client:
                for case in cases:
                    if args.only and args.only not in case.name:
                        continue
                    result = time_case(client, case, args.requests, args.warmup, server.process.pid)
                    results.append(result)
                    print(f"  {case.name:34} p50 {result.p50:7.1f} ms  p95 {result.p95:7.1f} ms", flush=True)
    print(
        f"\nClient-communication report, {args.companies:,} companies, {args.deals:,} deals, "
        f"{args.requests} sequential requests per case after {args.warmup} warm-up\n"
    )
    print(table(results))
    print()
    print(common.machine_summary())


if __name__ == "__main__":
    main()
