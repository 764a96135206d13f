"""The registry page (`GET /registries/{id}`) of a 1,000-telegram registry: server time over HTTP of its pages,
filters, the row edit flow and the export, and the cost split in-process into SQL (statements, PostgreSQL time,
ORM objects) and template (a page of read-only rows; one row with its controls).

    .venv/bin/python bench/registry_page.py [--registry 1000] [--requests 40] [--warmup 5]

Own database, `crm_bench_registry` (dropped and recreated by every run), so it can run while other benchmarks
recreate theirs. Data: the tariff fixture (or the slice's seed tariffs), the operator `pok-2@example.com`
(office 123002), 60 telegraph clients, one day of `--registry` telegrams of office 123002/02 (the slice's own
journal generator) put in the operator's draft registry; 95 % of the rows get a client, every 20th row is priced
by hand (manual mode).
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import statistics
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from datetime import date
from typing import Any

import common
import httpx
from common import Case
from tariffs_bench import seed_tariffs_and_operator

logging.getLogger("httpx").setLevel(logging.WARNING)

common.BENCH_DB = "crm_bench_registry"
common.PG_DSN = f"{common.PG_SERVER}/{common.BENCH_DB}"
common.BENCH_ENV["CRM_DATABASE_URL"] = common.BENCH_ENV["CRM_DATABASE_URL"].rsplit("/", 1)[0] + "/" + common.BENCH_DB
common.os.environ["CRM_DATABASE_URL"] = common.BENCH_ENV["CRM_DATABASE_URL"]

REGISTRY_DAY = date(2022, 8, 15)
OPERATOR = "pok-2@example.com"
P95_TARGET_MS = 150.0
PARTIAL_TARGET_BYTES = 40 * 1024


# --------------------------------------------------------------------------- data


async def _seed(registry_size: int) -> tuple[int, int]:
    """The data; answers the registry's id and the id of its first row (the one the edit cases open)."""
    from sqlalchemy import select, update

    from crm.features.accounts.models import User
    from crm.features.tariffs import demo, journal, registry_day
    from crm.features.tariffs.models import RegistryRecord, Telegram, TelegramClient
    from crm.lib.db import alchemy_config

    config = alchemy_config()
    try:
        async with config.get_session() as session:
            await seed_tariffs_and_operator(session, OPERATOR)
            session.add_all(
                TelegramClient(code=f"{n:05d}", short_name=f"клиент {n}", full_name=f"Организация номер {n}")
                for n in range(1, 61)
            )
            day = demo.generate_journal(
                REGISTRY_DAY, 1, registry_size, seed=8, offices=[("123002/02", "2/")], prefix="r"
            )
            await journal.import_journal(session, day)
            await session.commit()
            user = await session.scalar(select(User).where(User.email == OPERATOR))
            ids = [d.telegram.id for d in await registry_day.office_day(session, user, REGISTRY_DAY)]
            registry, added = await registry_day.add_telegrams(session, user, REGISTRY_DAY, ids)
            assert added == registry_size, added
            client_ids = list((await session.scalars(select(TelegramClient.id).order_by(TelegramClient.id))).all())
            record_ids = list(
                (
                    await session.scalars(
                        select(RegistryRecord.id)
                        .where(RegistryRecord.registry_id == registry.id)
                        .order_by(RegistryRecord.id)
                    )
                ).all()
            )
            for index, record_id in enumerate(record_ids):
                values: dict[str, Any] = {"manual": index % 20 == 7}
                if index % 20 != 3:
                    values["client_id"] = client_ids[index % len(client_ids)]
                await session.execute(update(RegistryRecord).where(RegistryRecord.id == record_id).values(**values))
            await session.commit()
            first = await session.scalar(
                select(RegistryRecord.id)
                .join(Telegram, Telegram.id == RegistryRecord.telegram_id)
                .where(RegistryRecord.registry_id == registry.id)
                .order_by(Telegram.inp_gate_date, RegistryRecord.id)
                .limit(1)
            )
            return int(registry.id), int(first or 0)
    finally:
        await config.get_engine().dispose()


# --------------------------------------------------------------------------- in-process split


def _ms(seconds: list[float]) -> float:
    return statistics.median(seconds) * 1000


