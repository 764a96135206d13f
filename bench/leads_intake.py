"""Lead intake throughput: 32 clients posting contacts at once to the real app, and nobody above max_load.

Generates a small organisation into a fresh ``crm_bench`` (the lead desk's operators come from it), five
operators on one source (weight 10 each), and a history of closed contacts (default 1,000,000 contacts of
600,000 leads, by COPY) so the unique indexes and the contacts table have the spec's "large" size. Then
starts the real app (``crm run``: uvicorn, one process) and, for each case, 32 clients on keep-alive
connections send ``POST /api/v1/contacts`` with ``X-Intake-Key`` as fast as the answers come back.
While they run, a separate connection samples every operator's load (the counter and the actual count of
open contacts) every 20 ms; the peak must never exceed max_load.

The clients speak HTTP/1.1 over asyncio streams (no HTTP library): on two cores the load generator shares
the CPU with the app and PostgreSQL, and a heavy client would make the app look slower than it is.

Spec target: at least 500 contacts/s with 32 concurrent clients, with no operator ever above max_load.

    .venv/bin/python bench/leads_intake.py [--contacts 2000] [--clients 32] [--history 1000000] [--users 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import common
import generate

TARGET_PER_S = 500.0
OPERATORS = 5
MAX_LOAD = 50


@dataclass
class Desk:
    source_id: int
    key: str
    operator_ids: list[int]


@dataclass
class Outcome:
    name: str
    contacts: int
    seconds: float
    latencies: list[float]
    statuses: dict[int, int]
    app_cpu_s: float
    peak_counter: int
    peak_actual: int
    max_load: int
    assigned: int
    notes: list[str] = field(default_factory=list)

    @property
    def per_s(self) -> float:
        return self.contacts / self.seconds


# --------------------------------------------------------------------------- data


async def set_up_desk(org: generate.Organisation) -> Desk:
    """Five operators (users with the operator role), one source with weight 10 for each, its intake key."""
    from crm.lib.security import new_opaque_token, token_digest

    conn = await common.connect()
    try:
        users = org.users_with_role("operator")[:OPERATORS]
        operator_ids = [
            await conn.fetchval(
                "INSERT INTO lead_operators (user_id, is_active, max_load) VALUES ($1, true, $2) RETURNING id",
                user_id,
                MAX_LOAD,
            )
            for user_id in users
        ]
        key = new_opaque_token("lik_")
        source_id = await conn.fetchval(
            "INSERT INTO lead_sources (name, intake_key_hash, intake_key_prefix) VALUES ($1, $2, $3) RETURNING id",
            "Сайт",
            token_digest(key),
            key[:12],
        )
        await conn.executemany(
            "INSERT INTO lead_competences (operator_id, source_id, weight) VALUES ($1, $2, 10)",
            [(op, source_id) for op in operator_ids],
        )
        return Desk(source_id=source_id, key=key, operator_ids=operator_ids)
    finally:
        await conn.close()


def history_phone(n: int) -> str:
    return f"+7916{n:07d}"


async def generate_history(desk: Desk, contacts: int, seed: int = 2026) -> int:
    """Closed contacts over the last year, 1.67 per lead on average; returns the number of leads."""
    if contacts <= 0:
        return 0
    rng = random.Random(seed)
    leads = max(1, int(contacts * 0.6))
    now = datetime.now(UTC)
    conn = await common.connect()
    try:
        lead_rows = []
        for n in range(1, leads + 1):
            created = now - timedelta(seconds=rng.randint(0, 365 * 86400))
            lead_rows.append(
                (n, f"tg:{n}" if n % 3 == 0 else None, history_phone(n), f"lead{n}@example.ru" if n % 2 else None,
                 f"Лид {n}", rng.choice(desk.operator_ids), created, created)
            )  # fmt: skip
        await conn.copy_records_to_table(
            "leads",
            records=lead_rows,
            columns=["id", "external_id", "phone", "email", "name", "operator_id", "created_at", "updated_at"],
        )
        del lead_rows
        chunk: list[tuple[object, ...]] = []
        for n in range(1, contacts + 1):
            lead = n if n <= leads else rng.randint(1, leads)
            created = now - timedelta(seconds=rng.randint(3600, 365 * 86400))
            chunk.append(
                (n, lead, desk.source_id, rng.choice(desk.operator_ids), "", "closed", "weight", "{}", created,
                 created, created + timedelta(minutes=rng.randint(1, 600)))
            )  # fmt: skip
            if len(chunk) == 200_000 or n == contacts:
                await conn.copy_records_to_table(
                    "lead_contacts", records=chunk,
                    columns=["id", "lead_id", "source_id", "operator_id", "message", "status", "reason_code",
                             "reason_params", "created_at", "assigned_at", "closed_at"],
                )  # fmt: skip
                chunk = []
        await conn.execute(
            "INSERT INTO lead_daily_counts (day, source_id, operator_id, contacts) "
            "SELECT (created_at AT TIME ZONE $1)::date, source_id, operator_id, count(*) FROM lead_contacts "
            "WHERE operator_id IS NOT NULL GROUP BY 1, 2, 3",
            "Europe/Moscow",
        )
        # identities continue after the copied ids
        await conn.execute("SELECT setval(pg_get_serial_sequence('leads', 'id'), $1)", leads)
        await conn.execute("SELECT setval(pg_get_serial_sequence('lead_contacts', 'id'), $1)", contacts)
        return leads
    finally:
        await conn.close()


# --------------------------------------------------------------------------- the load


class Client:
    """One keep-alive HTTP/1.1 connection that posts JSON and reads the status and the body."""

    def __init__(self, host: str, port: int, key: str) -> None:
        self.host, self.port, self.key = host, port, key

    async def __aenter__(self) -> Client:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.writer.close()

    async def post(self, body: bytes) -> tuple[int, bytes]:
        head = (
            f"POST /api/v1/contacts HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nContent-Type: application/json\r\n"
            f"X-Intake-Key: {self.key}\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        status = int((await self.reader.readline()).split()[1])
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
        return status, await self.reader.readexactly(length)


async def sample_loads(stop: asyncio.Event, peaks: dict[str, int]) -> None:
    conn = await common.connect()
    try:
        while not stop.is_set():
            # one statement, one snapshot: the counters and the actual counts of the same moment
            counter, actual = await conn.fetchrow(
                "SELECT (SELECT coalesce(max(open_count), 0) FROM lead_operators), "
                "(SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM lead_contacts "
                "WHERE status = 'open' AND operator_id IS NOT NULL GROUP BY operator_id) t)"
            )
            peaks["counter"] = max(peaks["counter"], counter)
            peaks["actual"] = max(peaks["actual"], actual)
            await asyncio.sleep(0.02)
    finally:
        await conn.close()


async def run_case(
    name: str, base_url: str, key: str, bodies: Sequence[bytes], clients: int, server_pid: int, max_load: int
) -> Outcome:
    url = urlsplit(base_url)
    work: Iterator[bytes] = iter(bodies)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors: list[str] = []

    async def one_client() -> None:
        async with Client(url.hostname or "127.0.0.1", url.port or 80, key) as client:
            for body in work:
                started = time.perf_counter()
                status, answer = await client.post(body)
                latencies.append(time.perf_counter() - started)
                statuses[status] = statuses.get(status, 0) + 1
                if status != 201 and len(errors) < 3:
                    errors.append(answer.decode(errors="replace")[:300])

    conn = await common.connect()
    assigned_before = await conn.fetchval("SELECT count(*) FROM lead_contacts WHERE assigned_at IS NOT NULL")
    peaks = {"counter": 0, "actual": 0}
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_loads(stop, peaks))
    cpu_before = common.cpu_seconds(server_pid)
    started = time.perf_counter()
    await asyncio.gather(*(one_client() for _ in range(clients)))
    seconds = time.perf_counter() - started
    cpu = common.cpu_seconds(server_pid) - cpu_before
    stop.set()
    await sampler
    assigned = await conn.fetchval("SELECT count(*) FROM lead_contacts WHERE assigned_at IS NOT NULL")
    await conn.close()
    return Outcome(
        name=name,
        contacts=len(bodies),
        seconds=seconds,
        latencies=latencies,
        statuses=statuses,
        app_cpu_s=cpu,
        peak_counter=peaks["counter"],
        peak_actual=peaks["actual"],
        max_load=max_load,
        assigned=assigned - assigned_before,
        notes=errors,
    )


# The desk's screens at this size, as the admin (sequential GETs on one keep-alive connection, gzip accepted).
PAGES = [
    ("unassigned queue", "/leads/queue", {}),
    ("all contacts (1M+), newest first", "/leads/contacts", {}),
    ("contacts of one operator, closed", "/leads/contacts?operator={op}&status=closed", {}),
    ("my contacts partial (htmx poll)", "/leads/my", {"HX-Request": "true", "HX-Target": "list"}),
    ("leads (600k), newest first", "/leads", {}),
    ("leads search by phone", "/leads?q=8 916 000 12 34", {}),
    ("leads search by name start", "/leads?q=Лид 4242", {}),
    ("lead card", "/leads/{lead}", {}),
    ("operators", "/leads/operators", {}),
    ("sources and weights", "/leads/sources", {}),
    ("statistics, last 30 days", "/leads/stats", {}),
    ("statistics, a whole year", "/leads/stats?from={year_ago}", {}),
]


def time_pages(base_url: str, desk: Desk, requests: int = 30) -> list[tuple[str, float, float, int]]:
    """(page, p50 ms, p95 ms, bytes) per screen; the admin of the generated organisation is also an operator."""
    client = common.sign_in(base_url)
    client.headers["Accept-Encoding"] = "gzip"
    year_ago = (datetime.now(UTC) - timedelta(days=365)).date().isoformat()
    results = []
    for name, template, headers in PAGES:
        url = template.format(op=desk.operator_ids[0], lead=4242, year_ago=year_ago)
        first = client.get(url, headers=headers)
        if first.status_code != 200:
            raise RuntimeError(f"{url}: {first.status_code}\n{first.text[:500]}")
        times = []
        for _ in range(requests):
            started = time.perf_counter()
            response = client.get(url, headers=headers)
            times.append((time.perf_counter() - started) * 1000)
        results.append((name, common.percentile(times, 50), common.percentile(times, 95), len(response.content)))
    return results


def pages_table(rows: Sequence[tuple[str, float, float, int]]) -> str:
    lines = ["| screen | p50 ms | p95 ms | HTML bytes |", "|---|---:|---:|---:|"]
    lines += [f"| {name} | {p50:.1f} | {p95:.1f} | {size:,} |" for name, p50, p95, size in rows]
    return "\n".join(lines)


def contact_body(phone: str, n: int) -> bytes:
    return json.dumps({"lead": {"phone": phone, "name": f"Клиент {n}"}, "message": "Хочу узнать цену"}).encode()


async def make_admin_an_operator(desk: Desk) -> None:
    """The admin also works the desk (one more operator with weight 0), so "my contacts" can be timed."""
    conn = await common.connect()
    try:
        admin = await conn.fetchval("SELECT id FROM users WHERE email = $1", common.ADMIN_EMAIL)
        await conn.execute(
            "INSERT INTO lead_operators (user_id, max_load) VALUES ($1, 0) ON CONFLICT (user_id) DO NOTHING", admin
        )
        await conn.execute(
            "INSERT INTO user_roles (user_id, role_id) SELECT $1, id FROM roles WHERE name = 'operator' "
            "ON CONFLICT DO NOTHING",
            admin,
        )
    finally:
        await conn.close()


async def reset_loads(desk: Desk, max_load: int) -> None:
    """Close what is open (with the counters, as closing does) and set every operator's max_load."""
    conn = await common.connect()
    try:
        await conn.execute("UPDATE lead_contacts SET status = 'closed', closed_at = now() WHERE status = 'open'")
        await conn.execute(
            "UPDATE lead_operators SET open_count = 0, max_load = $1 WHERE id = ANY($2)", max_load, desk.operator_ids
        )
        await conn.execute("VACUUM ANALYZE lead_contacts")
    finally:
        await conn.close()


