"""The lead desk and the telegraph office at the large size: the operators of the call centre on the desk with
competences for every source, a year of closed contacts (and their leads) given out by operator weight; the
telegram journal of the last months in the old tool's format, read by the slice's own parser. By COPY."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from crm.demo_large.base import Progress, Weighted, copy_records, next_id, person_name, set_sequence
from crm.demo_large.org import Org
from crm.features.leads.demo import MESSAGES
from crm.features.leads.distribution import WEIGHT
from crm.features.leads.models import OUTCOMES
from crm.features.tariffs.demo import OFFICES, generate_journal
from crm.features.tariffs.journal import DATA_FIELDS, JournalSummary, read_rows
from crm.lib.i18n import local_today


async def lead_desk(conn: Any, org: Org, contacts: int, rng: random.Random, progress: Progress | None) -> int:
    """Operators with competences, leads (60 % of the contact count) and closed contacts over the last year."""
    now = datetime.now(UTC)
    sources = [r["id"] for r in await conn.fetch("SELECT id FROM lead_sources ORDER BY id")]
    if not sources:
        return 0
    operators = org.with_role("operator")
    first_op = await next_id(conn, "lead_operators")
    await copy_records(
        conn,
        "lead_operators",
        ("id", "user_id", "is_active", "max_load", "open_count", "created_at"),
        [(first_op + i, p.id, True, rng.randint(5, 20), 0, now) for i, p in enumerate(operators)],
    )
    await set_sequence(conn, "lead_operators")
    op_ids = list(range(first_op, first_op + len(operators)))
    weights = {op: rng.randint(1, 20) for op in op_ids}
    await copy_records(
        conn,
        "lead_competences",
        ("operator_id", "source_id", "weight"),
        [(op, s, weights[op]) for op in op_ids for s in sources],
    )
    by_weight = Weighted(op_ids, [weights[op] for op in op_ids])
    source_weights = Weighted(sources, [3 ** -(i % 3) for i in range(len(sources))])
    base = int(await conn.fetchval("SELECT coalesce(max(id), 0) FROM leads")) + 1
    leads = max(1, int(contacts * 0.6))

    def lead_rows() -> Any:
        for n in range(leads):
            first, last = person_name(rng)
            created = now - timedelta(seconds=rng.randint(86400, 365 * 86400))
            email = f"lead{base + n}@example.net" if rng.random() < 0.5 else None
            yield (base + n, f"+7801{base + n:07d}", email, f"{first} {last}", by_weight.draw(rng), created, created)

    columns = ("id", "phone", "email", "name", "operator_id", "created_at", "updated_at")
    written = await copy_records(conn, "leads", columns, lead_rows(), progress)

    first = await next_id(conn, "lead_contacts")

    def contact_rows() -> Any:
        for n in range(contacts):
            created = now - timedelta(seconds=rng.randint(86400, 365 * 86400))
            lead = base + (n if n < leads else rng.randrange(leads))
            closed = created + timedelta(minutes=rng.randint(3, 600))
            yield (first + n, lead, source_weights.draw(rng), by_weight.draw(rng), rng.choice(MESSAGES), "closed",
                   WEIGHT, "{}", created, created, closed, rng.choice(OUTCOMES))  # fmt: skip

    contact_columns = ("id", "lead_id", "source_id", "operator_id", "message", "status", "reason_code", "reason_params",
               "created_at", "assigned_at", "closed_at", "outcome")  # fmt: skip
    written += await copy_records(conn, "lead_contacts", contact_columns, contact_rows(), progress)
    await set_sequence(conn, "leads")
    await set_sequence(conn, "lead_contacts")
    return written


async def telegrams(conn: Any, count: int, progress: Progress | None) -> int:
    """``count`` telegrams over the days before today (400 a day), through the journal parser of the tariffs
    slice; the demo's offices, so each telegraph operator sees the office of their channel prefix."""
    per_day = min(400, count)
    days = max(1, count // per_day)
    today = local_today()
    first = today - timedelta(days=days)
    first_id = await next_id(conn, "telegrams")
    ids = iter(range(first_id, first_id + days * per_day))

    def rows() -> Any:
        for offset in range(days):
            day = first + timedelta(days=offset)
            content = generate_journal(day, 1, per_day, seed=day.toordinal(), offices=OFFICES, prefix="L")
            for _line, data in read_rows(content, JournalSummary()):
                yield (next(ids), data["un_name"], *(data[f] for f in DATA_FIELDS), now, now)

    now = datetime.now(UTC)
    columns = ("id", "un_name", *DATA_FIELDS, "created_at", "updated_at")
    written = await copy_records(conn, "telegrams", columns, rows(), progress)
    await set_sequence(conn, "telegrams")
    return written
