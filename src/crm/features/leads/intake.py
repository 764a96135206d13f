"""Intake of a contact: find or create the lead, then give the contact to an operator — in one transaction.

This is the hot path (hundreds of contacts a second from many clients at once): plain SQL over asyncpg
(``asyncpg_pool.py``), five round trips for a new lead — BEGIN, the source with its operators, the lead
look-up, the lead insert, the contact with its operator — and the COMMIT.

How nobody goes above ``max_load`` — the choice, explained:
- ``current_load`` is kept as a counter on the operator row (``open_count``), changed in the same transaction
  as the contacts it counts: +1 here and in the queue job, -1 when a contact is closed. ``unassigned.reconcile_loads``
  rebuilds it from the contacts (the tests and the minute sweep check that both agree).
- The counter, not a ``count(*)`` of open contacts, because it makes "check and take a place" one atomic
  statement: ``UPDATE lead_operators SET open_count = open_count + 1 WHERE id = $op AND open_count < max_load``.
  An UPDATE that has to wait for another transaction's lock re-reads the *latest committed* row before
  applying its condition, so of two intakes racing for an operator's last place exactly one gets it; the
  other sees no row updated and chooses again among the rest. A count of contacts could not be read that way:
  a statement that waited for a lock still counts from the snapshot it started with (the lost update of
  reference §3.12), so counting safely needs lock-then-count in two statements while holding the locks of
  *all* the source's operators — which serialises every intake of a source.
- So each intake locks only the operator it takes, and only from that UPDATE to its commit (two round trips).
  Intakes for different operators run in parallel. An intake holds at most one operator lock and waits for
  nothing after taking it, so intakes cannot deadlock on operators; lead rows are always locked before it.
- The choice itself reads the counters without a lock (they may be a moment old): that only decides whom to
  try first. If the chosen operator filled up meanwhile, they count as full and the draw is repeated.
- When nobody had room the contact is stored unassigned. After that commits we look once more: if a place
  opened in the meantime, the queue job is asked to run (see ``intake_contact``), so no contact waits while
  an operator of its source has room.
- Leads are unique by database constraints (partial unique indexes on external_id, phone, email). A new lead
  is inserted with ``ON CONFLICT DO NOTHING``; if another transaction created the same person a moment earlier
  we look again. Any unique or foreign-key violation, deadlock or serialization failure restarts the whole
  transaction (nothing is half-written), a few times at most.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from crm.features.leads import asyncpg_pool, distribution
from crm.features.leads.distribution import Candidate
from crm.lib.i18n import local_tz
from crm.lib.security import token_digest


def local_zone() -> str:
    """The organisation's time zone (as set on /settings or by CRM_TIMEZONE): statistics count contacts per day
    there."""
    return str(local_tz())


log = logging.getLogger("crm.leads")

MAX_ATTEMPTS = 5
# unique_violation, foreign_key_violation, serialization_failure, deadlock_detected
RETRYABLE_SQLSTATES = frozenset({"23505", "23503", "40001", "40P01"})

RoomCallback = Callable[[int], Awaitable[None]]


class IntakeError(Exception):
    """A refusal with an HTTP meaning: ``status`` 401, 403, 404, 409 or 400, and an English ``detail``."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


@dataclass(frozen=True)
class LeadIdentity:
    """Normalised identifiers (see ``identifiers.py``); at least one of the first three is set."""

    external_id: str | None = None
    phone: str | None = None
    email: str | None = None
    name: str = ""


@dataclass(frozen=True)
class IntakeResult:
    id: int
    lead_id: int
    lead_created: bool
    operator_id: int | None
    source_id: int
    status: str
    created_at: datetime
    reason_code: str
    reason_params: dict[str, Any]
    merged_lead_ids: list[int] = field(default_factory=list)

    @property
    def reason(self) -> str:
        return distribution.reason_text(self.reason_code, self.reason_params)


def retryable(exc: BaseException) -> bool:
    return isinstance(exc, asyncpg.PostgresError) and getattr(exc, "sqlstate", None) in RETRYABLE_SQLSTATES


