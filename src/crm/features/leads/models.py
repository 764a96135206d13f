"""Lead desk records: operators, sources and their weights, leads, contacts (appeals), merges.

Ids are database identities and timestamps have server defaults, so the intake path, bulk demo data and
benchmarks can write with plain SQL.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from advanced_alchemy.base import DefaultBase
from advanced_alchemy.types import DateTimeUTC, JsonB
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

CONTACT_OPEN = "open"
CONTACT_CLOSED = "closed"
DEFAULT_MAX_LOAD = 10
# How a contact ended, chosen from a fixed list when it is closed (labels in ``work.OUTCOME_LABELS``).
OUTCOMES = ("reached", "not_reached", "wrong_number", "duplicate", "other")


def _id() -> Mapped[int]:
    return mapped_column(BigInteger, Identity(), primary_key=True)


def _created() -> Mapped[datetime]:
    return mapped_column(DateTimeUTC(timezone=True), server_default=func.now())


class LeadOperator(DefaultBase):
    """The lead-desk profile of a user with the ``operator`` role (the user record belongs to accounts)."""

    __tablename__ = "lead_operators"
    __table_args__ = (
        CheckConstraint("max_load >= 0", name="max_load_not_negative"),
        CheckConstraint("open_count >= 0", name="open_count_not_negative"),
    )

    id: Mapped[int] = _id()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    max_load: Mapped[int] = mapped_column(Integer, default=DEFAULT_MAX_LOAD, server_default=text(str(DEFAULT_MAX_LOAD)))
    # current_load: the number of the operator's open contacts, changed in the same transaction as they are
    # (intake and the queue job +1, closing -1; see intake.py for why a counter). ``reconcile_loads`` rebuilds it.
    open_count: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    created_at: Mapped[datetime] = _created()


class LeadSource(DefaultBase):
    """A bot or web form that sends contacts; it authenticates with its intake key (only the hash is kept)."""

    __tablename__ = "lead_sources"

    id: Mapped[int] = _id()
    name: Mapped[str] = mapped_column(String(120), unique=True)
    intake_key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters of the key, so people can tell which key a bot has without seeing the secret.
    intake_key_prefix: Mapped[str] = mapped_column(String(16))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    key_rotated_at: Mapped[datetime] = _created()
    created_at: Mapped[datetime] = _created()


class LeadCompetence(DefaultBase):
    """How much of a source's flow an operator takes; weight 0 means "not for this source"."""

    __tablename__ = "lead_competences"
    __table_args__ = (
        CheckConstraint("weight >= 0", name="weight_not_negative"),
        Index("ix_lead_competences_source", "source_id", "operator_id"),
    )

    operator_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("lead_operators.id", ondelete="CASCADE"), primary_key=True
    )
    source_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("lead_sources.id", ondelete="CASCADE"), primary_key=True
    )
    weight: Mapped[int] = mapped_column(Integer)


class Lead(DefaultBase):
    """A person or company; identifiers are unique when present, which is what stops duplicate leads."""

    __tablename__ = "leads"
    __table_args__ = (
        Index("uq_leads_external_id", "external_id", unique=True, postgresql_where=text("external_id IS NOT NULL")),
        Index("uq_leads_phone", "phone", unique=True, postgresql_where=text("phone IS NOT NULL")),
        Index("uq_leads_email", "email", unique=True, postgresql_where=text("email IS NOT NULL")),
        CheckConstraint("external_id IS NOT NULL OR phone IS NOT NULL OR email IS NOT NULL", name="has_identifier"),
    )

    id: Mapped[int] = _id()
    # "C" collation: identifiers compare byte-wise and prefix searches (LIKE 'x%') use the unique indexes.
    external_id: Mapped[str | None] = mapped_column(String(255, collation="C"))
    phone: Mapped[str | None] = mapped_column(String(16, collation="C"))
    email: Mapped[str | None] = mapped_column(String(255, collation="C"))
    name: Mapped[str] = mapped_column(String(255), default="", server_default="")
    operator_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("lead_operators.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _created()


# Search by the start of a name, case-insensitively, without scanning a million leads.
Index(
    "ix_leads_name_prefix", func.lower(Lead.name).label("name_lower"), postgresql_ops={"name_lower": "text_pattern_ops"}
)


class LeadContact(DefaultBase):
    """One appeal of a lead through a source, given to one operator (or waiting in the unassigned queue)."""

    __tablename__ = "lead_contacts"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'closed')", name="status_known"),
        CheckConstraint(
            "outcome IS NULL OR outcome IN ('reached', 'not_reached', 'wrong_number', 'duplicate', 'other')",
            name="outcome_known",
        ),
        # Rebuilding current_load (reconcile_loads) and the operator's own list of open contacts.
        Index(
            "ix_lead_contacts_open_by_operator",
            "operator_id",
            postgresql_where=text("status = 'open' AND operator_id IS NOT NULL"),
        ),
        # The unassigned queue, oldest first per source.
        Index(
            "ix_lead_contacts_unassigned",
            "source_id",
            "created_at",
            "id",
            postgresql_where=text("status = 'open' AND operator_id IS NULL"),
        ),
        # All contacts, newest first; and those never given to anyone, for the statistics of a period.
        Index("ix_lead_contacts_created", "created_at"),
        Index(
            "ix_lead_contacts_never_assigned", "created_at", "source_id", postgresql_where=text("operator_id IS NULL")
        ),
        # An operator's contacts by status, newest first; its count is an index-only scan.
        Index("ix_lead_contacts_operator_status", "operator_id", "status", "created_at"),
        Index("ix_lead_contacts_lead", "lead_id", "created_at"),
    )

    id: Mapped[int] = _id()
    # RESTRICT: contacts are never deleted with a lead; a merge moves them first.
    lead_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("leads.id", ondelete="RESTRICT"))
    source_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("lead_sources.id", ondelete="RESTRICT"))
    operator_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("lead_operators.id", ondelete="SET NULL"))
    message: Mapped[str] = mapped_column(Text, default="", server_default="")
    status: Mapped[str] = mapped_column(String(10), default=CONTACT_OPEN, server_default=CONTACT_OPEN)
    # Why this operator (or none) was chosen: a code and its figures, rendered in the reader's language.
    reason_code: Mapped[str] = mapped_column(String(20))
    reason_params: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict, server_default=text("'{}'::jsonb"))
    created_at: Mapped[datetime] = _created()
    assigned_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    # How it ended and who closed it (the closer may reopen it for a while); cleared when it is reopened.
    outcome: Mapped[str | None] = mapped_column(String(20))
    close_comment: Mapped[str] = mapped_column(Text, default="", server_default="")
    closed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class LeadDailyCount(DefaultBase):
    """Contacts given to an operator per source and day of receipt (the organisation's day): what the
    statistics read, so a year of a million contacts is a few thousand rows. Kept in the same transaction as
    the contacts (intake and the queue job add 1); ``queue.reconcile`` rebuilds it from the contacts."""

    __tablename__ = "lead_daily_counts"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    source_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("lead_sources.id", ondelete="CASCADE"), primary_key=True
    )
    operator_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("lead_operators.id", ondelete="CASCADE"), primary_key=True
    )
    contacts: Mapped[int] = mapped_column(Integer)


class LeadMerge(DefaultBase):
    """The record of a merge: which lead was folded into which, with what it carried."""

    __tablename__ = "lead_merges"

    id: Mapped[int] = _id()
    into_lead_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    merged_lead_id: Mapped[int] = mapped_column(BigInteger, index=True)
    merged_identifiers: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
    contacts_moved: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = _created()
