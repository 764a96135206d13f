"""Server time of the users list (/users) with 10,000 users.

Generates the organisation into a fresh ``crm_bench``, starts the real app (``crm run``, uvicorn, one
process), signs in as the admin through the /login form, then for every case: warm-up requests, then
sequential GET requests on one keep-alive connection. Server time = the response time the client
measures on loopback (request sent → whole body read). "App CPU" is the CPU time the app process
spent per request (from /proc): it leaves out the database and depends much less on other load on
the machine than the response time does. Sizes: the HTML (or CSV) as decoded, and the bytes on the
wire (gzip, as a browser asks for it).

Spec targets: any list page p95 < 150 ms; the HTML of a 50-row table partial < 40 KB.

    .venv/bin/python bench/users_list.py [--users 10000] [--requests 200] [--warmup 20] [--explain]

``--explain`` also prints EXPLAIN (ANALYZE, BUFFERS) of every query the handler makes for each case
(count, page, selectin loads of roles and departments, the filter choices), captured from SQLAlchemy.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import time
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import dataclass
from typing import Any

import common
import generate
import httpx
from common import Case

P95_TARGET_MS = 150.0
PARTIAL_TARGET_BYTES = 40 * 1024
HTMX_HEADERS = {"HX-Request": "true", "HX-Target": "list"}


def _rows(response: httpx.Response) -> int:
    return response.text.count('<a href="/users/')


def _page_check(expected_rows: int | None = 50, marker: str | None = None) -> Callable[[httpx.Response], str | None]:
    def check(response: httpx.Response) -> str | None:
        if "<html" not in response.text:
            return "not a whole page"
        rows = _rows(response)
        if expected_rows is not None and rows != expected_rows:
            return f"{rows} rows instead of {expected_rows}"
        if expected_rows is None and rows == 0:
            return "no rows"
        if marker and marker not in response.text:
            return f"{marker!r} not in the page"
        return None

    return check


def _partial_check(response: httpx.Response) -> str | None:
    if not response.text.lstrip().startswith('<div id="list"') or "<html" in response.text:
        return "not the #list block alone"
    return None if _rows(response) == 50 else f"{_rows(response)} rows instead of 50"


def _csv_check(response: httpx.Response) -> str | None:
    if not response.headers.get("content-type", "").startswith("text/csv"):
        return f"content-type {response.headers.get('content-type')}"
    rows = response.text.count("\r\n") - 1
    return None if 500 <= rows <= 2000 else f"{rows} rows, not about a thousand"


CASES: tuple[Case, ...] = (
    Case("first page (sort=email)", "/users", check=_page_check(50)),
    Case("search q=ива", "/users", {"q": "ива"}, check=_page_check(None, "ива")),
    Case("role=manager&active=yes", "/users", {"role": "manager", "active": "yes"}, check=_page_check(50)),
    Case("sort=-login", "/users", {"sort": "-login"}, check=_page_check(50)),
    Case("page=50", "/users", {"page": "50"}, check=_page_check(50, "Страница 50 из 200")),
    Case("htmx partial #list", "/users", headers=HTMX_HEADERS, check=_partial_check, partial=True),
    Case("export csv active=no", "/users", {"format": "csv", "active": "no"}, check=_csv_check, page=False),
)


@dataclass
class Result:
    case: Case
    times_ms: list[float]
    html_bytes: int
    wire_bytes: int
    cpu_ms: float  # CPU time of the app process per request (mean), robust to other load on the machine
    note: str = ""

    @property
    def p50(self) -> float:
        return common.percentile(self.times_ms, 50)

    @property
    def p95(self) -> float:
        return common.percentile(self.times_ms, 95)

    def verdict(self) -> str:
        misses = []
        if self.case.page and self.p95 >= P95_TARGET_MS:
            misses.append(f"p95 ≥ {P95_TARGET_MS:.0f} ms")
        if self.case.partial and self.html_bytes >= PARTIAL_TARGET_BYTES:
            misses.append(f"HTML ≥ {PARTIAL_TARGET_BYTES // 1024} KB")
        if not self.case.page and not self.case.partial:
            return "no target"
        return "MISSED: " + ", ".join(misses) if misses else "ok"


def time_case(client: httpx.Client, case: Case, requests: int, warmup: int, server_pid: int) -> Result:
    first = client.get(case.path, params=case.params, headers=case.headers)
    problem = f"status {first.status_code}" if first.status_code != 200 else case.check(first)
    if problem:
        raise RuntimeError(f"{case.name}: {problem}\n{first.text[:1500]}")
    for _ in range(warmup):
        client.get(case.path, params=case.params, headers=case.headers)
    times: list[float] = []
    html = wire = 0
    cpu_before = common.cpu_seconds(server_pid)
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(case.path, params=case.params, headers=case.headers)
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{case.name}: status {response.status_code}")
        html, wire = len(response.content), response.num_bytes_downloaded
    cpu_ms = (common.cpu_seconds(server_pid) - cpu_before) * 1000 / max(1, requests)
    note = ""
    if case.check is _csv_check:
        note = f"{first.text.count(chr(13) + chr(10)) - 1} rows"
    elif not case.partial:
        # The row count in the pagination bar ("Строк: 10 000", "10 000 строк", "10,000 rows"...).
        total = re.search(r'class="pagination".*?<span class="muted">([^<]*)</span>', first.text, re.S)
        digits = re.sub(r"[^0-9]", "", total.group(1)) if total else ""
        note = f"{int(digits):,} rows match" if digits else ""
    return Result(case, times, html, wire, cpu_ms, note)


def table(results: Sequence[Result]) -> str:
    lines = [
        "| case | p50 ms | p95 ms | app CPU ms | HTML bytes | gzip bytes | target | notes |",
        "|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.case.name} | {r.p50:.1f} | {r.p95:.1f} | {r.cpu_ms:.1f} | {r.html_bytes:,} "
            f"| {r.wire_bytes:,} | {r.verdict()} | {r.note} |"
        )
    return "\n".join(lines)


# --------------------------------------------------------------------------- --explain


def _clip(line: str, width: int = 220) -> str:
    return line if len(line) <= width else line[:width] + "…"


async def explain_case(case: Case) -> str:
    """EXPLAIN ANALYZE of every statement the users list handler runs for ``case``, as SQLAlchemy sends it."""
    from litestar.datastructures import MultiDict
    from sqlalchemy import event

    from crm.features.accounts import admin, services
    from crm.lib.db import alchemy_config
    from crm.lib.lists import ListParams

    captured: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        captured.append((statement, parameters))

    config = alchemy_config()
    engine = config.get_engine()
    event.listen(engine.sync_engine, "before_cursor_execute", capture)
    query = MultiDict(list(case.params.items()))
    params = ListParams(page=int(case.params.get("page", "1")), sort=case.params.get("sort", "email"), query=query)
    try:
        async with config.get_session() as session:
            users = services.users_list(admin._user_filter(params))
            if case.params.get("format"):
                await users.total(session)  # an export counts first (a worker job past CRM_EXPORT_JOB_ROWS)
                await session.execute(users.ordered(params.sort))
            else:
                await users.page(session, params)
                await admin._choices(session)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", capture)
        await engine.dispose()

    out = [f"## {case.name}  ({len(captured)} statements)"]
    conn = await common.connect()
    try:
        for statement, parameters in captured:
            args = list(parameters) if isinstance(parameters, (list, tuple)) else []
            plan = await conn.fetch("EXPLAIN (ANALYZE, BUFFERS) " + statement, *args)
            sql = re.sub(r"\s+", " ", statement)
            out.append(f"\n-- {_clip(sql, 400)}")
            out.extend(_clip(row[0]) for row in plan)
    finally:
        await conn.close()
    return "\n".join(out)


# --------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per case")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests per case first")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of the handler's queries")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    org = asyncio.run(generate.generate(users=args.users))
    print(f"Generated {generate.summary(org)} in {time.perf_counter() - started:.1f} s")
    if args.explain:
        for case in CASES:
            print(asyncio.run(explain_case(case)), end="\n\n")

    results: list[Result] = []
    with common.app_server() as server:
        print(f"Server {server.base_url} (crm run, uvicorn); signing in as {common.ADMIN_EMAIL}")
        with closing(common.sign_in(server.base_url)) as client:
            for case in CASES:
                result = time_case(client, case, args.requests, args.warmup, server.process.pid)
                results.append(result)
                print(
                    f"  {case.name:28} p50 {result.p50:7.1f} ms  p95 {result.p95:7.1f} ms  "
                    f"app CPU {result.cpu_ms:5.1f} ms",
                    flush=True,
                )

    print(
        f"\nUsers list, {args.users:,} users, {args.requests} sequential requests per case "
        f"after {args.warmup} warm-up; targets: list page p95 < {P95_TARGET_MS:.0f} ms, "
        f"50-row partial HTML < {PARTIAL_TARGET_BYTES // 1024} KB\n"
    )
    print(table(results))
    print()
    print(common.machine_summary())
    missed = [r.case.name for r in results if r.verdict().startswith("MISSED")]
    if missed:
        print(f"\nMissed targets: {', '.join(missed)}")


if __name__ == "__main__":
    main()
