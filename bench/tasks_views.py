"""Server time of the task views with 1,000,000 tasks of 200 managers: the board, the calendar (month), the list
(first page, overdue, sorted by due date descending, a page far down) and the size of "my day" on a phone.

Data: the spec's organisation (2,000 users), 200 managers of the sales departments with 5,000 tasks each over two
years around today (65 % done, 5 % cancelled, 20 % to do, 10 % in progress; a tenth created by someone else),
plus today's visits of one manager. Timed as that manager, as a head (department subtree) and as the admin (all).

    .venv/bin/python bench/tasks_views.py [--tasks 1000000] [--requests 30] [--reuse]
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import os
import random
import time
from collections.abc import Sequence
from contextlib import closing
from datetime import UTC, datetime, timedelta

os.environ.setdefault("CRM_BENCH_DB", "crm_bench_tasks")  # its own database: others reset crm_bench

import common
import generate
import httpx
from common import Case
from users_list import Result, table, time_case

MANAGERS = 200
STATUSES = ("done",) * 13 + ("cancelled",) + ("todo",) * 4 + ("in_progress",) * 2
PRIORITIES = ("low", "medium", "medium", "high")
TITLES = ("Позвонить клиенту", "Отправить КП", "Визит к клиенту", "Выставить счёт", "Согласовать скидку")


def _has(text: str):  # type: ignore[no-untyped-def]
    return lambda r: None if text in r.text else f"{text!r} not in the answer"


async def generate_tasks(org: generate.Organisation, total: int, seed: int = 5) -> dict[str, str]:
    rng = random.Random(seed)
    managers = org.users_with_role("manager")[:MANAGERS]
    conn = await common.connect()
    try:
        now = datetime.now(UTC)
        per = total // len(managers)
        batch: list[tuple[object, ...]] = []
        next_id = 1
        for m in managers:
            for _ in range(per):
                due = now + timedelta(minutes=rng.randrange(-540 * 24 * 60, 180 * 24 * 60))
                status = rng.choice(STATUSES) if due < now else rng.choice(("todo", "todo", "in_progress", "done"))
                creator = m if rng.random() < 0.9 else rng.choice(managers)
                closed = due if status in ("done", "cancelled") else None
                batch.append(
                    (
                        next_id,
                        rng.choice(TITLES),
                        "",
                        rng.choice(PRIORITIES),
                        status,
                        m,
                        creator,
                        due,
                        closed,
                        "",
                        due - timedelta(days=3),
                        closed or due - timedelta(days=3),
                    )
                )
                next_id += 1
                if len(batch) >= 100_000:
                    await _copy(conn, batch)
                    batch = []
        manager = managers[0]
        today = datetime.now(UTC).replace(hour=7, minute=0, second=0, microsecond=0)
        for i in range(6):
            batch.append(
                (
                    next_id,
                    f"Визит {i + 1}",
                    "",
                    "medium",
                    "todo",
                    manager,
                    manager,
                    today + timedelta(hours=i),
                    None,
                    f"Москва, ул. Тверская, {i + 1}",
                    now,
                    now,
                )
            )
            next_id += 1
        await _copy(conn, batch)
        await conn.execute(f"SELECT setval('tasks_id_seq', {next_id})")
        for column in ("assignee_id", "creator_id"):  # as migration 0015 does (the bench builds from the models)
            await conn.execute(f"ALTER TABLE tasks ALTER COLUMN {column} SET STATISTICS 1000")
        emails = await conn.fetch("SELECT u.email, u.id FROM users u WHERE u.id = ANY($1::uuid[])", [manager])
        head = await conn.fetchval(
            "SELECT u.email FROM users u JOIN user_roles ur ON ur.user_id = u.id JOIN roles r ON r.id = ur.role_id "
            "WHERE r.name = 'head' AND u.is_active "
            "AND u.department_id = (SELECT department_id FROM users WHERE id = $1) LIMIT 1",
            manager,
        )
        return {"manager": emails[0]["email"], "head": head or common.ADMIN_EMAIL}
    finally:
        await conn.close()


async def _copy(conn: object, rows: list[tuple[object, ...]]) -> None:
    columns = (
        "id",
        "title",
        "description",
        "priority",
        "status",
        "assignee_id",
        "creator_id",
        "due_at",
        "completed_at",
        "address",
        "created_at",
        "updated_at",
    )
    await generate.copy_records(conn, "tasks", columns, rows)  # type: ignore[arg-type]


def cases() -> tuple[Case, ...]:
    return (
        Case("board", "/tasks", check=_has("tk-columns")),
        Case("board, open only", "/tasks", {"status": "todo,in_progress"}, check=_has("tk-columns")),
        Case("calendar month", "/tasks/calendar", check=_has("tk-cal-grid")),
        Case("calendar week", "/tasks/calendar", {"mode": "week"}, check=_has("tk-cal-grid")),
        Case("list", "/tasks/list", check=_has("table")),
        Case("list overdue", "/tasks/list", {"overdue": "true"}, check=_has("table")),
        Case("list sort=-due_at", "/tasks/list", {"sort": "-due_at"}, check=_has("table")),
        Case("list page 20", "/tasks/list", {"page": "20"}, check=_has("table")),
        Case(
            "list partial #list",
            "/tasks/list",
            headers={"HX-Request": "true", "HX-Target": "list"},
            check=_has('id="list"'),
            partial=True,
        ),
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--reuse", action="store_true", help="keep the tasks already generated")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if args.reuse:
        who = asyncio.run(_who())
    else:
        org = asyncio.run(generate.generate(users=2_000))
        who = asyncio.run(generate_tasks(org, args.tasks))
        asyncio.run(common.analyze())
        print(f"Generated {generate.summary(org)} + {args.tasks:,} tasks in {time.perf_counter() - started:.1f} s")
    results: list[Result] = []
    with common.app_server() as server:
        for role, email in (("manager", who["manager"]), ("head", who["head"]), ("admin", common.ADMIN_EMAIL)):
            with closing(common.sign_in(server.base_url, email)) as client:
                for case in cases():
                    case = Case(
                        f"{role}: {case.name}", case.path, case.params, case.headers, case.check, partial=case.partial
                    )
                    result = time_case(client, case, args.requests, args.warmup, server.process.pid)
                    results.append(result)
                    print(f"  {case.name:34} p50 {result.p50:7.1f} ms  p95 {result.p95:7.1f} ms", flush=True)
                if role == "manager":
                    my_day = client.get("/my-day")
                    js = sum(
                        len(gzip.compress(httpx.get(f"{server.base_url}{p}").content))
                        for p in ("/static/vendor/htmx-2.0.8.min.js", "/static/app.js", "/static/tasks.js")
                    )
                    print(f"  my day: {len(my_day.content):,} bytes of HTML, {js:,} bytes of JS (gzip) on load")
    print(f"\nTask views: {args.tasks:,} tasks of {MANAGERS} managers, {args.requests} requests per case\n")
    print(table(results))


async def _who() -> dict[str, str]:
    conn = await common.connect()
    try:
        manager = await conn.fetchval(
            "SELECT u.email FROM tasks t JOIN users u ON u.id = t.assignee_id WHERE t.title LIKE 'Визит %' LIMIT 1"
        )
        head = await conn.fetchval(
            "SELECT h.email FROM users u JOIN users h ON h.department_id = u.department_id "
            "JOIN user_roles ur ON ur.user_id = h.id JOIN roles r ON r.id = ur.role_id "
            "WHERE u.email = $1 AND r.name = 'head' AND h.is_active LIMIT 1",
            manager,
        )
        return {"manager": manager, "head": head or common.ADMIN_EMAIL}
    finally:
        await conn.close()


if __name__ == "__main__":
    main()
