"""``crm demo load --scale large``: the spec's "large" organisation on top of the small demo, in one transaction.

200 managers in 30 sales departments (with heads, lead desk operators, telegraph and billing staff, admins),
100,000 companies, 1,000,000 deals, 3,000,000 activities and 2,000,000 calls, 200,000 CRM contacts and 100,000
CRM leads, 600,000 leads with 1,000,000 contacts on the lead desk, 20,000 ERP clients with 1,000,000 sales lines,
100,000 telegrams, a year of call plans, this year's goals, strategies and 200,000 tasks, 50,000 audit entries.
Rows go in by COPY; then the slices' own rebuilds make the derived figures (companies' last communication and
pipeline sums, managers' daily calls and meetings, monthly sales, the goals analysis of the last month, the lead
desk's loads and daily counts). ``factor`` scales every count (the tests load a thousandth of it).

Idempotent: the organisation is marked by its sales directorate; a second run finds it and says the large data
is already loaded (drop the database, or use another one, to build it again). All of it is one transaction, so
an interrupted load leaves nothing behind.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from crm.demo_large import crm, desk, erp, org
from crm.demo_large.base import Progress, Sizes, create_indexes, drop_indexes

SEED = 2026
# The tables that get millions of rows: their secondary indexes are built once after the COPYs.
BIG_TABLES = ("companies", "contacts", "crm_leads", "deals", "activities", "calls", "leads", "lead_contacts",
              "telegrams", "sales_lines", "audit_log")  # fmt: skip


def total_rows(factor: float = 1.0) -> int:
    """Rows the progress bar counts (the big COPYs), to size it before the load starts."""
    s = Sizes(factor)
    plans = s.managers * 280
    leads = int(s.lead_contacts * 0.6)
    return (
        s.companies + s.deals + s.activities + s.calls + s.contacts + s.crm_leads + leads + s.lead_contacts
        + s.sales_lines + s.telegrams + s.tasks + s.audit + plans
    )  # fmt: skip


async def already_loaded(session: AsyncSession) -> bool:
    conn = await _raw(session)
    return bool(await conn.fetchval("SELECT count(*) FROM departments WHERE name = $1", org.MARKER))


async def _raw(session: AsyncSession) -> Any:
    raw = await (await session.connection()).get_raw_connection()
    return raw.driver_connection


@dataclass
class _Made:
    """What the load made, counted for its summary."""

    people: int = 0
    plans: int = 0
    contacts: int = 0
    deals: int = 0
    comms: int = 0
    desk_rows: int = 0
    telegrams: int = 0
    client_ids: list[int] = field(default_factory=list)
    owner: dict[int, Any] = field(default_factory=dict)
    audit: int = 0
    goal_ids: list[tuple[int, Any]] = field(default_factory=list)
    tasks: int = 0


async def load_large(
    session: AsyncSession,
    factor: float = 1.0,
    progress: Progress | None = None,
    step: Callable[[str], None] | None = None,
) -> list[str]:
    """Everything above, inside the session's transaction (the caller commits); ``step`` hears each stage's name."""
    if await already_loaded(session):
        return ["Large demo: already loaded (drop the database to build it again)."]
    say = step or (lambda _name: None)
    started = time.perf_counter()
    sizes = Sizes(factor)
    rng = random.Random(SEED)
    conn = await _raw(session)
    await conn.execute("SET LOCAL synchronous_commit = off")
    await conn.execute("SET LOCAL work_mem = '256MB'")
    await conn.execute("SET LOCAL maintenance_work_mem = '512MB'")

    say("people")
    organisation = org.Org(departments=await org.departments(conn))
    made, indexes = await _copy_rows(conn, organisation, sizes, rng, progress, say)
    copied = time.perf_counter() - started
    say("indexes")
    await create_indexes(conn, indexes)
    await _derive(session, conn, organisation, made, sizes, rng, progress, say)
    return _summary(factor, time.perf_counter() - started, copied, organisation, sizes, made)


async def _copy_rows(
    conn: Any,
    organisation: org.Org,
    sizes: Sizes,
    rng: random.Random,
    progress: Progress | None,
    say: Callable[[str], None],
) -> tuple[_Made, Any]:
    """The generated rows, COPied in; the big tables' secondary indexes are dropped first and returned, to be
    built again once after."""
    from crm.lib.demo import DEMO_PASSWORD
    from crm.lib.security import hash_password_sync

    made = _Made()
    made.people = await org.people(conn, organisation, sizes, rng, hash_password_sync(DEMO_PASSWORD))
    made.plans = await org.call_plans(conn, organisation, rng, progress)
    indexes = await drop_indexes(conn, BIG_TABLES)
    say("companies")
    clients = await crm.companies(conn, organisation, sizes.companies, rng, progress)
    say("contacts and CRM leads")
    made.contacts = await crm.contacts_and_leads(conn, clients, sizes.contacts, sizes.crm_leads, rng, progress)
    say("deals")
    made.deals = await crm.deals(conn, clients, sizes.deals, rng, progress)
    say("activities and calls")
    made.comms = await crm.activities_and_calls(conn, clients, sizes.activities, sizes.calls, rng, progress)
    say("lead desk")
    made.desk_rows = await desk.lead_desk(conn, organisation, sizes.lead_contacts, rng, progress)
    say("telegrams")
    made.telegrams = await desk.telegrams(conn, sizes.telegrams, progress)
    say("ERP sales")
    made.client_ids, made.owner = await erp.sales(
        conn, organisation, sizes.erp_clients, sizes.sales_lines, rng, progress
    )
    say("audit log")
    made.audit = await org.audit(conn, organisation, sizes.audit, rng, progress)
    return made, indexes


async def _derive(
    session: AsyncSession,
    conn: Any,
    organisation: org.Org,
    made: _Made,
    sizes: Sizes,
    rng: random.Random,
    progress: Progress | None,
    say: Callable[[str], None],
) -> None:
    """The slices' derived figures, then goals, strategies and tasks on top, the goals analysis of the last month
    and this year, and fresh planner statistics."""
    from crm.features.clients import figures
    from crm.features.goals.figures import ensure_clients, ensure_totals
    from crm.features.leads.demo import recount
    from crm.features.sales.pipeline import rebuild_month_sales

    say("derived figures")
    await figures.rebuild(session)
    await rebuild_month_sales(session)
    await recount(session)
    say("goals, strategies, tasks")
    made.goal_ids = await erp.goals(conn, organisation, rng)
    made.tasks = await erp.strategies_and_tasks(
        conn, organisation, made.client_ids, made.owner, made.goal_ids, sizes.tasks, rng, progress
    )
    say("goals analysis")
    last_month = (date.today().replace(day=1) - timedelta(days=1)).replace(day=1)
    await ensure_clients(session, last_month, "")
    await ensure_totals(session, date.today().year, "")
    say("statistics")
    await conn.execute("ANALYZE")


def _summary(
    factor: float, seconds: float, copied: float, organisation: org.Org, sizes: Sizes, made: _Made
) -> list[str]:
    heads = organisation.with_role("head")
    return [
        f"Large demo (factor {factor:g}) in {seconds:.0f} s (COPY {copied:.0f} s): "
        f"{made.people} people in {len(organisation.departments)} departments ({len(organisation.managers)} managers), "
        f"{sizes.companies:,} companies, {made.deals:,} deals, {made.comms:,} activities and calls, "
        f"{made.contacts:,} CRM contacts and leads, {made.desk_rows:,} lead desk leads and contacts, "
        f"{sizes.sales_lines:,} ERP sales lines of {len(made.client_ids):,} clients, {made.telegrams:,} telegrams, "
        f"{made.plans:,} daily call plans, {len(made.goal_ids)} goals, {made.tasks:,} tasks, {made.audit:,} audit "
        "entries.",
        f"Every generated user has the demo password; e.g. a head: {heads[2].email if len(heads) > 2 else '-'}, "
        f"a manager: {organisation.managers[0].email}.",
    ]
