"""Reading the desk's records with row scope (closing, taking and reopening contacts are in ``work.py``).

Who sees what: ``leads.manage`` sees every lead and contact; an operator (``leads.operate``) sees only the
contacts given to them and the leads they own or have contacts with. The scope goes into the SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from crm.features.accounts.models import User
from crm.features.leads import desk
from crm.features.leads.identifiers import IdentifierError, normalize_email, phone_search_prefix
from crm.features.leads.models import (
    CONTACT_CLOSED,
    CONTACT_OPEN,
    Lead,
    LeadCompetence,
    LeadContact,
    LeadMerge,
    LeadOperator,
    LeadSource,
)
from crm.lib.lists import ListQuery

MANAGE = "leads.manage"
OPERATE = "leads.operate"


@dataclass(frozen=True)
class DeskScope:
    """``everything`` for managers; otherwise the operator profile of the user (None: sees nothing)."""

    everything: bool
    operator_id: int | None = None

    def contacts(self) -> ColumnElement[bool] | None:
        if self.everything:
            return None
        if self.operator_id is None:
            return false()
        return LeadContact.operator_id == self.operator_id

    def leads(self) -> ColumnElement[bool] | None:
        if self.everything:
            return None
        if self.operator_id is None:
            return false()
        mine = exists().where(LeadContact.lead_id == Lead.id, LeadContact.operator_id == self.operator_id)
        return or_(Lead.operator_id == self.operator_id, mine)

    def waiting(self) -> ColumnElement[bool] | None:
        """The unassigned queue: managers see all of it, an operator the contacts of the sources they serve."""
        if self.everything:
            return None
        if self.operator_id is None:
            return false()
        served = select(LeadCompetence.source_id).where(
            LeadCompetence.operator_id == self.operator_id, LeadCompetence.weight > 0
        )
        return LeadContact.source_id.in_(served)


async def desk_scope(session: AsyncSession, user: Any) -> DeskScope:
    if user.can(MANAGE):
        return DeskScope(everything=True)
    if user.can(OPERATE):
        return DeskScope(everything=False, operator_id=await desk.operator_id_of(session, user.id))
    return DeskScope(everything=False)


# --------------------------------------------------------------------------- contacts

OperatorUser = aliased(User, name="operator_user")
ClosedByUser = aliased(User, name="closed_by_user")


def contact_row_query() -> Select[Any]:
    """Contacts with what a list shows of their lead, source and operator: one query, no lazy loads."""
    return (
        select(
            LeadContact,
            Lead.name.label("lead_name"),
            Lead.phone.label("lead_phone"),
            Lead.email.label("lead_email"),
            Lead.external_id.label("lead_external_id"),
            LeadSource.name.label("source_name"),
            func.coalesce(func.nullif(OperatorUser.name, ""), OperatorUser.email).label("operator_name"),
            func.coalesce(func.nullif(ClosedByUser.name, ""), ClosedByUser.email).label("closed_by_name"),
        )
        .join(Lead, Lead.id == LeadContact.lead_id)
        .join(LeadSource, LeadSource.id == LeadContact.source_id)
        .outerjoin(LeadOperator, LeadOperator.id == LeadContact.operator_id)
        .outerjoin(OperatorUser, OperatorUser.id == LeadOperator.user_id)
        .outerjoin(ClosedByUser, ClosedByUser.id == LeadContact.closed_by_id)
    )


@dataclass
class ContactFilter:
    status: str = ""  # "", open, closed
    operator_id: int | None = None
    source_id: int | None = None
    unassigned: bool = False
    lead_id: int | None = None


CONTACT_SORTS: dict[str, tuple[Any, bool]] = {
    "created": (LeadContact.created_at, False),
    "closed": (LeadContact.closed_at, True),
    "status": (LeadContact.status, False),
    "id": (LeadContact.id, False),
}


def contacts_query(filters: ContactFilter, scope: DeskScope, *, waiting: bool = False) -> ListQuery:
    """Contacts the scope may see; ``waiting``: the unassigned queue as the scope sees it instead."""
    where: list[ColumnElement[bool]] = []
    clause = scope.waiting() if waiting else scope.contacts()
    if waiting:
        filters = ContactFilter(status=CONTACT_OPEN, unassigned=True, source_id=filters.source_id)
    if clause is not None:
        where.append(clause)
    if filters.status in {CONTACT_OPEN, CONTACT_CLOSED}:
        where.append(LeadContact.status == filters.status)
    if filters.unassigned:
        where.append(LeadContact.operator_id.is_(None))
    elif filters.operator_id is not None:
        where.append(LeadContact.operator_id == filters.operator_id)
    if filters.source_id is not None:
        where.append(LeadContact.source_id == filters.source_id)
    if filters.lead_id is not None:
        where.append(LeadContact.lead_id == filters.lead_id)
    return ListQuery(
        rows=contact_row_query().where(*where),
        count=select(func.count()).select_from(LeadContact).where(*where),
        sorts=CONTACT_SORTS,
        default="-created",
        tiebreak=LeadContact.id,
    )


async def contact_row(session: AsyncSession, contact_id: int, scope: DeskScope) -> Any | None:
    stmt = contact_row_query().where(LeadContact.id == contact_id)
    clause = scope.contacts()
    if clause is not None:
        stmt = stmt.where(clause)
    return (await session.execute(stmt)).first()


# --------------------------------------------------------------------------- leads


@dataclass
class LeadFilter:
    q: str = ""
    external_id: str = ""
    phone: str = ""
    email: str = ""
    operator_id: int | None = None


class BadFilter(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _search_clause(q: str) -> ColumnElement[bool]:
    """The search box: a phone in any form, the start of an email, an external id, or the start of a name."""
    q = q.strip()
    parts: list[ColumnElement[bool]] = [Lead.external_id == q]
    if "@" in q:
        parts.append(Lead.email.startswith(q.lower(), autoescape=True))
    prefix = phone_search_prefix(q)
    if prefix:
        parts.append(Lead.phone.startswith(prefix, autoescape=True))
    if not prefix and "@" not in q:
        parts.append(func.lower(Lead.name).startswith(q.lower(), autoescape=True))
    return or_(*parts)


LEAD_SORTS: dict[str, tuple[Any, bool]] = {
    "created": (Lead.created_at, False),
    "name": (Lead.name, False),
    "phone": (Lead.phone, True),
    "email": (Lead.email, True),
    "id": (Lead.id, False),
}


def leads_query(filters: LeadFilter, scope: DeskScope) -> ListQuery:
    where: list[ColumnElement[bool]] = []
    clause = scope.leads()
    if clause is not None:
        where.append(clause)
    if filters.external_id:
        where.append(Lead.external_id == filters.external_id.strip())
    if filters.phone:
        prefix = phone_search_prefix(filters.phone)
        if prefix is None:
            raise BadFilter("phone", "Not a phone number.")
        where.append(Lead.phone.startswith(prefix, autoescape=True) if len(prefix) < 12 else Lead.phone == prefix)
    if filters.email:
        try:
            where.append(Lead.email == normalize_email(filters.email))
        except IdentifierError:
            where.append(Lead.email.startswith(filters.email.strip().lower(), autoescape=True))
    if filters.operator_id is not None:
        where.append(Lead.operator_id == filters.operator_id)
    if filters.q:
        where.append(_search_clause(filters.q))
    rows = (
        select(Lead, func.coalesce(func.nullif(User.name, ""), User.email).label("operator_name"))
        .outerjoin(LeadOperator, LeadOperator.id == Lead.operator_id)
        .outerjoin(User, User.id == LeadOperator.user_id)
        .where(*where)
    )
    return ListQuery(
        rows=rows,
        count=select(func.count()).select_from(Lead).where(*where),
        sorts=LEAD_SORTS,
        default="-id",
        tiebreak=Lead.id,
    )


@dataclass
class LeadCard:
    lead: Lead
    operator_name: str | None
    contacts: list[Any]
    merges: list[LeadMerge] = field(default_factory=list)


async def lead_card(session: AsyncSession, lead_id: int, scope: DeskScope, contact_limit: int = 200) -> LeadCard | None:
    found = (await session.execute(leads_query(LeadFilter(), scope).rows.where(Lead.id == lead_id))).first()
    if found is None:
        return None
    contacts = (
        await session.execute(
            contacts_query(ContactFilter(lead_id=lead_id), scope)
            .rows.order_by(LeadContact.created_at.desc(), LeadContact.id.desc())
            .limit(contact_limit)
        )
    ).all()
    merges = (
        await session.scalars(select(LeadMerge).where(LeadMerge.into_lead_id == lead_id).order_by(LeadMerge.id))
    ).all()
    return LeadCard(lead=found[0], operator_name=found[1], contacts=list(contacts), merges=list(merges))


async def merged_into(session: AsyncSession, lead_id: int) -> int | None:
    """Where a merged lead went (following chains of merges), or None if it was never merged."""
    current, seen = lead_id, set()
    while current not in seen:
        seen.add(current)
        target = await session.scalar(select(LeadMerge.into_lead_id).where(LeadMerge.merged_lead_id == current))
        if target is None:
            return None if current == lead_id else current
        current = target
    return None


async def queue_count(session: AsyncSession, scope: DeskScope) -> int:
    """How many contacts wait in the queue as the scope sees it (the badge of the queue's tab)."""
    stmt = (
        select(func.count())
        .select_from(LeadContact)
        .where(LeadContact.status == CONTACT_OPEN, LeadContact.operator_id.is_(None))
    )
    clause = scope.waiting()
    if clause is not None:
        stmt = stmt.where(clause)
    return int(await session.scalar(stmt) or 0)


async def desk_summary(session: AsyncSession) -> dict[str, int]:
    """Figures for the top of the desk's pages, cheap at millions of contacts: the open contacts are the sum
    of the load counters plus the waiting ones (a partial index), never a scan of the contacts."""
    assigned = await session.scalar(select(func.coalesce(func.sum(LeadOperator.open_count), 0)))
    unassigned = await session.scalar(
        select(func.count())
        .select_from(LeadContact)
        .where(LeadContact.status == CONTACT_OPEN, LeadContact.operator_id.is_(None))
    )
    active = await session.scalar(
        select(func.count())
        .select_from(LeadOperator)
        .join(User, User.id == LeadOperator.user_id)
        .where(and_(LeadOperator.is_active.is_(True), User.is_active.is_(True)))
    )
    return {
        "open": int(assigned or 0) + int(unassigned or 0),
        "unassigned": int(unassigned or 0),
        "active_operators": int(active or 0),
    }


async def operator_sources(session: AsyncSession, operator_id: int) -> list[int]:
    return list(
        (
            await session.scalars(
                select(LeadCompetence.source_id).where(
                    LeadCompetence.operator_id == operator_id, LeadCompetence.weight > 0
                )
            )
        ).all()
    )
