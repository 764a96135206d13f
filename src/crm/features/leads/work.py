"""An operator's work on a contact: take it from the unassigned queue, close it with an outcome, reopen it.

Same lock discipline as intake and the queue job (see ``intake.py`` and ``unassigned.py``): the contact (and its lead)
are locked first, then the operator's place is taken with one conditional UPDATE of the load counter, so nobody
goes above ``max_load`` and two operators taking the same contact cannot both get it — the second one's lock
waits, then finds the contact no longer waiting. Every change is recorded in the audit log.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts import services as accounts
from crm.features.leads import distribution
from crm.features.leads.intake import COUNT_DAY, local_zone
from crm.features.leads.models import CONTACT_CLOSED, OUTCOMES
from crm.features.leads.services import DeskScope, contact_row
from crm.lib import security
from crm.lib.i18n import N_, gettext

COMMENT_MAX = 2000
# The operator who closed a contact by mistake may reopen it this long; an administrator may at any time.
REOPEN_WINDOW = timedelta(hours=1)

OUTCOME_LABELS: dict[str, str] = {
    "reached": N_("Reached"),
    "not_reached": N_("Not reached"),
    "wrong_number": N_("Wrong number"),
    "duplicate": N_("Duplicate"),
    "other": N_("Other"),
}
assert tuple(OUTCOME_LABELS) == OUTCOMES


def outcome_label(code: str | None) -> str:
    return gettext(OUTCOME_LABELS[code]) if code in OUTCOME_LABELS else (code or "")


class WorkError(Exception):
    """A refused action: ``code`` (gone, full, late, not_yours) maps to an HTTP status; ``message`` is an English
    msgid with ``params``, translated where it is shown."""

    STATUS = {"gone": 409, "full": 409, "late": 403, "not_yours": 403}

    def __init__(self, code: str, message: str, **params: Any) -> None:
        super().__init__(message % params if params else message)
        self.code = code
        self.message = message
        self.params = params

    @property
    def status(self) -> int:
        return self.STATUS.get(self.code, 409)

    def text(self, localized: bool = False) -> str:
        template = gettext(self.message) if localized else self.message
        return template % self.params if self.params else template


@dataclass(frozen=True)
class CloseForm:
    """What the close form (or the API body) asked for, checked: ``errors`` maps a field to an English msgid."""

    outcome: str | None
    comment: str
    errors: dict[str, str]


def check_close(outcome: str | None, comment: str | None, *, required: bool = True) -> CloseForm:
    errors: dict[str, str] = {}
    outcome = (outcome or "").strip() or None
    comment = (comment or "").strip()
    if outcome is None and required:
        errors["outcome"] = N_("Choose an outcome.")
    elif outcome is not None and outcome not in OUTCOMES:
        errors["outcome"] = N_("Choose one of the listed outcomes.")
    if len(comment) > COMMENT_MAX:
        errors["comment"] = N_("The comment is at most 2000 characters.")
    return CloseForm(outcome=outcome, comment=comment, errors=errors)


def may_reopen(contact: Any, user: Any, scope: DeskScope, now: datetime | None = None) -> bool:
    """Who may reopen a closed contact: the desk's managers always; the operator who closed it, within the
    window. The same rule the service enforces under lock (``reopen_contact``)."""
    if contact.status != CONTACT_CLOSED:
        return False
    if scope.everything:
        return True
    if user is None or contact.closed_by_id != user.id or contact.operator_id != scope.operator_id:
        return False
    closed_at = contact.closed_at
    return closed_at is not None and (now or security.utcnow()) - closed_at <= REOPEN_WINDOW


# --------------------------------------------------------------------------- taking from the queue

_LOCK_WAITING = text("""
    SELECT c.id, c.lead_id, c.source_id, CAST(extract(epoch FROM now() - c.created_at) AS integer) AS waited_s
    FROM lead_contacts c JOIN leads l ON l.id = c.lead_id
    WHERE c.id = :id AND c.status = 'open' AND c.operator_id IS NULL
      AND EXISTS (SELECT 1 FROM lead_competences k
                  WHERE k.source_id = c.source_id AND k.operator_id = :operator AND k.weight > 0)
    FOR UPDATE OF c, l