async def split(registry_id: int, repeats: int) -> list[tuple[str, str]]:
    """Statements and time of building the page's context (SQL + ORM objects), then the Jinja render of the
    records block (a page of read-only rows) and of one row with its controls, median of ``repeats``."""
    from jinja2_fragments import render_block
    from litestar.datastructures import MultiDict
    from sqlalchemy import event, select

    from crm.app import create_app
    from crm.features.accounts.models import User
    from crm.features.tariffs import registries, registry_pages
    from crm.lib import i18n
    from crm.lib.db import alchemy_config
    from crm.lib.lists import ListParams

    i18n.set_locale("ru")
    env = create_app().template_engine.engine  # type: ignore[union-attr]
    config = alchemy_config()
    engine = config.get_engine()
    statements: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        statements.append((statement, parameters))

    out: list[tuple[str, str]] = []
    try:
        async with config.get_session() as session:
            for label, query in (
                ("page 1 of 50 rows", {}),
                ("page 1, one row open for editing", {"edit": "__first__"}),
            ):
                times: list[float] = []
                context: dict[str, Any] = {}
                for _ in range(repeats):
                    session.expunge_all()
                    user = await session.scalar(select(User).where(User.email == OPERATOR))
                    registry = await registries.get_visible(session, user, registry_id)  # type: ignore[arg-type]
                    assert user is not None and registry is not None
                    if query.get("edit") == "__first__":
                        first = await registry_pages.page_context(session, user, registry, ListParams())
                        query = {"edit": str(first["page"].rows[0].id)}
                    params = ListParams(query=MultiDict(query))
                    statements.clear()
                    event.listen(engine.sync_engine, "before_cursor_execute", capture)
                    started = time.perf_counter()
                    context = await registry_pages.page_context(session, user, registry, params)
                    times.append(time.perf_counter() - started)
                    event.remove(engine.sync_engine, "before_cursor_execute", capture)
                db_ms = await _explain(statements)
                out.append(
                    (
                        f"context, {label}: SQL + ORM objects",
                        f"{_ms(times):.1f} ms, {len(statements)} statements ({db_ms:.1f} ms of PostgreSQL execution)",
                    )
                )
                ctx = {**context, "user": user, "csrf_input": ""}
                renders: list[float] = []
                html = ""
                for _ in range(repeats):
                    started = time.perf_counter()
                    html = render_block(env, "tariffs/registry.html", "records", ctx)
                    renders.append(time.perf_counter() - started)
                out.append(
                    (
                        f"render the records block, {label}",
                        f"{_ms(renders):.1f} ms, {len(html.encode()):,} bytes, {html.count('<select'):,} selects, "
                        f"{html.count('<option'):,} options",
                    )
                )
    finally:
        await engine.dispose()
    return out


