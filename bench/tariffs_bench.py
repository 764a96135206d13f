"""Telegrams and tariffs: import of 100,000 generated journal rows, auto-tariffication of a 1,000-telegram
registry, and the registry page of those 1,000 rows (its first page of 50; see bench/registry_page.py).

    .venv/bin/python bench/tariffs_bench.py [--telegrams 100000] [--registry 1000]

The journal is generated in the old tool's format (Windows-1251, ';') by the slice's own generator
(crm.features.tariffs.demo.generate_journal) and imported by the real command, `crm telegrams import FILE`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import common

# A database of its own: other benchmarks (which recreate crm_bench) may run at the same time.
common.BENCH_DB = "crm_bench_tariffs"
common.PG_DSN = f"{common.PG_SERVER}/{common.BENCH_DB}"
common.BENCH_ENV["CRM_DATABASE_URL"] = common.BENCH_ENV["CRM_DATABASE_URL"].rsplit("/", 1)[0] + "/" + common.BENCH_DB
common.os.environ["CRM_DATABASE_URL"] = common.BENCH_ENV["CRM_DATABASE_URL"]

TARIFF_FIXTURE = common.ROOT.parent / "shared" / "fixtures" / "telegrams" / "tariffs.django-fixture.json"
REGISTRY_DAY = date(2022, 8, 15)


def timed(args: list[str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, check=False, cwd=common.ROOT)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return seconds, done.stdout.strip().splitlines()[0]


async def seed_tariffs_and_operator(session: Any, email: str = "pok-2@example.com") -> None:
    """The old tool's tariffs (or the demo's) and a telegraph operator of office 123002 (not committed)."""
    from crm.features.accounts import services as accounts
    from crm.features.tariffs import demo, tariff_import

    content = TARIFF_FIXTURE.read_bytes() if TARIFF_FIXTURE.exists() else json.dumps(demo.tariff_fixture()).encode()
    await tariff_import.import_fixture(session, content)
    await accounts.create_user(
        session,
        email=email,
        password=common.PASSWORD,
        name="Покровская",
        roles=["telegraph"],
        telegraph_prefix="123002",
    )


async def _seed_tariffs_and_operator() -> None:
    from crm.lib.db import alchemy_config

    config = alchemy_config()
    try:
        async with config.get_session() as session:
            await seed_tariffs_and_operator(session)
            await session.commit()
    finally:
        await config.get_engine().dispose()


async def _tariffication(registry_size: int) -> dict[str, float]:
    """Add the day's telegrams to a registry (detect + price + insert), then re-price every row."""
    from sqlalchemy import select

    from crm.features.accounts.models import User
    from crm.features.tariffs import registry_day, registry_rows
    from crm.features.tariffs.models import Registry
    from crm.lib.db import alchemy_config

    config = alchemy_config()
    figures: dict[str, float] = {}
    try:
        async with config.get_session() as session:
            user = await session.scalar(select(User).where(User.email == "pok-2@example.com"))
            day = await registry_day.office_day(session, user, REGISTRY_DAY)
            ids = [d.telegram.id for d in day][:registry_size]
            if len(ids) != registry_size:
                raise SystemExit(f"expected {registry_size} telegrams on {REGISTRY_DAY}, found {len(ids)}")
            started = time.perf_counter()
            registry, added = await registry_day.add_telegrams(session, user, REGISTRY_DAY, ids)
            await session.commit()
            figures["add"] = time.perf_counter() - started
            assert added == registry_size, added
            registry_id = registry.id
            started = time.perf_counter()
            repriced = await registry_rows.reprice_all(session, user, registry_id)
            await session.commit()
            figures["reprice"] = time.perf_counter() - started
            assert repriced == registry_size
            figures["registry_id"] = registry_id
            status = await session.scalar(select(Registry.status).where(Registry.id == registry_id))
            assert status == "draft"
    finally:
        await config.get_engine().dispose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--telegrams", type=int, default=100_000)
    parser.add_argument("--registry", type=int, default=1_000)
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    from crm.features.tariffs.demo import generate_journal

    common.run(common.reset_database())
    common.run(_seed_tariffs_and_operator())
    work = Path(tempfile.mkdtemp(prefix="crm-bench-tlg-"))
    started = time.perf_counter()
    per_day = 1_000
    days = max(1, args.telegrams // per_day)
    bulk = generate_journal(date(2022, 9, 1), days, per_day, seed=7)
    (work / "journal.csv").write_bytes(bulk)
    office = generate_journal(REGISTRY_DAY, 1, args.registry, seed=8, offices=[("123002/02", "2/")], prefix="r")
    (work / "registry-day.csv").write_bytes(office)
    generated = time.perf_counter() - started

    crm = str(common.VENV_BIN / "crm")
    first, first_line = timed([crm, "telegrams", "import", str(work / "journal.csv")])
    again, again_line = timed([crm, "telegrams", "import", str(work / "journal.csv")])
    timed([crm, "telegrams", "import", str(work / "registry-day.csv")])
    common.run(common.analyze())
    figures = common.run(_tariffication(args.registry))

    page_times: list[float] = []
    with common.app_server() as server:
        client = common.sign_in(server.base_url, "pok-2@example.com")
        url = f"/registries/{int(figures['registry_id'])}"
        response = client.get(url)
        shown = response.text.count('<tr id="rec-')  # a page of 50 rows; bench/registry_page.py splits the cost
        assert response.status_code == 200 and shown == min(50, args.registry), (response.status_code, shown)
        for _ in range(args.requests):
            started = time.perf_counter()
            client.get(url).raise_for_status()
            page_times.append(time.perf_counter() - started)

    print(f"\n## Telegrams and tariffs ({date.today():%Y-%m-%d})\n")
    print("| what | figure |")
    print("|---|---|")
    print(f"| generate {days * per_day:,} journal rows (cp1251 CSV, {len(bulk) / 1e6:.1f} MB) | {generated:.1f} s |")
    print(
        f"| `crm telegrams import` of {days * per_day:,} new telegrams | {first:.1f} s "
        f"({days * per_day / first:,.0f} rows/s) — {first_line} |"
    )
    print(f"| the same file again (nothing changes) | {again:.1f} s — {again_line} |")
    print(f"| add {args.registry:,} telegrams to a registry (detect, price, insert) | {figures['add']:.2f} s |")
    print(f"| re-price the {args.registry:,}-row registry (auto-tariffication) | {figures['reprice']:.2f} s |")
    print(
        f"| `GET /registries/{{id}}` of {args.registry:,} rows (first page of 50), median of {args.requests} | "
        f"{statistics.median(page_times) * 1000:.0f} ms (p95 {common.percentile(page_times, 95) * 1000:.0f} ms) |"
    )
    print("\n```\n" + common.machine_summary() + "\n```")


if __name__ == "__main__":
    main()