# --------------------------------------------------------------------------- report


def table(outcomes: Sequence[Outcome]) -> str:
    lines = [
        "| case | contacts | clients | contacts/s | p50 ms | p95 ms | p99 ms | app CPU ms/contact | given to an "
        "operator | peak load (counter / actual) | max_load | non-201 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    for o in outcomes:
        ms = [v * 1000 for v in o.latencies]
        bad = sum(n for status, n in o.statuses.items() if status != 201)
        lines.append(
            f"| {o.name} | {o.contacts:,} | 32 | {o.per_s:,.0f} | {common.percentile(ms, 50):.1f} | "
            f"{common.percentile(ms, 95):.1f} | {common.percentile(ms, 99):.1f} | "
            f"{o.app_cpu_s / o.contacts * 1000:.2f} | "
            f"{o.assigned:,} | {o.peak_counter} / {o.peak_actual} | {o.max_load:,} | {bad} |"
        )
    return "\n".join(lines)


async def prepare(args: argparse.Namespace) -> tuple[Desk, int]:
    await common.reset_database()
    started = time.perf_counter()
    org = await generate.generate(users=args.users, reset=False)
    desk = await set_up_desk(org)
    leads = await generate_history(desk, args.history)
    await common.analyze()
    print(f"data: {args.users:,} users, {OPERATORS} operators, {leads:,} leads and {args.history:,} closed contacts "
          f"in {time.perf_counter() - started:.0f} s")  # fmt: skip
    return desk, leads


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contacts", type=int, default=2000, help="contacts per case")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--history", type=int, default=1_000_000, help="closed contacts generated beforehand")
    parser.add_argument("--users", type=int, default=2000, help="size of the generated organisation")
    parser.add_argument("--processes", type=int, default=1, help="uvicorn worker processes of the app (1–3)")
    parser.add_argument("--no-pages", dest="pages", action="store_false", help="skip timing the desk's screens")
    args = parser.parse_args(argv)

    desk, leads = asyncio.run(prepare(args))
    rng = random.Random(1)
    new_phones = [f"+7913{n:07d}" for n in range(3 * args.contacts)]
    known = [history_phone(rng.randint(1, leads)) for _ in range(args.contacts)] if leads else new_phones[:1]
    cases = [
        # the spec's case: five operators with max_load 50, so most contacts wait in the unassigned queue
        ("new leads, max_load 50 (most wait)", new_phones[: args.contacts], MAX_LOAD),
        ("new leads, room for every contact", new_phones[args.contacts : 2 * args.contacts], 1_000_000),
        ("returning leads (phone known), room for all", known, 1_000_000),
    ]
    outcomes = []
    asyncio.run(make_admin_an_operator(desk))
    with common.app_server(processes=args.processes) as server:
        for name, phones, max_load in cases:
            asyncio.run(reset_loads(desk, max_load))
            bodies = [contact_body(p, i) for i, p in enumerate(phones)]
            outcome = asyncio.run(
                run_case(name, server.base_url, desk.key, bodies, args.clients, server.process.pid, max_load)
            )
            outcomes.append(outcome)
            notes = f"; errors: {outcome.notes}" if outcome.notes else ""
            print(f"{name}: {outcome.per_s:,.0f} contacts/s{notes}")
        asyncio.run(common.analyze())
        pages = time_pages(server.base_url, desk) if args.pages else []
    print()
    print(table(outcomes))
    if pages:
        print()
        print(pages_table(pages))
    print()
    print(common.machine_summary())
    failed = [
        o.name
        for o in outcomes
        if o.per_s < TARGET_PER_S
        or max(o.peak_counter, o.peak_actual) > o.max_load
        or o.statuses.get(201) != o.contacts
    ]
    if failed:
        print(f"\nBelow the target of {TARGET_PER_S:.0f} contacts/s, above max_load or with errors: {failed}")
        return 1
    print(f"\nEvery case at or above {TARGET_PER_S:.0f} contacts/s; no operator above max_load.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
