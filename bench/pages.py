"""Server time of every list and report page of the product at the spec's "large" size, as each role sees it.

Runs on the database that ``crm demo load --scale large`` built (default ``crm_large``; ``--db NAME`` or
``CRM_BENCH_DB`` picks another) and never generates data itself:

    psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE crm_large'
    CRM_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/crm_large crm database upgrade --no-prompt
    CRM_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/crm_large crm demo load --scale large
    .venv/bin/python bench/pages.py [--db crm_large] [--requests 20] [--only companies] [--role admin]
                                    [--explain] [--write-readme]

Signs in through the login form as the demo admin, the demo head of a sales department, the generated manager
with the most companies, the generated lead desk operator with the most contacts, the telegraph operator and the
billing clerk, and times for each the pages of their navigation: the first page, a filter, a sort, a deep page,
the HTMX partial (``HX-Target: list``) and the export where there is one. Prints one Markdown table (p50/p95 of
the response time, the app's CPU per request, HTML and gzip bytes, the verdict against the spec) and the
machine; ``--write-readme`` puts both into bench/README.md between this script's markers.

``--explain`` then replays the five slowest cases inside this process on the same database, captures every
SELECT the handler sends (SQLAlchemy's ``before_cursor_execute``) and prints ``EXPLAIN (ANALYZE, BUFFERS)`` of
the slowest statements of each, so the reason a page is slow (or fast) is on the screen.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import closing
from datetime import date, timedelta
from pathlib import Path
from typing import Any

# The database must be chosen before ``common`` reads it (it sets the app's environment at import).
for _i, _arg in enumerate(sys.argv):
    if _arg == "--db" and _i + 1 < len(sys.argv):
        os.environ["CRM_BENCH_DB"] = sys.argv[_i + 1]
    elif _arg.startswith("--db="):
        os.environ["CRM_BENCH_DB"] = _arg.split("=", 1)[1]
os.environ.setdefault("CRM_BENCH_DB", "crm_large")

import common  # noqa: E402
import httpx  # noqa: E402
from common import Case  # noqa: E402
from users_list import HTMX_HEADERS, Result, table, time_case  # noqa: E402

from crm.lib.demo import DEMO_PASSWORD  # noqa: E402

README = Path(__file__).with_name("README.md")
START, END = "<!-- pages.py: start -->", "<!-- pages.py: end -->"
Check = Callable[[httpx.Response], str | None]


def whole(marker: str = "<h1") -> Check:
    def check(response: httpx.Response) -> str | None:
        if "<html" not in response.text:
            return "not a whole page"
        return None if marker in response.text else f"{marker!r} not in the page"

    return check


def partial(response: httpx.Response) -> str | None:
    text = response.text.lstrip()
    if "<html" in text:
        return "a whole page instead of the #list block"
    return None if text else "empty answer"


def export(response: httpx.Response) -> str | None:
    kind = response.headers.get("content-type", "")
    if kind.startswith(("text/csv", "application/vnd.openxmlformats")):
        return None
    if "<html" in response.text and "export" in response.text.lower():
        return None  # a big export goes to the worker: the page that says so is what the user waits for
    return f"not an export ({kind})"


def page(name: str, path: str, params: dict[str, str] | None = None, marker: str = "<h1") -> Case:
    return Case(name, path, params or {}, check=whole(marker))


def part(name: str, path: str, params: dict[str, str] | None = None) -> Case:
    return Case(name, path, params or {}, headers=HTMX_HEADERS, check=partial, partial=True)


def csv(name: str, path: str, params: dict[str, str]) -> Case:
    return Case(name, path, {**params, "format": "csv"}, check=export, page=False)


# --------------------------------------------------------------------------- who signs in, what they open


async def accounts() -> dict[str, Any]:
    """The accounts to sign in as and a few ids the cases open (the biggest company, an ERP client...)."""
    conn = await common.connect()
    try:
        if not await conn.fetchval("SELECT count(*) FROM departments WHERE name = 'Дирекция по продажам'"):
            raise SystemExit(
                f"{common.BENCH_DB} holds no large demo: create it with "
                f"CRM_DATABASE_URL=postgresql+asyncpg://…/{common.BENCH_DB} crm demo load --scale large"
            )
        manager = await conn.fetchrow(
            "SELECT u.email, u.employee_bitrix_id AS employee FROM users u "
            "JOIN companies c ON c.responsible_id = u.employee_bitrix_id "
            "JOIN user_roles ur ON ur.user_id = u.id JOIN roles r ON r.id = ur.role_id AND r.name = 'manager' "
            "GROUP BY u.email, u.employee_bitrix_id ORDER BY count(*) DESC LIMIT 1"
        )
        operator = await conn.fetchval(
            "SELECT u.email FROM lead_contacts c JOIN lead_operators o ON o.id = c.operator_id "
            "JOIN users u ON u.id = o.user_id GROUP BY u.email ORDER BY count(*) DESC LIMIT 1"
        )
        return {
            "admin": "admin@example.com",
            "head": "head@example.com",
            "manager": manager["email"],
            "operator": operator,
            "telegraph": "telegraph@example.com",
            "billing": "billing@example.com",
            "company": await conn.fetchval(
                "SELECT company_id FROM deals GROUP BY company_id ORDER BY count(*) DESC LIMIT 1"
            ),
            "own_company": await conn.fetchval(
                "SELECT id FROM companies WHERE responsible_id = $1 ORDER BY id LIMIT 1", manager["employee"]
            ),
            "erp_client": await conn.fetchval(
                "SELECT client_id FROM sales_lines GROUP BY client_id ORDER BY count(*) DESC LIMIT 1"
            ),
            "strategy": await conn.fetchval("SELECT max(id) FROM strategies"),
            "lead": await conn.fetchval("SELECT lead_id FROM lead_contacts ORDER BY id DESC LIMIT 1"),
            "region": await conn.fetchval("SELECT region FROM companies WHERE region <> '' LIMIT 1"),
            "pipeline": await conn.fetchval(
                "SELECT pipeline_id FROM company_pipeline_figures GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
            ),
        }
    finally:
        await conn.close()


def cases(ids: dict[str, Any]) -> dict[str, list[Case]]:
    today = date.today()
    last = today.replace(day=1) - timedelta(days=1)  # the last whole month
    month = f"{last:%Y-%m}"
    ym = {"year": str(last.year), "month": str(last.month)}
    region = ids["region"]
    admin = [
        page("home", "/"),
        page("companies: first page", "/companies"),
        page("companies: q=сталь", "/companies", {"q": "сталь"}),
        page("companies: inn=77", "/companies", {"inn": "77"}),
        page("companies: region", "/companies", {"region": region}),
        page("companies: sort=-last (last communication)", "/companies", {"sort": "-last"}),
        page("companies: sort=responsible", "/companies", {"sort": "responsible"}),
        page("companies: page=400", "/companies", {"page": "400"}),
        part("companies: partial page 2", "/companies", {"page": "2"}),
        csv("companies: export csv, one region", "/companies", {"region": region}),
        page("company card (the biggest client)", f"/companies/{ids['company']}"),
        page("employees", "/employees"),
        page("users", "/users"),
        page("users: q=ива", "/users", {"q": "ива"}),
        page("users: role=manager, sort=-login", "/users", {"role": "manager", "sort": "-login"}),
        part("users: partial", "/users"),
        page("audit log", "/audit"),
        page("audit log: entity=plan", "/audit", {"entity": "plan"}),
        page("audit log: page=200", "/audit", {"page": "200"}),
        part("audit log: partial", "/audit"),
        page("lead desk", "/leads"),
        page("leads: contacts", "/leads/contacts"),
        page("leads: contacts closed, page=100", "/leads/contacts", {"status": "closed", "page": "100"}),
        part("leads: contacts partial", "/leads/contacts"),
        page("leads: a lead", f"/leads/{ids['lead']}"),
        page("leads: queue", "/leads/queue"),
        page("leads: operators", "/leads/operators"),
        page("leads: statistics", "/leads/stats"),
        page("telegraph", "/telegraph"),
        page("telegrams journal", "/telegrams"),
        page("telegrams: sort=-time, page=100", "/telegrams", {"sort": "-time", "page": "100"}),
        part("telegrams: partial", "/telegrams"),
        page("registries of the day", "/registries/day"),
        page("billing", "/billing"),
        page("billing: detail", "/billing/detail"),
        page("telegram clients", "/telegram-clients"),
        page("tariffs", "/tariffs"),
        page("report communications", "/reports/communications"),
        page(
            f"report communications: sort=-p{ids['pipeline']}_active",
            "/reports/communications",
            {"sort": f"-p{ids['pipeline']}_active"},
        ),
        page("report communications: stale", "/reports/communications", {"stale": "true", "sort": "last"}),
        page("report communications: page=200", "/reports/communications", {"page": "200"}),
        part("report communications: partial", "/reports/communications"),
        csv("report communications: export csv, region", "/reports/communications", {"region": region}),
        page("report sales: last month", "/reports/sales", {"period": "month", "date": f"{last:%Y-%m-01}"}),
        page("report schedules", "/reports/schedules"),
        page("plans: month (all)", "/plans", ym),
        part("plans: month (all): partial", "/plans", ym),
        page("plans: year (all)", "/plans", {"year": str(last.year)}),
        page("sales imports", "/imports"),
        page("sales clients", "/sales/clients"),
        page("sales clients: q=клиент, sort=-created", "/sales/clients", {"q": "альфа", "sort": "-created"}),
        page("sales clients: page=100", "/sales/clients", {"page": "100"}),
        part("sales clients: partial", "/sales/clients"),
        page("sales client card (the biggest buyer)", f"/sales/clients/{ids['erp_client']}"),
        page("goals", "/goals"),
        page("goals: page 2", "/goals", {"page": "2"}),
        part("goals: partial", "/goals"),
        page("analysis dashboard", "/analysis", {"variable": "revenue", "year": str(last.year)}),
        page("analysis clients", "/analysis/clients", {"variable": "revenue", "month": month}),
        page("analysis clients: sort=-i3", "/analysis/clients", {"month": month, "sort": "-i3", "sort2": "name"}),
        page(
            "analysis clients: abc=A & i1<0", "/analysis/clients", {"month": month, "f1": "abc:eq:A", "f2": "i1:lt:0"}
        ),
        page("control", "/control"),
        page("tasks board", "/tasks"),
        page("tasks list", "/tasks/list"),
        page("tasks list: overdue", "/tasks/list", {"overdue": "true"}),
        page("tasks list: sort=-due_at, page=50", "/tasks/list", {"sort": "-due_at", "page": "50"}),
        part("tasks list: partial", "/tasks/list"),
        page("tasks calendar", "/tasks/calendar"),
        page("tasks calendar: week", "/tasks/calendar", {"mode": "week"}),
        page("strategies", "/strategies"),
        page("strategy card", f"/strategies/{ids['strategy']}"),
        page("alerts", "/alerts"),
    ]
    head = [
        page("companies", "/companies"),
        page("companies: sort=-last", "/companies", {"sort": "-last"}),
        page("report communications", "/reports/communications"),
        page("plans: month (department)", "/plans", ym),
        part("plans: month (department): partial", "/plans", ym),
        page("plans: year (department)", "/plans", {"year": str(last.year)}),
        page("analysis clients", "/analysis/clients", {"variable": "revenue", "month": month}),
        page("control", "/control"),
        page("goals", "/goals"),
        page("tasks board", "/tasks"),
        page("tasks list", "/tasks/list"),
        page("tasks calendar: month", "/tasks/calendar", {"mode": "month"}),
        page("tasks calendar: week", "/tasks/calendar", {"mode": "week"}),
        page("strategies", "/strategies"),
        page("audit log", "/audit"),
    ]
    manager = [
        page("home", "/"),
        page("companies (own)", "/companies"),
        page("companies: q=сталь", "/companies", {"q": "сталь"}),
        page("companies: sort=-last", "/companies", {"sort": "-last"}),
        part("companies: partial", "/companies"),
        page("company card (own)", f"/companies/{ids['own_company']}"),
        page("report communications", "/reports/communications"),
        page("plans: month (own)", "/plans", ym),
        page("sales clients", "/sales/clients"),
        page("analysis clients", "/analysis/clients", {"variable": "revenue", "month": month}),
        page("goals", "/goals"),
        page("tasks board", "/tasks"),
        page("tasks list", "/tasks/list"),
        page("tasks calendar: month", "/tasks/calendar", {"mode": "month"}),
        page("tasks calendar: week", "/tasks/calendar", {"mode": "week"}),
        page("my day", "/my-day"),
        page("strategies", "/strategies"),
        page("alerts", "/alerts"),
    ]
    operator = [
        page("my contacts", "/leads/my"),
        page("my contacts: closed", "/leads/my", {"status": "closed"}),
        part("my contacts: partial", "/leads/my"),
    ]
    telegraph = [
        page("telegraph", "/telegraph"),
        page("telegrams (own office)", "/telegrams"),
        page("telegrams: page=50", "/telegrams", {"page": "50"}),
        page("registries of the day", "/registries/day"),
    ]
    billing = [
        page("billing", "/billing"),
        page("billing: detail", "/billing/detail"),
        page("telegrams (all offices)", "/telegrams"),
        page("telegram clients", "/telegram-clients"),
    ]
    return {"admin": admin, "head": head, "manager": manager, "operator": operator, "telegraph": telegraph,
            "billing": billing}  # fmt: skip


# --------------------------------------------------------------------------- main


def write_readme(section: str) -> None:
    text = README.read_text(encoding="utf-8")
    if START in text and END in text:
        before, rest = text.split(START, 1)
        after = rest.split(END, 1)[1]
        text = f"{before}{START}\n{section.strip()}\n{END}{after}"
    else:
        text = f"{text.rstrip()}\n\n{START}\n{section.strip()}\n{END}\n"
    README.write_text(text, encoding="utf-8")


async def _sizes() -> str:
    conn = await common.connect()
    try:
        counts = []
        for table in ("companies", "deals", "activities", "calls", "lead_contacts", "sales_lines", "telegrams",
                      "tasks", "users"):  # fmt: skip
            n = await conn.fetchval(f"SELECT count(*) FROM {table}")  # noqa: S608 (our names)
            counts.append(f"{n:,} {table}")
        return ", ".join(counts)
    finally:
        await conn.close()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default=common.BENCH_DB, help="the database of `crm demo load --scale large`")
    parser.add_argument("--requests", type=int, default=20, help="timed requests per case")
    parser.add_argument("--warmup", type=int, default=2, help="untimed requests per case first")
    parser.add_argument("--only", default="", help="time only the cases whose name contains this text")
    parser.add_argument("--role", default="", help="time only this role's cases (admin, head, manager, …)")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN (ANALYZE, BUFFERS) of the five slowest")
    parser.add_argument("--write-readme", action="store_true", help="write the table into bench/README.md")
    args = parser.parse_args(argv)

    ids = asyncio.run(accounts())
    started = time.perf_counter()
    results: list[tuple[str, Result]] = []
    failures: list[str] = []
    with common.app_server() as server:
        for role, role_cases in cases(ids).items():
            if args.role and role != args.role:
                continue
            with closing(common.sign_in(server.base_url, ids[role], DEMO_PASSWORD)) as client:
                for case in role_cases:
                    named = Case(f"{role}: {case.name}", case.path, case.params, case.headers, case.check,
                                 case.page, case.partial)  # fmt: skip
                    if args.only and args.only not in named.name:
                        continue
                    try:
                        result = time_case(client, named, args.requests, args.warmup, server.process.pid)
                    except (RuntimeError, httpx.HTTPError) as exc:
                        failures.append(f"{named.name}: {str(exc).splitlines()[0]}")
                        print(f"  {named.name:60} FAILED {str(exc).splitlines()[0]}", flush=True)
                        continue
                    results.append((ids[role], result))
                    print(f"  {named.name:60} p50 {result.p50:7.1f}  p95 {result.p95:7.1f} ms", flush=True)
    sizes = asyncio.run(_sizes())
    title = (
        f"{len(results)} cases on `{common.BENCH_DB}` ({sizes}); {args.requests} sequential requests per case after "
        f"{args.warmup} warm-up, in {time.perf_counter() - started:.0f} s"
    )
    report = [title, "", table([r for _e, r in results])]
    if failures:
        report += ["", "Failed cases:", *[f"- {f}" for f in failures]]
    misses = [r for _e, r in results if r.verdict().startswith("MISSED")]
    report += ["", f"{len(misses)} of {len(results)} cases miss the spec's targets."]
    print("\n" + "\n".join(report))
    explained = ""
    if args.explain and results:
        slowest = sorted(results, key=lambda er: -er[1].p95)[:5]
        explained = asyncio.run(common.explain_requests([(email, DEMO_PASSWORD, r.case) for email, r in slowest]))
        print(explained)
    machine = common.machine_summary()
    print("\n" + machine)
    if args.write_readme:
        write_readme(
            f"### Last figures ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})\n\n"
            + "\n".join(report)
            + ("\n\n### Plans of the five slowest cases (`--explain`)\n" + explained if explained else "")
            + f"\n\nMachine (its load average is in the `uptime` line):\n\n```\n{machine}\n```\n"
        )
        print(f"\nWritten into {README}")


if __name__ == "__main__":
    main()
