"""The registry page (`GET /registries/{id}`) of a 1,000-telegram registry: server time over HTTP, and the cost
split in-process into SQL, template and the per-row edit controls.

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
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import common
import httpx

logging.getLogger("httpx").setLevel(logging.WARNING)

common.BENCH_DB = "crm_bench_registry"
common.PG_DSN = f"{common.PG_SERVER}/{common.BENCH_DB}"
common.BENCH_ENV["CRM_DATABASE_URL"] = common.BENCH_ENV["CRM_DATABASE_URL"].rsplit("/", 1)[0] + "/" + common.BENCH_DB
common.os.environ["CRM_DATABASE_URL"] = common.BENCH_ENV["CRM_DATABASE_URL"]

TARIFF_FIXTURE = common.ROOT.parent / "shared" / "fixtures" / "telegrams" / "tariffs.django-fixture.json"
REGISTRY_DAY = date(2022, 8, 15)
OPERATOR = "pok-2@example.com"
P95_TARGET_MS = 150.0
PARTIAL_TARGET_BYTES = 40 * 1024


# --------------------------------------------------------------------------- data


async def _seed(registry_size: int) -> int:
    from sqlalchemy import select, update

    from crm.features.accounts import services as accounts
    from crm.features.accounts.models import User
    from crm.features.tariffs import demo, journal, registries, tariff_import
    from crm.features.tariffs.models import RegistryRecord, TelegramClient
    from crm.lib.db import alchemy_config

    config = alchemy_config()
    try:
        async with config.get_session() as session:
            content = (
                TARIFF_FIXTURE.read_bytes() if TARIFF_FIXTURE.exists() else json.dumps(demo.tariff_fixture()).encode()
            )
            await tariff_import.import_fixture(session, content)
            await accounts.create_user(
                session,
                email=OPERATOR,
                password=common.PASSWORD,
                name="Покровская",
                roles=["telegraph"],
                telegraph_prefix="123002",
            )
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
            ids = [d.telegram.id for d in await registries.office_day(session, user, REGISTRY_DAY)]
            registry, added = await registries.add_telegrams(session, user, REGISTRY_DAY, ids)
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
            return int(registry.id)
    finally:
        await config.get_engine().dispose()


# --------------------------------------------------------------------------- in-process split


def _ms(seconds: list[float]) -> float:
    return statistics.median(seconds) * 1000


async def split(registry_id: int, repeats: int) -> list[tuple[str, str]]:
    """Statements and time of building the page's context (SQL + ORM), then the Jinja render of the records
    block, editable (the operator's draft) and read-only (what billing staff see), median of ``repeats``."""
    from jinja2_fragments import render_block
    from sqlalchemy import event, select

    from crm.app import create_app
    from crm.features.accounts.models import User
    from crm.features.tariffs import registries, registry_pages
    from crm.lib import i18n
    from crm.lib.db import alchemy_config

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
            user = await session.scalar(select(User).where(User.email == OPERATOR))
            registry = await registries.get_visible(session, user, registry_id)
            assert user is not None and registry is not None
            build = registry_pages._context
            sql: list[float] = []
            context: dict[str, Any] = {}
            for _ in range(repeats):
                session.expunge_all()
                user = await session.scalar(select(User).where(User.email == OPERATOR))
                registry = await registries.get_visible(session, user, registry_id)
                statements.clear()
                event.listen(engine.sync_engine, "before_cursor_execute", capture)
                started = time.perf_counter()
                context = await build(session, user, registry)
                sql.append(time.perf_counter() - started)
                event.remove(engine.sync_engine, "before_cursor_execute", capture)
            out.append(("context: SQL + ORM objects", f"{_ms(sql):.1f} ms, {len(statements)} statements"))
            db_ms = await _explain(statements)
            out.append(("  of which PostgreSQL execution (EXPLAIN ANALYZE)", f"{db_ms:.1f} ms"))
            for label, editable in (("records block, editable (operator)", True), ("read-only (billing)", False)):
                ctx = {**context, "editable": editable, "user": user, "csrf_input": ""}
                if not editable:
                    ctx.update(clients=[], countries=[])
                times: list[float] = []
                html = ""
                for _ in range(repeats):
                    started = time.perf_counter()
                    html = render_block(env, "tariffs/registry.html", "records", ctx)
                    times.append(time.perf_counter() - started)
                out.append(
                    (
                        f"render {label}",
                        f"{_ms(times):.1f} ms, {len(html.encode()):,} bytes, {html.count('<select'):,} selects, "
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
class Case:
    name: str
    path: str
    params: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    check: Callable[[httpx.Response], str | None] = lambda r: None
    page: bool = True
    partial: bool = False


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


def cases(registry_id: int, size: int) -> list[Case]:
    url = f"/registries/{registry_id}"
    partial = {"HX-Request": "true", "HX-Target": "records"}
    return [
        Case("whole page", url, check=lambda r: None if _rows(r) else "no rows"),
        Case(
            "htmx partial #records", url, headers=partial, partial=True, check=lambda r: None if _rows(r) else "no rows"
        ),
    ]


def time_case(client: httpx.Client, case: Case, requests: int, warmup: int, pid: int) -> Result:
    first = client.get(case.path, params=case.params, headers=case.headers)
    problem = f"status {first.status_code}" if first.status_code != 200 else case.check(first)
    if problem:
        raise RuntimeError(f"{case.name}: {problem}\n{first.text[:1500]}")
    for _ in range(warmup):
        client.get(case.path, params=case.params, headers=case.headers)
    times: list[float] = []
    html = wire = 0
    cpu_before = common.cpu_seconds(pid)
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(case.path, params=case.params, headers=case.headers)
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
    registry_id = common.run(_seed(args.registry))
    common.run(common.analyze())
    print(f"Registry {registry_id}: {args.registry:,} telegrams\n")

    print("In-process split (median of", args.repeats, "runs):\n")
    print("| part | figure |\n|---|---|")
    for label, figure in common.run(split(registry_id, args.repeats)):  # type: ignore[union-attr]
        print(f"| {label} | {figure} |")

    results: list[Result] = []
    with common.app_server() as server, closing(common.sign_in(server.base_url, OPERATOR)) as client:
        client.headers["Accept-Encoding"] = "gzip"
        for case in cases(registry_id, args.registry):
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