async def intake_contact(
    engine: AsyncEngine,
    identity: LeadIdentity,
    *,
    message: str = "",
    source_id: int | None = None,
    intake_key: str | None = None,
    on_room: RoomCallback | None = None,
) -> IntakeResult:
    """Store one contact and choose its operator; retried as a whole on races the database reports.

    ``on_room(source_id)`` is awaited when the contact had to wait but a place opened before it was stored
    (the API passes "enqueue the queue job").
    """
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            async with asyncpg_pool.transaction(engine) as conn:
                result = await _intake_once(conn, identity, message, source_id, intake_key)
            break
        except asyncpg.PostgresError as exc:
            if not retryable(exc) or attempt == MAX_ATTEMPTS:
                raise
            log.info("lead intake retried after %s (attempt %s)", exc.sqlstate, attempt)
    if result.operator_id is None and on_room is not None and result.reason_code == distribution.ALL_FULL:
        async with asyncpg_pool.connection(engine) as conn:
            if await conn.fetchval(HAS_ROOM, result.source_id):
                await on_room(result.source_id)
    return result


async def _intake_once(
    conn: asyncpg.Connection, identity: LeadIdentity, message: str, source_id: int | None, intake_key: str | None
) -> IntakeResult:
    source, contact_id, candidates = await _source_and_candidates(conn, source_id, intake_key)
    lead_id, created, lead_operator_id, merged = await _identify_lead(conn, identity)
    draw = distribution.draw_for(contact_id)
    while True:
        choice = distribution.choose_operator(candidates, lead_operator_id, draw)
        params = json.dumps(choice.params)
        if choice.operator_id is None:
            created_at = await conn.fetchval(
                _INSERT_UNASSIGNED, contact_id, lead_id, source, message, choice.code, params
            )
            break
        created_at = await conn.fetchval(
            _ASSIGN, choice.operator_id, contact_id, lead_id, source, message, choice.code, params, local_zone()
        )
        if created_at is not None:
            break
        # Filled up (or left) since we looked: count them as full and draw again among the others.
        candidates = [replace(c, load=c.max_load) if c.operator_id == choice.operator_id else c for c in candidates]
    return IntakeResult(
        id=contact_id, lead_id=lead_id, lead_created=created, operator_id=choice.operator_id, source_id=source,
        status="open", created_at=created_at, reason_code=choice.code, reason_params=choice.params,
        merged_lead_ids=merged,
    )  # fmt: skip


# The statistics' daily count of the operator's contacts from a source: +1, in the same statement.
COUNT_DAY = """
    INSERT INTO lead_daily_counts (day, source_id, operator_id, contacts)
    SELECT {day}, {source}, {rows}.id, 1 FROM {rows}
    ON CONFLICT (day, source_id, operator_id) DO UPDATE SET contacts = lead_daily_counts.contacts + 1
"""
# An operator takes a place only while they are active and below max_load; that check and the +1 are one
# atomic UPDATE (see the module docstring). The contact and the lead's owner follow only if it succeeded.
TAKE_PLACE = """
    UPDATE lead_operators o SET open_count = o.open_count + 1
    WHERE o.id = $1 AND o.is_active AND o.open_count < o.max_load
      AND EXISTS (SELECT 1 FROM users u WHERE u.id = o.user_id AND u.is_active)
    RETURNING o.id
"""
_ASSIGN = f"""
    WITH taken AS ({TAKE_PLACE}),
    contact AS (
        INSERT INTO lead_contacts (id, lead_id, source_id, operator_id, message, status, reason_code, reason_params,
                                   assigned_at)
        SELECT $2, $3, $4, taken.id, $5, 'open', $6, $7::jsonb, now() FROM taken
        RETURNING created_at
    ), owner AS (
        UPDATE leads SET operator_id = $1, updated_at = now()
        WHERE id = $3 AND operator_id IS DISTINCT FROM $1 AND EXISTS (SELECT 1 FROM taken)
    ), daily AS ({COUNT_DAY.format(day="(now() AT TIME ZONE $8)::date", source="$4", rows="taken")})
    SELECT created_at FROM contact
"""  # noqa: S608 - constant fragments only
_INSERT_UNASSIGNED = """
    INSERT INTO lead_contacts (id, lead_id, source_id, operator_id, message, status, reason_code, reason_params)
    VALUES ($1, $2, $3, NULL, $4, 'open', $5, $6::jsonb)
    RETURNING created_at
"""
HAS_ROOM = """
    SELECT EXISTS (
        SELECT 1 FROM lead_competences c JOIN lead_operators o ON o.id = c.operator_id
        JOIN users u ON u.id = o.user_id
        WHERE c.source_id = $1 AND c.weight > 0 AND o.is_active AND u.is_active AND o.open_count < o.max_load
    )
"""


