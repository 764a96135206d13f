"""API bodies and answers of the lead desk (msgspec), and turning an intake body into checked identifiers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

import msgspec

from crm.features.leads import distribution
from crm.features.leads.identifiers import (
    IdentifierError,
    normalize_email,
    normalize_external_id,
    normalize_phone,
)
from crm.features.leads.intake import IntakeResult, LeadIdentity

Id = Annotated[int, msgspec.Meta(ge=1, le=2**62)]


class LeadIn(msgspec.Struct, forbid_unknown_fields=False):
    external_id: Annotated[str, msgspec.Meta(max_length=255, examples=["tg:123456789"])] | None = None
    phone: Annotated[str, msgspec.Meta(max_length=40, examples=["8 (912) 345-67-89"])] | None = None
    email: Annotated[str, msgspec.Meta(max_length=255, examples=["ivan@example.ru"])] | None = None
    name: Annotated[str, msgspec.Meta(max_length=255, examples=["Иван Петров"])] | None = None


class ContactIn(msgspec.Struct):
    """A contact of a lead through a source. With ``X-Intake-Key`` the source is the key's own."""

    lead: LeadIn
    source_id: Id | None = None
    message: Annotated[str, msgspec.Meta(max_length=4000, examples=["Хочу узнать цену"])] = ""


class ContactCreated(msgspec.Struct):
    id: int
    lead_id: int
    lead_created: bool
    operator_id: int | None
    source_id: int
    status: str
    created_at: datetime
    reason: str
    reason_code: str
    merged_lead_ids: list[int]


