"""The unassigned queue and the operators' load counters: giving waiting contacts out, closing, rebuilding.

Same lock discipline as intake (see ``intake.py``): a place is taken by the atomic ``TAKE_PLACE`` update, a
place is freed by closing. Queue batches run one at a time (a transaction-scoped advisory lock): a batch
takes places of several operators in no fixed order, and two such batches could otherwise wait on each
other. The waiting contacts and their leads are taken with SKIP LOCKED, so a batch never waits on an intake
or a merge that holds a lead; what it skips it finds on its next run.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from crm.features.leads import asyncpg_pool, distribution
from crm.features.leads.intake import (
    CANDIDATES,
    COUNT_DAY,
    MAX_ATTEMPTS,
    TAKE_PLACE,
    candidates_from,
    local_zone,
    retryable,
)

log = logging.getLogger("crm.leads")

_QUEUE_LOCK = "SELECT pg_advisory_xact_lock(hashtext('crm.leads.queue'))"
_SOURCES_WITH_QUEUE = """
    SELECT s.id FROM lead_sources s
    WHERE EXISTS (SELECT 1 FROM lead_contacts c WHERE c.source_id = s.id AND c.status = 'open'
                  AND c.operator_id IS NULL)
      AND ($1::bigint IS NULL OR EXISTS (
            SELECT 1 FROM lead_competences k WHERE k.source_id = s.id AND k.operator_id = $1 AND k.weight > 0))
    ORDER BY s.id
"""
_OLDEST_WAITING = """
    SELECT c.id, c.lead_id, l.operator_id AS lead_operator_id,
           CAST(extract(epoch FROM now() - c.created_at) AS integer) AS queued_s
    FROM lead_contacts c JOIN leads l ON l.id = c.lead_id
    WHERE c.source_id = $1 AND c.status = 'open' AND c.operator_id IS NULL
    ORDER BY c.created_at, c.id
    LIMIT $2
    FOR UPDATE OF c, l SKIP LOCKED
"""
_COUNT_GIVEN = COUNT_DAY.format(day="(given.created_at AT TIME ZONE $5)::date", source="given.source_id", rows="given")
_GIVE_OUT = f"""
    WITH taken AS ({TAKE_PLACE}),
    given AS (
        UPDATE lead_contacts SET operator_id = taken.id, assigned_at = now(), reason_code = $3,
               reason_params = $4::jsonb
        FROM taken
        WHERE lead_contacts.id = $2 AND lead_contacts.status = 'open' AND lead_contacts.operator_id IS NULL
        RETURNING lead_contacts.lead_id, lead_contacts.source_id, lead_contacts.created_at, taken.id
    ), owner AS (
        UPDATE leads SET operator_id = $1, updated_at = now()
        WHERE id IN (SELECT lead_id FROM given) AND operator_id IS DISTINCT FROM $1
    ), daily AS ({_COUNT_GIVEN})
    SELECT (SELECT count(*) FROM taken) AS taken, (SELECT count(*) FROM given) AS given
"""  # noqa: S608 - constant fragments only


class _Inconsistent(Exception):
    """A place was taken for a contact that could not be given (impossible under our locks): roll back."""


async def give_out_queue(
    engine: AsyncEngine, *, operator_id: int | None = None, batch: int = 50, limit: int = 5000
) -> int:
    """Give the oldest unassigned contacts to operators with room (all sources, or those of one operator).

    Runs in the worker after a contact is closed or an operator comes back, and every minute as a sweep. Each
    batch is one short transaction; running it twice gives out nothing more.
    """
    async with asyncpg_pool.connection(engine) as conn:
        sources = [r["id"] for r in await conn.fetch(_SOURCES_WITH_QUEUE, operator_id)]
    given = 0
    for source_id in sources:
        while given < limit:
            size = min(batch, limit - given)
            done = await _give_out_batch(engine, source_id, size)
            given += done
            if done < size:
                break
    return given


async def _give_out_batch(engine: AsyncEngine, source_id: int, batch: int) -> int:
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            async with asyncpg_pool.transaction(engine) as conn:
                return await _give_out_batch_once(conn, source_id, batch)
        except asyncpg.PostgresError as exc:
            if not retryable(exc) or attempt == MAX_ATTEMPTS:
                raise
    return 0


async def _give_out_batch_once(conn: asyncpg.Connection, source_id: int, batch: int) -> int:
    await conn.execute(_QUEUE_LOCK)
    candidates = candidates_from(await conn.fetch(CANDIDATES, source_id))
    if not any(c.has_room for c in candidates):
        return 0  # an inactive source still has its waiting contacts given out
    waiting = await conn.fetch(_OLDEST_WAITING, source_id, batch)
    owners: dict[int, int | None] = {}
    given = 0
    for contact in waiting:
        lead_id = contact["lead_id"]
        while True:
            choice = distribution.choose_operator(
                candidates, owners.get(lead_id, contact["lead_operator_id"]), distribution.draw_for(contact["id"])
            )
            chosen = choice.operator_id
            if chosen is None:
                return given
            params = json.dumps({**choice.params, "queued_s": contact["queued_s"]})
            outcome = await conn.fetchrow(_GIVE_OUT, chosen, contact["id"], choice.code, params, local_zone())
            if outcome["taken"] != outcome["given"]:
                raise _Inconsistent(contact["id"])
            if outcome["given"]:
                candidates = [replace(c, load=c.load + 1) if c.operator_id == chosen else c for c in candidates]
                owners[lead_id] = chosen
                given += 1
                break
            candidates = [replace(c, load=c.max_load) if c.operator_id == chosen else c for c in candidates]
    return given


# --------------------------------------------------------------------------- closing and the counters

_CLOSE = """
    WITH closed AS (
        UPDATE lead_contacts SET status = 'closed', closed_at = now()
        WHERE id = :id AND status = 'open' {scope}
        RETURNING operator_id
    ), freed AS (
        UPDATE lead_operators SET open_count = open_count - 1 WHERE id IN (SELECT operator_id FROM closed)
    )
    SELECT count(*) AS closed, max(operator_id) AS operator_id FROM closed
