"""Benchmark: a full Bitrix24 import from the emulator at its real rate limit.

The emulator runs in its own process (``python -m tests.emulators.bitrix24``) with a generated portal and the
cloud's leaky bucket (2 requests/s drained, 50 deep); the import is the real job (``jobs.execute`` of a
``full`` run: keyset pages chained 50 to a ``batch``, upserts into PostgreSQL, figures rebuilt at the end)
with the client's own bucket (2/s, burst 40). The bound is 2 requests/s × 50 commands × 50 rows = 5,000
rows/s; the ratio is rows fetched per second of wall time divided by that bound (target ≥ 0.9).

    .venv/bin/python bench/bitrix24_import.py                       # 50,000 / 200,000 / 350,000 + 150,000
    .venv/bin/python bench/bitrix24_import.py --companies 5000 --rate 2   # a quicker look

Last figures (2026-11-22, 2 vCPU): 50,000 companies, 200,000 deals, 350,000 activities, 150,000 calls (plus
46,030 requisites and 44,088 addresses) in 348 requests and 158.3 s: 5,306 rows/s, ratio 1.06 (0.95 counting
the four main lists only). See bench/README.md, "Bitrix24 import".
"""

from __future__ import annotations

import argparse
import math
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import common  # sets the CRM_* environment before anything from crm is imported
import httpx

ROOT = Path(__file__).resolve().parents[1]
# a database of its own: other benchmarks reset ``crm_bench`` and may run at the same time
common.BENCH_DB = "crm_bench_bitrix24"
common.PG_DSN = f"{common.PG_SERVER}/{common.BENCH_DB}"
os.environ["CRM_DATABASE_URL"] = (
    f"{common.PG_SERVER.replace('postgresql://', 'postgresql+asyncpg://')}/{common.BENCH_DB}"
)


def start_emulator(args: argparse.Namespace, port: int) -> subprocess.Popen[bytes]:
    cmd = [
        sys.executable,
        "-m",
        "tests.emulators.bitrix24",
        "--port",
        str(port),
        "--seed",
        "1",
        "--companies",
        str(args.companies),
        "--deals",
        str(args.deals),
        "--activities",
        str(args.activities),
        "--calls",
        str(args.calls),
        "--rate",
        str(args.rate),
        "--bucket",
        "50",
    ]
    process = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.time() + 900
    while time.time() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the emulator exited: {process.stdout.read().decode() if process.stdout else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                pass
            if httpx.get(f"http://127.0.0.1:{port}/", timeout=2).status_code == 404:  # not /rest: no bucket token
                return process
        except OSError:
            pass
        time.sleep(0.5)
    process.kill()
    raise SystemExit("the emulator did not start in 15 minutes")


async def import_all(webhook: str, rate: float) -> dict[str, object]:
    from crm.features.clients import jobs
    from crm.features.clients.connection import encrypt, settings_row
    from crm.lib.db import alchemy_config

    config = alchemy_config()
    try:
        async with config.get_session() as session:
            row = await settings_row(session)
            row.mode, row.webhook_url_enc, row.rate = "webhook", encrypt(webhook), rate
            run = await jobs.create_run(session, "full")
            await session.commit()
        started = time.perf_counter()
        outcome = await jobs.execute(config.get_session, run.id)
        wall = time.perf_counter() - started
        return {
            "status": outcome.status,
            "error": outcome.error,
            "counts": dict(outcome.counts),
            "requests": outcome.requests,
            "wall": wall,
            "started": outcome.started_at,
            "finished": outcome.finished_at,
        }
    finally:
        await config.get_engine().dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=50_000)
    parser.add_argument("--deals", type=int, default=None)
    parser.add_argument("--activities", type=int, default=None)
    parser.add_argument("--calls", type=int, default=None)
    parser.add_argument("--rate", type=float, default=2.0)
    args = parser.parse_args()
    args.deals = args.deals if args.deals is not None else args.companies * 4
    args.activities = args.activities if args.activities is not None else args.companies * 7
    args.calls = args.calls if args.calls is not None else args.companies * 3
    common.run(common.reset_database())
    port = common.free_port()
    t0 = time.perf_counter()
    emulator = start_emulator(args, port)
    print(f"emulator ready in {time.perf_counter() - t0:.0f} s (generating the portal)", flush=True)
    try:
        result = common.run(import_all(f"http://127.0.0.1:{port}/rest/1/hookcode0123456789/", args.rate))
    finally:
        emulator.terminate()
        emulator.wait(10)
    counts = result["counts"]  # type: ignore[index]
    main_rows = sum(int(counts.get(k, 0)) for k in ("companies", "deals", "activities", "calls"))  # type: ignore[union-attr]
    all_rows = main_rows + sum(int(counts.get(k, 0)) for k in ("requisites", "addresses"))  # type: ignore[union-attr]
    wall = float(result["wall"])  # type: ignore[arg-type]
    bound = args.rate * 50 * 50
    minimal = sum(
        math.ceil(int(counts.get(k, 0)) / 2500)
        for k in ("companies", "deals", "activities", "calls", "requisites", "addresses")  # type: ignore[union-attr]
    )
    print(f"status: {result['status']} {result['error'] or ''}")
    print(
        f"rows: companies {counts.get('companies')}, deals {counts.get('deals')}, "  # type: ignore[union-attr]
        f"activities {counts.get('activities')}, calls {counts.get('calls')}, "  # type: ignore[union-attr]
        f"requisites {counts.get('requisites')}, addresses {counts.get('addresses')}"
    )  # type: ignore[union-attr]
    print(f"requests: {result['requests']} (list pages alone need ≥ {minimal} at 2,500 rows per request)")
    print(
        f"wall time: {wall:.1f} s (whole job: reference data, totals, six keyset streams, denormalisation, "
        f"figures rebuild)"
    )
    print(
        f"throughput: {all_rows / wall:,.0f} rows/s of all lists, {main_rows / wall:,.0f} rows/s of the four "
        f"main lists; bound {bound:,.0f} rows/s"
    )
    print(
        f"ratio: {all_rows / wall / bound:.2f} (all rows), {main_rows / wall / bound:.2f} (companies, deals, "
        f"activities, calls only)"
    )
    print(f"machine: {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