""")
_SEEN_BY = text("""
    SELECT c.operator_id FROM lead_contacts c
    WHERE c.id = :id AND (c.operator_id = :operator OR EXISTS (
        SELECT 1 FROM lead_competences k
        WHERE k.source_id = c.source_id AND k.operator_id = :operator AND k.weight > 0))
""")
# A place, as in intake, but an operator on a break may still take one by hand: the click is the intent.
_TAKE_PLACE = text("""
    UPDATE lead_operators SET open_count = open_count + 1
    WHERE id = :operator AND open_count < max_load
    RETURNING id
""")
_LOAD = text("SELECT open_count, max_load FROM lead_operators WHERE id = :operator")
_COUNT_TAKEN = COUNT_DAY.format(
    day="(given.created_at AT TIME ZONE :zone)::date", source="given.source_id", rows="given"
)
_GIVE = text(f"""
    WITH given AS (
        UPDATE lead_contacts SET operator_id = :operator, assigned_at = now(), reason_code = :code,
               reason_params = CAST(:params AS jsonb)
        WHERE id = :id
        RETURNING source_id, created_at, operator_id AS id
    ), owner AS (
        UPDATE leads SET operator_id = :operator, updated_at = now()
        WHERE id = :lead AND operator_id IS DISTINCT FROM :operator
    ), daily AS ({_COUNT_TAKEN})
    SELECT count(*) FROM given
""")  # noqa: S608 - constant fragments only


async def _take_place(session: AsyncSession, operator_id: int, whose: str) -> None:
    if (await session.execute(_TAKE_PLACE, {"operator": operator_id})).first() is None:
        load, maximum = (await session.execute(_LOAD, {"operator": operator_id})).one()
        if whose == "mine":
            raise WorkError("full", N_("You are at your maximum load (%(load)s of %(max)s): close a contact first."),
                            load=load, max=maximum)  # fmt: skip
        raise WorkError("full", N_("The operator is at their maximum load (%(load)s of %(max)s)."),
                        load=load, max=maximum)  # fmt: skip


async def take_contact(session: AsyncSession, contact_id: int, operator_id: int, actor: Any) -> Any:
    """The operator takes a waiting contact of a source they serve. Raises LookupError when they may not see it,
    WorkError("gone") when someone took it first, WorkError("full") at their maximum load (roll back then)."""
    waiting = (await session.execute(_LOCK_WAITING, {"id": contact_id, "operator": operator_id})).first()
    if waiting is None:
        seen = (await session.execute(_SEEN_BY, {"id": contact_id, "operator": operator_id})).first()
        if seen is None:
            raise LookupError(contact_id)
        if seen.operator_id == operator_id:
            raise WorkError("gone", N_("This contact is already yours."))
        raise WorkError("gone", N_("Someone has already taken this contact; it is no longer waiting."))
    await _take_place(session, operator_id, "mine")
    params = {"waited_min": max(0, round(int(waiting.waited_s) / 60))}
    await session.execute(
        _GIVE,
        {"operator": operator_id, "id": contact_id, "lead": waiting.lead_id, "code": distribution.TAKEN,
         "params": json.dumps(params), "zone": local_zone()},
    )  # fmt: skip
    row = await contact_row(session, contact_id, DeskScope(everything=True))
    await accounts.record(
        session, actor, "lead_contact", str(contact_id), "take",
        {"operator": [None, row.operator_name if row else operator_id]},
        summary=_summary(row),
    )  # fmt: skip
    return row


def _summary(row: Any) -> str:
    return row.lead_name or row.lead_phone or row.lead_email or row.lead_external_id or "" if row else ""


# --------------------------------------------------------------------------- closing

_CLOSE = """
    WITH closed AS (
        UPDATE lead_contacts SET status = 'closed', closed_at = now(), outcome = :outcome, close_comment = :comment,
               closed_by_id = :actor
        WHERE id = :id AND status = 'open' {scope}
        RETURNING operator_id
    ), freed AS (
        UPDATE lead_operators SET open_count = open_count - 1 WHERE id IN (SELECT operator_id FROM closed)
    )
    SELECT count(*) AS closed, max(operator_id) AS operator_id FROM closed
