"""The local copy of the Bitrix24 CRM: departments, employees, pipelines and stages, companies with requisites,
deals, contacts, leads, activities and calls. Records keep Bitrix24's ids as their own primary keys (departments
excepted: they may exist before any sync), never vanish (deleted in Bitrix24 → ``active = false``), and carry
``synced_at``."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column, synonym

from crm.lib.db import DefaultBase

MONEY = Numeric(14, 2)


def _synced() -> Any:
    return mapped_column(DateTime(timezone=True), server_default=func.now())


class Pipeline(DefaultBase):
    """A deal pipeline ("direction", ``crm.category.list`` entityTypeId 2); id 0 is the general one."""

    __tablename__ = "pipelines"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(255))
    sort: Mapped[int] = mapped_column(Integer, default=500)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    synced_at: Mapped[datetime] = _synced()


class Stage(DefaultBase):
    """A deal stage (``crm.status.list`` DEAL_STAGE[_n]); ``preparation`` is a local flag set by an admin."""

    __tablename__ = "stages"
    __table_args__ = (Index("ix_stages_pipeline_sort", "pipeline_id", "sort"),)

    status_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    bitrix_id: Mapped[int | None] = mapped_column(BigInteger)
    pipeline_id: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(255))
    sort: Mapped[int] = mapped_column(Integer, default=0)
    semantics: Mapped[str] = mapped_column(String(1), default="P")  # P in progress, S won, F lost
    color: Mapped[str] = mapped_column(String(16), default="")
    preparation: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    synced_at: Mapped[datetime] = _synced()


class ReferenceValue(DefaultBase):
    """An item of a Bitrix24 reference list (``crm.status.list`` ENTITY_ID INDUSTRY, EMPLOYEES, COMPANY_TYPE):
    the portal's name for a code that companies carry."""

    __tablename__ = "reference_values"

    entity_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    status_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    sort: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    synced_at: Mapped[datetime] = _synced()


# Made where the server has pg_trgm (migration 0018, the benchmarks); the title search is a plain ILIKE either way.
TRIGRAM_INDEXES = ("CREATE INDEX IF NOT EXISTS ix_companies_title_trgm ON companies USING gin (title gin_trgm_ops)",)