"""
# Closing without an outcome, for scripts and tests; requests close with an outcome through ``work.close_contact``
# (the same statement): closing frees the operator's place at once.
CLOSE_ANY = text(_CLOSE.format(scope=""))
CLOSE_OWN = text(_CLOSE.format(scope="AND operator_id = :operator"))

_LOCK_ALL_OPERATORS = "SELECT id FROM lead_operators ORDER BY id FOR NO KEY UPDATE"
_RECOUNT = """
    WITH actual AS (
        SELECT o.id, count(c.id) AS n
        FROM lead_operators o LEFT JOIN lead_contacts c ON c.operator_id = o.id AND c.status = 'open'
        GROUP BY o.id
    )
    UPDATE lead_operators o SET open_count = actual.n
    FROM actual WHERE actual.id = o.id AND o.open_count <> actual.n
    RETURNING o.id, actual.n
"""
# The daily counts of contacts received since a day ($2, NULL: all), recomputed from the contacts.
_DAILY_ACTUAL = """
    SELECT (created_at AT TIME ZONE $1)::date AS day, source_id, operator_id, count(*)::integer AS contacts
    FROM lead_contacts
    WHERE operator_id IS NOT NULL AND ($2::date IS NULL OR created_at >= ($2::date)::timestamp AT TIME ZONE $1)
    GROUP BY 1, 2, 3
"""
_DAILY_DIFFERENCES = f"""
    SELECT count(*) FROM ({_DAILY_ACTUAL}) actual
    FULL JOIN (SELECT * FROM lead_daily_counts WHERE $2::date IS NULL OR day >= $2::date) kept
      USING (day, source_id, operator_id)
    WHERE actual.contacts IS DISTINCT FROM kept.contacts
"""  # noqa: S608 - constant fragments only
_DAILY_DELETE = "DELETE FROM lead_daily_counts WHERE $1::date IS NULL OR day >= $1::date"
_DAILY_INSERT = f"INSERT INTO lead_daily_counts (day, source_id, operator_id, contacts) {_DAILY_ACTUAL}"


@dataclass
class Reconciled:
    """What a rebuild found out of step (and corrected): operator → load, and how many daily counts."""

    loads: dict[int, int]
    daily_rows: int


async def reconcile(engine: AsyncEngine, *, since: date | None = None) -> Reconciled:
    """Rebuild the derived figures from the contacts: every operator's load, and the daily counts of the
    statistics from ``since`` on (all of them when None). Returns what was out of step.

    The operators are locked first and everything is counted in later statements, which therefore see every
    contact committed before the locks were granted, while no intake or queue batch can add one (both take an
    operator's place first). Counting inside the locking statement would miss them.
    """
    zone = local_zone()
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            async with asyncpg_pool.transaction(engine) as conn:
                await conn.execute(_QUEUE_LOCK)
                await conn.execute(_LOCK_ALL_OPERATORS)
                loads = {int(r["id"]): int(r["n"]) for r in await conn.fetch(_RECOUNT)}
                daily = int(await conn.fetchval(_DAILY_DIFFERENCES, zone, since))
                if daily:
                    await conn.execute(_DAILY_DELETE, since)
                    await conn.execute(_DAILY_INSERT, zone, since)
            break
        except asyncpg.PostgresError as exc:
            if not retryable(exc) or attempt == MAX_ATTEMPTS:
                raise
    if loads or daily:
        log.warning("lead desk: derived figures corrected from the contacts: loads %s, %s daily counts", loads, daily)
    return Reconciled(loads=loads, daily_rows=daily)


async def reconcile_loads(engine: AsyncEngine) -> dict[int, int]:
    """The minute sweep's check: loads, and the daily counts of today and yesterday (cheap at any size)."""
    yesterday = datetime.now(ZoneInfo(local_zone())).date() - timedelta(days=1)
    return (await reconcile(engine, since=yesterday)).loads
