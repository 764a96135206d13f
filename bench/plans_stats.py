"""Server time of the calls & meetings statistics (/plans and /api/v1/plans/stats) for the whole organisation.

Builds on the data set of ``reports_communications.py`` (reused when the database already holds it: 2,000 users,
200 Bitrix24 employees in the sales departments, 100,000 companies, 1,000,000 deals) and adds two years of the
managers' daily figures (calls, meetings: what the sync maintains from 5,000,000 activities and calls), a daily
call plan for every working day and some day comments. Times, as the admin (the whole organisation: 200
managers in their department tree), a head of a directorate and a manager: the month view (working days), the
year view (months), the API for a month and a year.

Spec targets: the whole organisation's month view ≤ 200 ms (our aim 50 ms); list pages p95 ≤ 150 ms.

    CRM_BENCH_DB=crm_bench_pages .venv/bin/python bench/plans_stats.py [--requests 30]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from collections.abc import Sequence
from contextlib import closing
from datetime import UTC, date, datetime, timedelta

import common
import generate
import httpx
from common import Case
from reports_communications import generate_report_data, reuse_report_data
from users_list import Result, table, time_case

COMPANIES, DEALS = 100_000, 1_000_000
YEARS = 2


def _has(text: str):  # type: ignore[no-untyped-def]
    return lambda r: None if text in r.text else f"{text!r} not in the answer"


def _json_rows(minimum: int):  # type: ignore[no-untyped-def]
    def check(response: httpx.Response) -> str | None:
        rows = response.json().get("rows", [])
        return None if len(rows) >= minimum else f"{len(rows)} rows"

    return check


async def add_plan_figures(seed: int = 11) -> int:
    """Two years of daily figures, plans and a few comments for every Bitrix24 employee; idempotent."""
    rng = random.Random(seed)
    conn = await common.connect()
    try:
        if await conn.fetchval("SELECT count(*) FROM manager_day_figures") > 0:
            return int(await conn.fetchval("SELECT count(*) FROM manager_day_figures"))
        employees = [r["id"] for r in await conn.fetch("SELECT id FROM employees ORDER BY id")]
        today = date.today()
        start = date(today.year - YEARS + 1, 1, 1)
        days = [start + timedelta(days=i) for i in range((today - start).days + 1)]
        working = [d for d in days if d.weekday() < 5]
        figures, plans, comments = [], [], []
        now = datetime.now(UTC)
        for eid in employees:
            activity = rng.uniform(0.4, 1.6)  # managers of different activity
            daily_plan = rng.choice((20, 25, 30, 40))
            for day in working:
                season = 0.7 if day.month in (1, 5, 8) else 1.0
                calls = max(0, int(rng.gauss(daily_plan * activity * season, 6)))
                figures.append(
                    (eid, day, calls, calls + rng.randrange(0, 8), calls * rng.randrange(40, 200), rng.randrange(0, 4))
                )
                plans.append((eid, day, daily_plan))
                if rng.random() < 0.03:
                    comments.append((len(comments) + 1, eid, day, "На выставке", rng.random() < 0.5, now, now))
        await generate.copy_records(
            conn,
            "manager_day_figures",
            ("employee_id", "day", "calls", "calls_total", "call_seconds", "meetings"),
            figures,
        )
        await generate.copy_records(conn, "call_plans", ("employee_id", "day", "calls"), plans)
        await generate.copy_records(
            conn,
            "plan_day_comments",
            ("id", "employee_id", "day", "body", "verified", "created_at", "updated_at"),
            comments,
        )
        await conn.execute("SELECT setval('plan_day_comments_id_seq', (SELECT max(id) FROM plan_day_comments))")
        return len(figures)
    finally:
        await conn.close()


def cases(today: date) -> tuple[Case, ...]:
    last = today.replace(day=1) - timedelta(days=1)  # the last whole month
    return (
        Case(
            "admin: month view (all)",
            "/plans",
            {"year": str(last.year), "month": str(last.month)},
            check=_has("plans-grid"),
        ),
        Case("admin: year view (all)", "/plans", {"year": str(last.year)}, check=_has("plans-grid")),
        Case(
            "admin: API month",
            "/api/v1/plans/stats",
            {"year": str(last.year), "month": str(last.month)},
            check=_json_rows(100),
        ),
        Case("admin: API year", "/api/v1/plans/stats", {"year": str(last.year)}, check=_json_rows(100)),
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=30, help="timed requests per case")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests per case first")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    who = asyncio.run(reuse_report_data(COMPANIES, DEALS))
    if who is None:
        org = asyncio.run(generate.generate(users=2_000))
        who = asyncio.run(generate_report_data(COMPANIES, DEALS, seed=7))
        print(f"Generated {generate.summary(org)} + companies and deals in {time.perf_counter() - started:.1f} s")
    rows = asyncio.run(add_plan_figures())
    asyncio.run(common.analyze())
    print(f"{rows:,} manager-day figures ready after {time.perf_counter() - started:.1f} s")
    today = date.today()
    results: list[Result] = []
    with common.app_server() as server:
        runs = [
            (common.ADMIN_EMAIL, cases(today)),
            (who["head"], cases(today)[:2]),
            (who["manager"], cases(today)[:1]),
        ]
        for email, group in runs:
            role = "admin" if email == common.ADMIN_EMAIL else ("head" if email == who["head"] else "manager")
            with closing(common.sign_in(server.base_url, email)) as client:
                # the API takes a bearer token, not the page session
                token = client.post("/api/v1/auth/token", json={"email": email, "password": common.PASSWORD})
                bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
                for case in group:
                    if case.path.startswith("/api/"):
                        case = Case(case.name, case.path, case.params, headers=bearer, check=case.check)
                    case = Case(case.name.replace("admin", role), case.path, case.params, case.headers, case.check)
                    result = time_case(client, case, args.requests, args.warmup, server.process.pid)
                    results.append(result)
                    print(f"  {case.name:34} p50 {result.p50:7.1f} ms  p95 {result.p95:7.1f} ms", flush=True)
    print(f"\nCalls & meetings statistics: 200 managers, {YEARS} years of daily figures, {args.requests} requests\n")
    print(table(results))
    print()
    print(common.machine_summary())


if __name__ == "__main__":
    main()
