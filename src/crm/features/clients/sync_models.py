"""Sync bookkeeping (settings, runs, cursors) and the derived figures maintained on every sync."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Date, DateTime, Index, Integer, Numeric, String, Text, Uuid, func, select, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from crm.lib.db import BigIntAuditBase, DefaultBase

MONEY = Numeric(14, 2)


class Bitrix24Settings(DefaultBase):
    """The connection as set on the Integrations screen (one row; environment variables win over it).
    Secrets are stored encrypted with the application's secret key (``*_enc``)."""

    __tablename__ = "bitrix24_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, default=1)
    mode: Mapped[str] = mapped_column(String(16), default="")  # "webhook" | "app" | ""
    webhook_url_enc: Mapped[str] = mapped_column(Text, default="")
    portal: Mapped[str] = mapped_column(String(255), default="")  # https://portal.bitrix24.ru
    client_id: Mapped[str] = mapped_column(String(255), default="")
    client_secret_enc: Mapped[str] = mapped_column(Text, default="")
    access_token_enc: Mapped[str] = mapped_column(Text, default="")
    refresh_token_enc: Mapped[str] = mapped_column(Text, default="")
    client_endpoint: Mapped[str] = mapped_column(String(512), default="")
    oauth_url: Mapped[str] = mapped_column(String(512), default="")
    rate: Mapped[Decimal] = mapped_column(Numeric(6, 2), default=Decimal("2"))
    field_map: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    min_call_seconds: Mapped[int] = mapped_column(Integer, default=20)
    # activity kinds (crm.features.clients.mapping.activity_kind) counted as meetings / as communications
    meeting_kinds: Mapped[list[str]] = mapped_column(
        JSONB, default=lambda: ["meeting"], server_default=text("'[\"meeting\"]'::jsonb")
    )
    communication_kinds: Mapped[list[str]] = mapped_column(
        JSONB,
        default=lambda: ["call", "meeting", "email"],
        server_default=text('\'["call", "meeting", "email"]\'::jsonb'),
    )
    auth_connector: Mapped[str] = mapped_column(String(64), default="crm")
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class SyncRun(BigIntAuditBase):
    """One run of a sync job: what it did (counts per entity), how far it got, and how it ended."""

    __tablename__ = "sync_runs"

    kind: Mapped[str] = mapped_column(String(16), index=True)  # full, incremental, period, reconcile, rebuild
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued running done failed
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    params: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    counts: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    progress: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)  # entity → {"done", "total"}
    requests: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)

    @property
    def percent(self) -> int | None:
        done = sum(int(p.get("done", 0)) for p in self.progress.values())
        total = sum(int(p.get("total", 0)) for p in self.progress.values())
        return min(100, round(100 * done / total)) if total else None


class SyncState(DefaultBase):
    """Cursors that make jobs resumable: full-import keyset positions, watermarks, the offline process_id."""

    __tablename__ = "sync_state"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class CompanyFigure(DefaultBase):
    """A company's last communication: the latest start of a completed call, meeting or email activity linked to
    it (directly or through its deals) or of a connected call of at least the minimum duration."""

    __tablename__ = "company_figures"
    company_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    last_communication_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)


class CompanyPipelineFigure(DefaultBase):
    """Sums and counts of a company's active (in progress) and won deals in one pipeline."""

    __tablename__ = "company_pipeline_figures"
    __table_args__ = (
        # the report's sort by a pipeline's sums: its companies with the biggest sums first, walked in order
        Index("ix_company_pipeline_figures_active_order", "pipeline_id", text("active_sum DESC"), "company_id"),
        Index("ix_company_pipeline_figures_won_order", "pipeline_id", text("won_sum DESC"), "company_id"),
    )

    company_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    pipeline_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    active_sum: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    active_count: Mapped[int] = mapped_column(Integer, default=0)
    won_sum: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    won_count: Mapped[int] = mapped_column(Integer, default=0)
    preparation_count: Mapped[int] = mapped_column(Integer, default=0)


class ManagerDayFigure(DefaultBase):
    """Per employee and local day: outgoing calls of at least the minimum duration (one per company per day;
    calls without a company each count), all outgoing calls, talk seconds, completed meetings (by end)."""

    __tablename__ = "manager_day_figures"

    employee_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    calls: Mapped[int] = mapped_column(Integer, default=0)
    calls_total: Mapped[int] = mapped_column(Integer, default=0)
    call_seconds: Mapped[int] = mapped_column(Integer, default=0)
    meetings: Mapped[int] = mapped_column(Integer, default=0)


class ManagerDayCompany(DefaultBase):
    """The companies an employee called on a local day: an outgoing call of at least the minimum duration (the
    company part of ``ManagerDayFigure.calls``), one row per company and day. The plans views count distinct
    companies per month and year from these rows instead of scanning the calls."""

    __tablename__ = "manager_day_companies"

    employee_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    company_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)


async def sync_version(session: AsyncSession) -> str | None:
    """What anything computed from the local copy depends on: the sync runs (every sync, period re-sync and
    figures rebuild is one). A cache keyed by it (the companies list's counts and choices, the communication
    report's totals) is right until the next run. ``None`` while a run is under way: the data is moving, nothing
    is cached then."""
    runs = (
        await session.execute(
            select(
                func.count(SyncRun.id),
                func.max(SyncRun.id),
                func.max(SyncRun.finished_at),
                func.bool_or(SyncRun.status.in_(("queued", "running"))),
            )
        )
    ).one()
    return None if runs[3] else f"{runs[0]}:{runs[1]}:{runs[2]}"