class Company(DefaultBase):
    """A client company (``crm.company.list``) with its INN (first requisite) and region/city (address)."""

    __tablename__ = "companies"
    __table_args__ = (
        Index("ix_companies_inn_prefix", "inn", postgresql_ops={"inn": "text_pattern_ops"}),
        Index("ix_companies_active_responsible", "active", "responsible_id"),
        # the list's default order (by title, ties by id) read straight from the index for a page
        Index("ix_companies_title_order", text("lower(title)"), "id"),
        # the list sorted by the last communication, either way, companies never contacted last, ties by id in the
        # sort's direction (crm.lib.lists): a page is read straight from one of these (the sort used to join the
        # derived figures and sort them all)
        Index("ix_companies_last_comm_desc", text("last_communication_at DESC NULLS LAST"), text("id DESC")),
        Index("ix_companies_last_comm_asc", "last_communication_at", "id"),
        # ix_companies_title_trgm (GIN, pg_trgm) serves the title search where the server has pg_trgm: made by
        # migration 0018 only there, so it is not declared here (crm.lib.db.managed_by_migrations skips it)
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    bitrix_id = synonym("id")
    title: Mapped[str] = mapped_column(String(512), default="")
    company_type: Mapped[str] = mapped_column(String(64), default="")
    industry: Mapped[str] = mapped_column(String(64), default="", index=True)
    employees: Mapped[str] = mapped_column(String(64), default="")
    revenue: Mapped[Decimal | None] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(String(8), default="")
    responsible_id: Mapped[int | None] = mapped_column(BigInteger)
    bitrix_created_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    bitrix_modified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    inn: Mapped[str | None] = mapped_column(String(16))
    kpp: Mapped[str | None] = mapped_column(String(16))
    legal_name: Mapped[str | None] = mapped_column(String(512))
    region: Mapped[str | None] = mapped_column(String(255), index=True)
    city: Mapped[str | None] = mapped_column(String(255))
    address: Mapped[str | None] = mapped_column(String(512))
    fields: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)  # mapped UF_* values
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    synced_at: Mapped[datetime] = _synced()
    # A copy of ``company_figures.last_communication_at`` kept equal to it by ``crm.features.clients.figures``
    # (every recompute after a sync stores activities and calls, every rebuild), never written by the sync's
    # upsert of the company itself: the companies list sorts by it through the indexes above.
    last_communication_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Requisite(DefaultBase):
    """A company requisite (``crm.requisite.list`` ENTITY_TYPE_ID 4): a company may have 0..n."""

    __tablename__ = "company_requisites"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    company_id: Mapped[int] = mapped_column(BigInteger, index=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    inn: Mapped[str | None] = mapped_column(String(16), index=True)
    kpp: Mapped[str | None] = mapped_column(String(16))
    ogrn: Mapped[str | None] = mapped_column(String(20))
    legal_name: Mapped[str | None] = mapped_column(String(512))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    synced_at: Mapped[datetime] = _synced()


class CompanyAddress(DefaultBase):
    """The company's address of the configured type (``crm.address.list``; legal address, TYPE_ID 6)."""

    __tablename__ = "company_addresses"

    company_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    region: Mapped[str | None] = mapped_column(String(255))
    city: Mapped[str | None] = mapped_column(String(255))
    address: Mapped[str | None] = mapped_column(String(512))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    synced_at: Mapped[datetime] = _synced()


class Deal(DefaultBase):
    """A deal (``crm.deal.list``)."""

    __tablename__ = "deals"
    __table_args__ = (
        Index("ix_deals_company_pipeline", "company_id", "pipeline_id"),
        Index("ix_deals_closed_on", "close_date"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    bitrix_id = synonym("id")
    title: Mapped[str] = mapped_column(String(512), default="")
    pipeline_id: Mapped[int] = mapped_column(BigInteger, default=0)
    stage_id: Mapped[str] = mapped_column(String(64), default="")
    semantic: Mapped[str] = mapped_column(String(1), default="P")  # P in progress, S won, F lost
    amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    currency: Mapped[str] = mapped_column(String(8), default="")
    company_id: Mapped[int | None] = mapped_column(BigInteger)
    contact_id: Mapped[int | None] = mapped_column(BigInteger)
    responsible_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    type_id: Mapped[str] = mapped_column(String(64), default="")
    source_id: Mapped[str] = mapped_column(String(64), default="")
    utm_source: Mapped[str] = mapped_column(String(255), default="")
    begin_date: Mapped[date | None] = mapped_column(Date)
    close_date: Mapped[date | None] = mapped_column(Date)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    bitrix_created_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    bitrix_modified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    moved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    fields: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)  # mapped UF_* (e.g. contract_type)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    synced_at: Mapped[datetime] = _synced()


class Contact(DefaultBase):
    """A contact person (``crm.contact.list``). ``company_id`` is the primary company (``COMPANY_ID``);
    ``company_ids`` every company it is linked to (``crm.contact.company.items.get``), the primary first."""

    __tablename__ = "contacts"
    __table_args__ = (
        Index("ix_contacts_company", "company_id"),
        Index("ix_contacts_company_ids", "company_ids", postgresql_using="gin"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    bitrix_id = synonym("id")
    name: Mapped[str] = mapped_column(String(255), default="")
    last_name: Mapped[str] = mapped_column(String(255), default="")
    second_name: Mapped[str] = mapped_column(String(255), default="")
    post: Mapped[str] = mapped_column(String(255), default="")
    company_id: Mapped[int | None] = mapped_column(BigInteger)
    company_ids: Mapped[list[int]] = mapped_column(ARRAY(BigInteger), default=list, server_default=text("'{}'"))
    responsible_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    phones: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list, server_default=text("'{}'"))
    emails: Mapped[list[str]] = mapped_column(ARRAY(String(255)), default=list, server_default=text("'{}'"))
    source_id: Mapped[str] = mapped_column(String(64), default="")
    bitrix_created_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    bitrix_modified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    synced_at: Mapped[datetime] = _synced()


class CrmLead(DefaultBase):
    """A Bitrix24 lead (``crm.lead.list``; not the lead desk's own leads); ``company_id`` / ``contact_id`` are
    set once it is converted or linked."""

    __tablename__ = "crm_leads"
    __table_args__ = (
        Index("ix_crm_leads_company", "company_id"),
        Index("ix_crm_leads_contact", "contact_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    bitrix_id = synonym("id")
    title: Mapped[str] = mapped_column(String(512), default="")
    name: Mapped[str] = mapped_column(String(255), default="")
    last_name: Mapped[str] = mapped_column(String(255), default="")
    status_id: Mapped[str] = mapped_column(String(64), default="")
    semantic: Mapped[str] = mapped_column(String(1), default="P")  # P in progress, S converted, F junk
    source_id: Mapped[str] = mapped_column(String(64), default="")
    company_title: Mapped[str] = mapped_column(String(512), default="")
    company_id: Mapped[int | None] = mapped_column(BigInteger)
    contact_id: Mapped[int | None] = mapped_column(BigInteger)
    responsible_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    amount: Mapped[Decimal | None] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(String(8), default="")
    phones: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list, server_default=text("'{}'"))
    emails: Mapped[list[str]] = mapped_column(ARRAY(String(255)), default=list, server_default=text("'{}'"))
    bitrix_created_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    bitrix_modified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    synced_at: Mapped[datetime] = _synced()


class Activity(DefaultBase):
    """A CRM activity (``crm.activity.list``); ``kind`` comes from PROVIDER_ID (call, meeting, email, task,
    todo, other); ``company_id`` is the owner company, or the company of the owner deal, contact (its primary
    company) or lead, resolved when stored and followed when the owner changes company."""

    __tablename__ = "activities"
    __table_args__ = (
        Index("ix_activities_company_start", "company_id", "start_at"),
        Index("ix_activities_responsible_start", "responsible_id", "start_at"),
        Index("ix_activities_owner", "owner_type_id", "owner_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    owner_type_id: Mapped[int] = mapped_column(Integer, default=0)
    owner_id: Mapped[int | None] = mapped_column(BigInteger)
    company_id: Mapped[int | None] = mapped_column(BigInteger)
    deal_id: Mapped[int | None] = mapped_column(BigInteger)
    type_id: Mapped[int] = mapped_column(Integer, default=0)
    provider_id: Mapped[str] = mapped_column(String(64), default="")
    provider_type_id: Mapped[str] = mapped_column(String(64), default="")
    kind: Mapped[str] = mapped_column(String(16), default="other")
    direction: Mapped[int] = mapped_column(Integer, default=0)  # 1 incoming, 2 outgoing
    responsible_id: Mapped[int | None] = mapped_column(BigInteger)
    subject: Mapped[str] = mapped_column(Text, default="")
    start_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    end_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    bitrix_created_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    bitrix_modified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    synced_at: Mapped[datetime] = _synced()


class Call(DefaultBase):
    """A telephony call (``voximplant.statistic.get``)."""

    __tablename__ = "calls"
    __table_args__ = (
        Index("ix_calls_user_start", "user_id", "start_at"),
        Index("ix_calls_company_start", "company_id", "start_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    call_id: Mapped[str] = mapped_column(String(255), default="")
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    phone: Mapped[str] = mapped_column(String(64), default="")
    call_type: Mapped[int] = mapped_column(Integer, default=0)  # 1 out, 2 in, 3 in-redirect, 4 callback, 5 info
    duration: Mapped[int] = mapped_column(Integer, default=0)
    start_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    failed_code: Mapped[str] = mapped_column(String(16), default="")
    crm_entity_type: Mapped[str] = mapped_column(String(16), default="")
    crm_entity_id: Mapped[int | None] = mapped_column(BigInteger)
    company_id: Mapped[int | None] = mapped_column(BigInteger)
    activity_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    synced_at: Mapped[datetime] = _synced()

    @property
    def outgoing(self) -> bool:
        return self.call_type == 1