class FieldProblem(Exception):
    """A 422 for one field of the body, named as a path (``lead.phone``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def lead_identity(lead: LeadIn) -> LeadIdentity:
    """Normalised identifiers; raises FieldProblem naming the first malformed one."""
    try:
        external_id = normalize_external_id(lead.external_id) if lead.external_id and lead.external_id.strip() else None
        phone = normalize_phone(lead.phone) if lead.phone and lead.phone.strip() else None
        email = normalize_email(lead.email) if lead.email and lead.email.strip() else None
    except IdentifierError as exc:
        raise FieldProblem(f"lead.{exc.field}", exc.message) from None
    if not (external_id or phone or email):
        raise FieldProblem("lead", "Give at least one of external_id, phone or email.")
    return LeadIdentity(external_id=external_id, phone=phone, email=email, name=(lead.name or "").strip())


def contact_created(result: IntakeResult) -> ContactCreated:
    return ContactCreated(
        id=result.id,
        lead_id=result.lead_id,
        lead_created=result.lead_created,
        operator_id=result.operator_id,
        source_id=result.source_id,
        status=result.status,
        created_at=result.created_at,
        reason=result.reason,
        reason_code=result.reason_code,
        merged_lead_ids=result.merged_lead_ids,
    )


class ContactOut(msgspec.Struct):
    id: int
    lead_id: int
    source_id: int
    operator_id: int | None
    status: str
    message: str
    created_at: datetime
    assigned_at: datetime | None
    closed_at: datetime | None
    reason: str
    reason_code: str
    lead_name: str
    lead_phone: str | None
    lead_email: str | None
    source_name: str
    operator_name: str | None
    outcome: str | None = None
    close_comment: str = ""
    closed_by: str | None = None


class ContactCloseIn(msgspec.Struct):
    """How the contact ended (one of reached, not_reached, wrong_number, duplicate, other) and a comment."""

    outcome: Annotated[str, msgspec.Meta(examples=["reached"])] | None = None
    comment: Annotated[str, msgspec.Meta(max_length=2000, examples=["Перезвонить после 15:00"])] = ""


def contact_out(row: Any) -> ContactOut:
    contact = row[0]
    return ContactOut(
        id=contact.id,
        lead_id=contact.lead_id,
        source_id=contact.source_id,
        operator_id=contact.operator_id,
        status=contact.status,
        message=contact.message,
        created_at=contact.created_at,
        assigned_at=contact.assigned_at,
        closed_at=contact.closed_at,
        reason=distribution.reason_text(contact.reason_code, contact.reason_params),
        reason_code=contact.reason_code,
        lead_name=row.lead_name,
        lead_phone=row.lead_phone,
        lead_email=row.lead_email,
        source_name=row.source_name,
        operator_name=row.operator_name,
        outcome=contact.outcome,
        close_comment=contact.close_comment,
        closed_by=row.closed_by_name,
    )


class OperatorOut(msgspec.Struct):
    id: int
    user_id: uuid.UUID
    name: str
    email: str
    is_active: bool
    user_active: bool
    max_load: int
    current_load: int
    weights: dict[str, int]


def operator_out(view: Any) -> OperatorOut:
    return OperatorOut(
        id=view.id,
        user_id=view.user_id,
        name=view.name,
        email=view.email,
        is_active=view.is_active,
        user_active=view.user_active,
        max_load=view.max_load,
        current_load=view.current_load,
        weights={str(k): v for k, v in sorted(view.weights.items())},
    )


class OperatorIn(msgspec.Struct):
    """Put a user on the desk, by id or email; they get the operator role if they lack it."""

    user_id: uuid.UUID | None = None
    email: Annotated[str, msgspec.Meta(max_length=255, examples=["operator@example.com"])] | None = None
    max_load: Annotated[int, msgspec.Meta(ge=0, le=100_000)] = 10
    is_active: bool = True


class OperatorPatch(msgspec.Struct):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=255)] | None = None
    is_active: bool | None = None
    max_load: Annotated[int, msgspec.Meta(ge=0, le=100_000)] | None = None


class SourceOut(msgspec.Struct):
    id: int
    name: str
    is_active: bool
    intake_key_prefix: str
    unassigned: int
    weights: dict[str, int]
    intake_key: str | None = None


def source_out(view: Any, intake_key: str | None = None) -> SourceOut:
    return SourceOut(
        id=view.id,
        name=view.name,
        is_active=view.is_active,
        intake_key_prefix=view.intake_key_prefix,
        unassigned=view.unassigned,
        weights={str(k): v for k, v in sorted(view.weights.items())},
        intake_key=intake_key,
    )


class SourceIn(msgspec.Struct):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=120, examples=["Telegram-бот"])]


class SourcePatch(msgspec.Struct):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=120)] | None = None
    is_active: bool | None = None


class CompetenceIn(msgspec.Struct):
    operator_id: Id
    weight: Annotated[int, msgspec.Meta(ge=0, le=1_000_000, examples=[10])]


class CompetenceOut(msgspec.Struct):
    operator_id: int
    weight: int


class LeadOut(msgspec.Struct):
    id: int
    external_id: str | None
    phone: str | None
    email: str | None
    name: str
    operator_id: int | None
    operator_name: str | None
    created_at: datetime


def lead_out(lead: Any, operator_name: str | None) -> LeadOut:
    return LeadOut(
        id=lead.id,
        external_id=lead.external_id,
        phone=lead.phone,
        email=lead.email,
        name=lead.name,
        operator_id=lead.operator_id,
        operator_name=operator_name,
        created_at=lead.created_at,
    )


class MergeOut(msgspec.Struct):
    merged_lead_id: int
    merged_identifiers: dict[str, Any]
    contacts_moved: int
    created_at: datetime


class LeadDetail(msgspec.Struct):
    lead: LeadOut
    contacts: list[ContactOut]
    merges: list[MergeOut]


class ShareOut(msgspec.Struct):
    source_id: int
    source_name: str
    operator_id: int | None
    operator_name: str
    weight: int
    contacts: int
    share: float
    expected_share: float | None


class SourceTotalOut(msgspec.Struct):
    source_id: int
    source_name: str
    contacts: int
    unassigned: int
    total_weight: int


class StatsOut(msgspec.Struct):
    date_from: str = msgspec.field(name="from")
    date_to: str = msgspec.field(name="to")
    rows: list[ShareOut] = msgspec.field(default_factory=list)
    sources: list[SourceTotalOut] = msgspec.field(default_factory=list)
