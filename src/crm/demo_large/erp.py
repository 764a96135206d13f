"""ERP sales at the large size (clients of the managers, 26 months of invoice lines with seasonality, a long tail of
small buyers, credit notes), this year's goals of every manager sized on their own sales, strategies on clients and
goals, and tasks (past ones mostly done, some overdue, the rest ahead). By COPY."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from crm.demo_large.base import Days, Progress, Weighted, copy_records, next_id, pareto_weights, set_sequence
from crm.demo_large.crm import FORMS, WORDS
from crm.demo_large.org import Org

FAMILIES = ("Краски", "Лаки", "Грунтовки", "Инструмент", "Клеи", "Герметики")
PRODUCTS = 40  # per family
MONTHS = 26
TASK_TITLES = ("Позвонить клиенту", "Отправить КП", "Визит к клиенту", "Выставить счёт", "Согласовать скидку",
               "Подготовить договор", "Сверка взаиморасчётов", "Презентация новинок")  # fmt: skip
STRATEGY_NAMES = ("Рост продаж лаков", "Возврат ушедших клиентов", "Выход в сети", "Кросс-продажи инструмента",
                  "Новые клиенты в регионе", "Удержание крупных клиентов")  # fmt: skip


def _month_start(today: date, back: int) -> date:
    year, month = today.year, today.month - back
    while month < 1:
        year, month = year - 1, month + 12
    return date(year, month, 1)


async def sales(
    conn: Any, org: Org, clients: int, lines: int, rng: random.Random, progress: Progress | None
) -> tuple[list[int], dict[int, Any]]:
    """ERP clients and their invoice lines; returns the client ids and each client's responsible user id."""
    base = int(await conn.fetchval("SELECT coalesce(max(id), 0) FROM erp_clients")) + 1
    managers = org.managers
    by_activity = Weighted(managers, [m.activity for m in managers])
    now = datetime.now(UTC)
    ids = list(range(base, base + clients))
    owner = {cid: by_activity.draw(rng) for cid in ids}
    rows = []
    for cid in ids:
        name = f"{rng.choice(FORMS)} «{rng.choice(WORDS)}{rng.choice(WORDS).lower()} {cid}»"
        rows.append((cid, f"L-{cid:06d}", str(7_700_000_000 + cid), name, name.lower(), False, owner[cid].id, now, now))
    columns = (
        "id",
        "code",
        "inn",
        "name",
        "name_key",
        "is_new",
        "responsible_id",
        "created_at",
        "updated_at",
    )
    await copy_records(conn, "erp_clients", columns, rows)
    await set_sequence(conn, "erp_clients")
    today = date.today()
    first = _month_start(today, MONTHS - 1)
    # Clients start buying at different months (new ones in the last months) and some stopped buying.
    start = {cid: first if rng.random() < 0.85 else _month_start(today, rng.randrange(0, MONTHS)) for cid in ids}
    stop = {cid: today if rng.random() < 0.9 else _month_start(today, rng.randrange(1, 8)) for cid in ids}
    buyers = Weighted(ids, pareto_weights(clients, rng))
    days = Days(first, today)
    line_base = int(await conn.fetchval("SELECT coalesce(max(id), 0) FROM sales_lines")) + 1

    def line_rows() -> Any:
        for n in range(lines):
            cid = buyers.draw(rng)
            day = days.day(rng)
            if day < start[cid] or day >= stop[cid]:
                day = start[cid] + (stop[cid] - start[cid]) * rng.random() if stop[cid] > start[cid] else start[cid]
            family = FAMILIES[int(rng.triangular(0, len(FAMILIES), 0))]
            amount = Decimal(round(rng.lognormvariate(8.5, 1.0), 2)).quantize(Decimal("0.01"))
            if rng.random() < 0.03:
                amount = -amount / 4  # a credit note
            person = owner[cid]
            yield (line_base + n, day, f"LРН-{line_base + n}", f"{family} {rng.randrange(PRODUCTS) + 1}", 1, cid,
                   family, Decimal(rng.randint(1, 40)), amount, person.name, person.id, now, now)  # fmt: skip

    line_columns = ("id", "day", "invoice", "product", "line_no", "client_id", "family", "quantity", "amount",
               "salesperson", "salesperson_id", "created_at", "updated_at")  # fmt: skip
    await copy_records(conn, "sales_lines", line_columns, line_rows(), progress)
    await set_sequence(conn, "sales_lines")
    return ids, owner


async def goals(conn: Any, org: Org, rng: random.Random) -> list[tuple[int, Any]]:
    """Revenue, client count and new clients goals of every manager for this year, sized on last year's monthly
    figures (``client_month_sales`` must be built), some ambitious and some easy; returns (goal id, owner id)."""
    year = date.today().year
    figures = {
        r["responsible_id"]: r
        for r in await conn.fetch(
            "SELECT c.responsible_id, sum(m.revenue) / 12 AS revenue, count(DISTINCT m.client_id) / 12.0 AS buyers "
            "FROM client_month_sales m JOIN erp_clients c ON c.id = m.client_id "
            "WHERE m.month >= $1 AND m.month < $2 GROUP BY 1",
            date(year - 1, 1, 1),
            date(year, 1, 1),
        )
    }
    now = datetime.now(UTC)
    out: list[tuple[int, Any]] = []
    for m in org.managers:
        row = figures.get(m.id)
        monthly = Decimal(row["revenue"] or 0) if row else Decimal(100_000)
        buyers = Decimal(row["buyers"] or 0) if row else Decimal(5)
        ambition = Decimal(str(round(rng.uniform(0.9, 1.25), 2)))
        for variable, first in (
            ("revenue", monthly * ambition),
            ("client_count", (buyers * ambition).quantize(Decimal("1"))),
            ("new_clients", Decimal(rng.randint(1, 4))),
        ):
            goal_id = await conn.fetchval(
                "INSERT INTO goals (id, variable, family, responsible_id, year, name, created_at, updated_at) "
                "VALUES ((SELECT coalesce(max(id), 0) + 1 FROM goals), $1, '', $2, $3, '', $4, $4) RETURNING id",
                variable,
                m.id,
                year,
                now,
            )
            targets = [
                (goal_id, month, max(Decimal(1), (first * Decimal(str(1 + 0.01 * month))).quantize(Decimal("0.01"))))
                for month in range(1, 13)
            ]
            await copy_records(conn, "goal_targets", ("goal_id", "month", "target"), targets)
            out.append((goal_id, m.id))
    await set_sequence(conn, "goals")
    return out