# --------------------------------------------------------------------------- the source and its operators


# One statement: the source (by key hash or id), its operators with a weight > 0 and their counters, and the
# id the new contact will have (its draw depends on it, see distribution.draw_for).
_SOURCE_AND_CANDIDATES = """
    SELECT s.id, s.is_active, {contact_id} AS contact_id, o.id AS operator_id, o.max_load, o.open_count,
           c.weight, (o.is_active AND u.is_active) AS active
    FROM lead_sources s
    LEFT JOIN lead_competences c ON c.source_id = s.id AND c.weight > 0
    LEFT JOIN lead_operators o ON o.id = c.operator_id
    LEFT JOIN users u ON u.id = o.user_id
    WHERE {where}
    ORDER BY o.id
"""
_NEXT_CONTACT_ID = "(SELECT nextval(pg_get_serial_sequence('lead_contacts', 'id')))"
_BY_KEY = _SOURCE_AND_CANDIDATES.format(where="s.intake_key_hash = $1", contact_id=_NEXT_CONTACT_ID)
_BY_ID = _SOURCE_AND_CANDIDATES.format(where="s.id = $1", contact_id=_NEXT_CONTACT_ID)
CANDIDATES = _SOURCE_AND_CANDIDATES.format(where="s.id = $1", contact_id="NULL")


def candidates_from(rows: Sequence[Any]) -> list[Candidate]:
    return [
        Candidate(operator_id=r["operator_id"], weight=r["weight"], load=r["open_count"], max_load=r["max_load"],
                  active=bool(r["active"]))
        for r in rows
        if r["operator_id"] is not None
    ]  # fmt: skip


async def _source_and_candidates(
    conn: asyncpg.Connection, source_id: int | None, intake_key: str | None
) -> tuple[int, int, list[Candidate]]:
    if intake_key is not None:
        rows = await conn.fetch(_BY_KEY, token_digest(intake_key))
        if not rows:
            raise IntakeError(401, "The intake key is not valid")
        if source_id is not None and source_id != rows[0]["id"]:
            raise IntakeError(403, "The intake key belongs to another source")
    else:
        if source_id is None:
            raise IntakeError(404, "Give source_id: the source to record the contact for")
        rows = await conn.fetch(_BY_ID, source_id)
        if not rows:
            raise IntakeError(404, "No such source")
    if not rows[0]["is_active"]:
        raise IntakeError(404, "The source is inactive")
    candidates = candidates_from(rows)
    if not candidates:
        raise IntakeError(
            400, "The source has no operator with a weight above 0: set its weights before sending contacts"
        )
    return int(rows[0]["id"]), int(rows[0]["contact_id"]), candidates


# --------------------------------------------------------------------------- the lead

_IDENTIFIERS = ("external_id", "phone", "email")
# Leads with any of the given identifiers, locked in id order (lead locks always come before operator locks).
_FIND_LEADS = """
    SELECT id, external_id, phone, email, name, operator_id, created_at FROM leads
    WHERE external_id = $1 OR phone = $2 OR email = $3  -- a NULL (not given) matches nothing
    ORDER BY id FOR UPDATE
"""
_INSERT_LEAD = """
    INSERT INTO leads (external_id, phone, email, name) VALUES ($1, $2, $3, $4)
    ON CONFLICT DO NOTHING
    RETURNING id
"""