async def _explain(statements: list[tuple[str, Any]]) -> float:
    """Sum of PostgreSQL's execution times of the captured statements, run again with their bound values."""
    total = 0.0
    conn = await common.connect()
    try:
        for statement, parameters in statements:
            args = list(parameters) if isinstance(parameters, (list, tuple)) else []
            plan = await conn.fetch("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, *args)
            total += json.loads(plan[0][0])[0]["Execution Time"]
    finally:
        await conn.close()
    return total


# --------------------------------------------------------------------------- over HTTP


@dataclass
class Result:
    case: Case
    times_ms: list[float]
    html_bytes: int
    wire_bytes: int
    cpu_ms: float
    rows: int

    def verdict(self) -> str:
        misses = []
        if self.case.page and common.percentile(self.times_ms, 95) >= P95_TARGET_MS:
            misses.append(f"p95 ≥ {P95_TARGET_MS:.0f} ms")
        if self.case.partial and self.html_bytes >= PARTIAL_TARGET_BYTES:
            misses.append(f"HTML ≥ {PARTIAL_TARGET_BYTES // 1024} KB")
        if not self.case.page and not self.case.partial:
            return "no target"
        return "MISSED: " + ", ".join(misses) if misses else "ok"


def _rows(response: httpx.Response) -> int:
    return len(re.findall(r'<tr id="rec-\d+"', response.text))


def _shows(rows: int) -> Callable[[httpx.Response], str | None]:
    return lambda r: None if _rows(r) == rows else f"{_rows(r)} rows instead of {rows}"


def _csv(size: int) -> Callable[[httpx.Response], str | None]:
    def check(response: httpx.Response) -> str | None:
        rows = response.text.count("\r\n") - 1
        return None if rows == size else f"{rows} rows in the export instead of {size}"

    return check


def cases(registry_id: int, size: int, first_row: int) -> list[Case]:
    url = f"/registries/{registry_id}"
    partial = {"HX-Request": "true", "HX-Target": "records"}
    row = {"HX-Request": "true", "HX-Target": f"rec-{first_row}"}
    last_page = max(1, -(-size // 50))
    return [
        Case("whole page (page 1 of 50 rows)", url, check=_shows(min(50, size))),
        Case("htmx partial #records", url, headers=partial, partial=True, check=_shows(min(50, size))),
        Case(f"last page (page={last_page})", url, {"page": str(last_page)}, check=lambda r: None if _rows(r) else "0"),
        Case("sort=-total", url, {"sort": "-total"}, check=_shows(min(50, size))),
        Case("show=flagged (warnings)", url, {"show": "flagged"}, check=lambda r: None),
        Case("q=МОСКВА (search)", url, {"q": "МОСКВА"}, check=lambda r: None),
        Case("edit row (htmx GET, controls)", f"{url}/records/{first_row}/edit", headers=row, check=_shows(1)),
        Case("save row (htmx POST, row + totals)", f"{url}/records/{first_row}", headers=row, check=_shows(1)),
        Case(f"export csv, all {size:,} rows", url, {"format": "csv"}, check=_csv(size), page=False),
    ]


SAVE_FORM = {"client": "00001", "country_id": "", "category": "ordinary", "notification": "none", "blank": "none"}


def _send(client: httpx.Client, case: Case) -> httpx.Response:
    if case.name.startswith("save row"):
        headers = {**case.headers, "x-csrftoken": client.cookies.get("crm_csrf") or ""}
        return client.post(case.path, data=SAVE_FORM, headers=headers)
    return client.get(case.path, params=case.params, headers=case.headers)


def time_case(client: httpx.Client, case: Case, requests: int, warmup: int, pid: int) -> Result:
    first = _send(client, case)
    problem = f"status {first.status_code}" if first.status_code != 200 else case.check(first)
    if problem:
        raise RuntimeError(f"{case.name}: {problem}\n{first.text[:1500]}")
    for _ in range(warmup):
        _send(client, case)
    times: list[float] = []
    html = wire = 0
    cpu_before = common.cpu_seconds(pid)
    for _ in range(requests):
        started = time.perf_counter()
        response = _send(client, case)
        times.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
        html, wire = len(response.content), response.num_bytes_downloaded
    cpu_ms = (common.cpu_seconds(pid) - cpu_before) * 1000 / max(1, requests)
    return Result(case, times, html, wire, cpu_ms, _rows(first))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--registry", type=int, default=1_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=10, help="in-process repetitions of the split")
    args = parser.parse_args()

    common.run(common.reset_database())
    registry_id, first_row = common.run(_seed(args.registry))  # type: ignore[misc]
    common.run(common.analyze())
    print(f"Registry {registry_id}: {args.registry:,} telegrams\n")

    print("In-process split (median of", args.repeats, "runs):\n")
    print("| part | figure |\n|---|---|")
    for label, figure in common.run(split(registry_id, args.repeats)):  # type: ignore[union-attr]
        print(f"| {label} | {figure} |")

    results: list[Result] = []
    with common.app_server() as server, closing(common.sign_in(server.base_url, OPERATOR)) as client:
        client.headers["Accept-Encoding"] = "gzip"
        for case in cases(registry_id, args.registry, first_row):
            result = time_case(client, case, args.requests, args.warmup, server.process.pid)
            results.append(result)
            print(f"  {case.name:32} p50 {common.percentile(result.times_ms, 50):7.1f} ms", flush=True)

    print(f"\nOver HTTP, {args.requests} sequential requests per case after {args.warmup} warm-up:\n")
    print("| case | p50 ms | p95 ms | app CPU ms | rows shown | HTML bytes | gzip bytes | target |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for r in results:
        print(
            f"| {r.case.name} | {common.percentile(r.times_ms, 50):.1f} | {common.percentile(r.times_ms, 95):.1f} "
            f"| {r.cpu_ms:.1f} | {r.rows:,} | {r.html_bytes:,} | {r.wire_bytes:,} | {r.verdict()} |"
        )
    print("\n```\n" + common.machine_summary() + "\n```")


if __name__ == "__main__":
    main()