async def strategies_and_tasks(
    conn: Any,
    org: Org,
    client_ids: list[int],
    owner: dict[int, Any],
    goal_ids: list[tuple[int, Any]],
    tasks: int,
    rng: random.Random,
    progress: Progress | None,
) -> int:
    """Two strategies per manager on a few of their clients and a goal; tasks by manager activity."""
    now = datetime.now(UTC)
    own: dict[Any, list[int]] = {}
    for cid in client_ids:
        own.setdefault(owner[cid].id, []).append(cid)
    goals_of: dict[Any, list[int]] = {}
    for gid, uid in goal_ids:
        goals_of.setdefault(uid, []).append(gid)
    strategy_of = await _strategies(conn, org, own, goals_of, rng, now)
    return await _tasks(conn, org, own, strategy_of, tasks, rng, progress, now)


async def _strategies(
    conn: Any,
    org: Org,
    own: dict[Any, list[int]],
    goals_of: dict[Any, list[int]],
    rng: random.Random,
    now: datetime,
) -> dict[Any, list[int]]:
    """Two strategies per manager, each on a few of the manager's clients and the manager's first goal; returns
    each manager's strategy ids."""
    today = date.today()
    strategy_of: dict[Any, list[int]] = {}
    for m in org.managers:
        for k in range(2):
            state = rng.choice(("planned", "in_progress", "in_progress", "finished"))
            sid = await conn.fetchval(
                "INSERT INTO strategies (id, name, description, state, owner_id, created_by_id, starts_on, ends_on, "
                "cost, expected_result, created_at, updated_at) VALUES ((SELECT coalesce(max(id), 0) + 1 FROM "
                "strategies), $1, '', $2, $3, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
                f"{STRATEGY_NAMES[(k + len(strategy_of)) % len(STRATEGY_NAMES)]}: {m.name}",
                state,
                m.id,
                today - timedelta(days=rng.randrange(30, 200)),
                today + timedelta(days=rng.randrange(30, 200)),
                Decimal(rng.randrange(10, 200) * 1000),
                Decimal(rng.randrange(100, 2000) * 1000),
                now,
            )
            strategy_of.setdefault(m.id, []).append(sid)
            mine = own.get(m.id, [])
            links = rng.sample(mine, min(len(mine), rng.randint(1, 5)))
            await copy_records(conn, "strategy_clients", ("strategy_id", "client_id"), [(sid, c) for c in links])
            if goals_of.get(m.id):
                await copy_records(conn, "strategy_goals", ("strategy_id", "goal_id"), [(sid, goals_of[m.id][0])])
    await set_sequence(conn, "strategies")
    return strategy_of


async def _tasks(
    conn: Any,
    org: Org,
    own: dict[Any, list[int]],
    strategy_of: dict[Any, list[int]],
    tasks: int,
    rng: random.Random,
    progress: Progress | None,
    now: datetime,
) -> int:
    """``tasks`` tasks drawn by manager activity over the past year and the next four months (a tenth of them
    visits), some on the manager's clients and strategies."""
    by_activity = Weighted(org.managers, [m.activity for m in org.managers])
    first = await next_id(conn, "tasks")
    statuses_past = ("done",) * 13 + ("cancelled",) + ("todo",) * 3 + ("in_progress",) * 2

    def rows() -> Any:
        for n in range(tasks):
            m = by_activity.draw(rng)
            due = now + timedelta(minutes=rng.randrange(-365 * 24 * 60, 120 * 24 * 60))
            due = due.replace(minute=0, second=0, microsecond=0)
            status = rng.choice(statuses_past) if due < now else rng.choice(("todo", "todo", "in_progress", "done"))
            done = due if status in ("done", "cancelled") else None
            mine = own.get(m.id)
            client = rng.choice(mine) if mine and rng.random() < 0.6 else None
            strategy = rng.choice(strategy_of[m.id]) if rng.random() < 0.15 else None
            visit = rng.random() < 0.1
            yield (first + n, rng.choice(TASK_TITLES) if not visit else "Визит к клиенту", "",
                   rng.choice(("low", "medium", "medium", "high")), status, m.id, m.id, due, done, client,
                   strategy, f"г. Москва, ул. Тверская, {rng.randint(1, 40)}" if visit else "",
                   due - timedelta(days=3), done or due - timedelta(days=3))  # fmt: skip

    columns = ("id", "title", "description", "priority", "status", "assignee_id", "creator_id", "due_at",
               "completed_at", "client_id", "strategy_id", "address", "created_at", "updated_at")  # fmt: skip
    written = await copy_records(conn, "tasks", columns, rows(), progress)
    await set_sequence(conn, "tasks")
    return written