async def _identify_lead(conn: asyncpg.Connection, identity: LeadIdentity) -> tuple[int, bool, int | None, list[int]]:
    """(lead id, created?, its operator, ids merged into it). Looks by external_id, then phone, then email."""
    given = [getattr(identity, name) for name in _IDENTIFIERS]
    for _ in range(3):
        rows = await conn.fetch(_FIND_LEADS, *given)
        if not rows:
            inserted = await conn.fetchval(_INSERT_LEAD, *given, identity.name[:255])
            if inserted is not None:
                return int(inserted), True, None, []
            continue  # the same person was created a moment ago by another intake: look again
        pairs = zip(_IDENTIFIERS, given, strict=True)
        in_priority = [next((r for r in rows if r[name] == value), None) for name, value in pairs if value]
        matched = list({r["id"]: r for r in in_priority if r is not None}.values())
        if len(matched) == 1:
            lead = matched[0]
            await _fill_in(conn, lead, identity)
            return int(lead["id"]), False, lead["operator_id"], []
        survivor, operator_id = await merge_leads(conn, matched, identity)
        return survivor, False, operator_id, sorted(r["id"] for r in matched if r["id"] != survivor)
    raise IntakeError(409, "The lead is being changed by another request; send the contact again")


async def _fill_in(conn: asyncpg.Connection, lead: Any, identity: LeadIdentity) -> None:
    """Identifiers the lead did not have yet are added (a different existing value is kept)."""
    fills = [getattr(identity, name) if lead[name] is None else None for name in _IDENTIFIERS]
    name = identity.name[:255] if identity.name and not lead["name"] else None
    if any(fills) or name:
        await conn.execute(
            "UPDATE leads SET external_id = coalesce(external_id, $2), phone = coalesce(phone, $3), "
            "email = coalesce(email, $4), name = coalesce($5, name), updated_at = now() WHERE id = $1",
            lead["id"], *fills, name,
        )  # fmt: skip


async def merge_leads(conn: asyncpg.Connection, leads: Sequence[Any], identity: LeadIdentity) -> tuple[int, int | None]:
    """Fold locked leads into the oldest: contacts move over, identifiers are combined, each merge is recorded.

    The oldest lead keeps its own identifiers; those it lacks come from the others (oldest first), then from
    the intake. What cannot be kept (a second phone) stays in the merge record.
    """
    ordered = sorted(leads, key=lambda r: (r["created_at"], r["id"]))
    survivor, others = ordered[0], ordered[1:]
    other_ids = [r["id"] for r in others]
    moved = dict(
        await conn.fetch(
            "SELECT lead_id, count(*) FROM lead_contacts WHERE lead_id = ANY($1) GROUP BY lead_id", other_ids
        )
    )
    await conn.execute("UPDATE lead_contacts SET lead_id = $1 WHERE lead_id = ANY($2)", survivor["id"], other_ids)
    await conn.executemany(
        "INSERT INTO lead_merges (into_lead_id, merged_lead_id, merged_identifiers, contacts_moved) "
        "VALUES ($1, $2, $3::jsonb, $4)",
        [
            (
                survivor["id"],
                r["id"],
                json.dumps({k: r[k] for k in (*_IDENTIFIERS, "name") if r[k]}),
                moved.get(r["id"], 0),
            )
            for r in others
        ],
    )
    await conn.execute("DELETE FROM leads WHERE id = ANY($1)", other_ids)
    combined = [
        next((v for v in [*(r[name] for r in ordered), getattr(identity, name)] if v), None) for name in _IDENTIFIERS
    ]
    name = next((r["name"] for r in ordered if r["name"]), identity.name[:255])
    operator_id = next((r["operator_id"] for r in ordered if r["operator_id"] is not None), None)
    await conn.execute(
        "UPDATE leads SET external_id = $2, phone = $3, email = $4, name = $5, operator_id = $6, updated_at = now() "
        "WHERE id = $1",
        survivor["id"], *combined, name, operator_id,
    )  # fmt: skip
    return int(survivor["id"]), operator_id