"""
_CLOSE_ANY = text(_CLOSE.format(scope=""))
_CLOSE_OWN = text(_CLOSE.format(scope="AND operator_id = :operator"))


async def close_contact(
    session: AsyncSession, contact_id: int, scope: DeskScope, actor: Any, outcome: str | None = None, comment: str = ""
) -> tuple[Any, bool]:
    """Close a contact the user may see, with its outcome, freeing its operator's place; closing twice is harmless.

    Returns (the contact row, whether it was open)."""
    values = {"id": contact_id, "outcome": outcome, "comment": comment, "actor": actor.id if actor else None}
    if scope.everything:
        outcome_row = (await session.execute(_CLOSE_ANY, values)).one()
    elif scope.operator_id is not None:
        outcome_row = (await session.execute(_CLOSE_OWN, {**values, "operator": scope.operator_id})).one()
    else:
        raise LookupError(contact_id)
    row = await contact_row(session, contact_id, scope)
    if row is None:
        raise LookupError(contact_id)
    changed = bool(outcome_row.closed)
    if changed:
        changes: dict[str, list[Any]] = {"status": ["open", "closed"], "outcome": [None, outcome]}
        if comment:
            changes["close_comment"] = [None, comment]
        await accounts.record(session, actor, "lead_contact", str(contact_id), "close", changes, summary=_summary(row))
    return row, changed


# --------------------------------------------------------------------------- reopening

_LOCK_CLOSED = """
    SELECT id, status, operator_id, closed_by_id, closed_at, outcome, close_comment FROM lead_contacts
    WHERE id = :id {scope}
    FOR UPDATE
"""
_LOCK_CLOSED_ANY = text(_LOCK_CLOSED.format(scope=""))
_LOCK_CLOSED_OWN = text(_LOCK_CLOSED.format(scope="AND operator_id = :operator"))
_REOPEN = text("""
    UPDATE lead_contacts SET status = 'open', closed_at = NULL, outcome = NULL, close_comment = '', closed_by_id = NULL
    WHERE id = :id AND status = 'closed'
""")


async def reopen_contact(session: AsyncSession, contact_id: int, scope: DeskScope, actor: Any) -> tuple[Any, bool]:
    """Reopen a contact closed by mistake: it counts in its operator's load again (if they have room), or waits in
    the queue if it had no operator. Returns (the contact row, whether it was closed); reopening twice is harmless.
    Raises LookupError (not visible), WorkError("late"/"not_yours"/"full")."""
    if scope.everything:
        locked = (await session.execute(_LOCK_CLOSED_ANY, {"id": contact_id})).first()
    elif scope.operator_id is not None:
        locked = (await session.execute(_LOCK_CLOSED_OWN, {"id": contact_id, "operator": scope.operator_id})).first()
    else:
        raise LookupError(contact_id)
    if locked is None:
        raise LookupError(contact_id)
    changed = locked.status == CONTACT_CLOSED
    if changed:
        if not may_reopen(locked, actor, scope):
            if scope.everything or locked.closed_by_id == getattr(actor, "id", None):
                raise WorkError("late", N_("It was closed more than an hour ago: ask an administrator to reopen it."))
            raise WorkError("not_yours", N_("Only who closed it, or an administrator, may reopen this contact."))
        if locked.operator_id is not None:
            await _take_place(session, locked.operator_id, "mine" if not scope.everything else "theirs")
        await session.execute(_REOPEN, {"id": contact_id})
    row = await contact_row(session, contact_id, scope)
    if row is None:
        raise LookupError(contact_id)
    if changed:
        changes: dict[str, list[Any]] = {"status": ["closed", "open"], "outcome": [locked.outcome, None]}
        if locked.close_comment:
            changes["close_comment"] = [locked.close_comment, None]
        await accounts.record(session, actor, "lead_contact", str(contact_id), "reopen", changes, summary=_summary(row))
    return row, changed
