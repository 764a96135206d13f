"""Records of the reports slice: a person's saved views of a report, the communication report's settings, and
scheduled reports with their runs (the archive) and deliveries."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from advanced_alchemy.types import JsonB
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from crm.lib.db import BigIntAuditBase, DefaultBase


class ReportView(BigIntAuditBase):
    """A named set of filters and sort of a report (its query string) kept for one user."""

    __tablename__ = "report_views"
    __table_args__ = (UniqueConstraint("user_id", "report", "name", name="uq_report_views_user_report_name"),)

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    report: Mapped[str] = mapped_column(String(32))  # "communications", "sales"
    name: Mapped[str] = mapped_column(String(120))
    query: Mapped[str] = mapped_column(Text, default="")


class CommunicationReportSettings(DefaultBase):
    """The client-communication report's settings (one row, id 1), edited by admins on the report's page;
    without the row the defaults of ``crm.features.reports.communications`` apply."""

    __tablename__ = "communication_report_settings"
    __table_args__ = (
        CheckConstraint("id = 1", name="single_row"),
        CheckConstraint("stale_months BETWEEN 1 AND 60", name="stale_months"),
        CheckConstraint("lost_days BETWEEN 1 AND 366", name="lost_days"),
        CheckConstraint("page_size BETWEEN 10 AND 500", name="page_size"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, default=1)
    stale_months: Mapped[int] = mapped_column(Integer, default=6)
    lost_days: Mapped[int] = mapped_column(Integer, default=30)
    page_size: Mapped[int] = mapped_column(Integer, default=50)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


# --------------------------------------------------------------------------- scheduled reports


class ReportSchedule(BigIntAuditBase):
    """A report sent on a schedule (daily at a time, weekly on a weekday, monthly on a day; the organisation's
    zone) to destinations. ``params``: the sales report's period kind, pipeline and deal field. ``destinations``:
    ``[{"kind": "bitrix24_chat"|"bitrix24_stream"|"telegram"|"email", "target": "..."}]``; the bot token is
    kept sealed in ``telegram_token_enc`` and never shown back."""

    __tablename__ = "report_schedules"
    __table_args__ = (
        CheckConstraint("frequency IN ('daily', 'weekly', 'monthly')", name="frequency"),
        CheckConstraint("hour BETWEEN 0 AND 23 AND minute BETWEEN 0 AND 59", name="time_of_day"),
        CheckConstraint("weekday IS NULL OR weekday BETWEEN 0 AND 6", name="weekday"),
        CheckConstraint("month_day IS NULL OR month_day BETWEEN 1 AND 31", name="month_day"),
        Index("ix_report_schedules_due", "next_run_at", postgresql_where=text("active")),
    )

    name: Mapped[str] = mapped_column(String(120))
    owner_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"), index=True, nullable=True
    )
    report: Mapped[str] = mapped_column(String(32), default="sales")
    params: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
    frequency: Mapped[str] = mapped_column(String(10))
    hour: Mapped[int] = mapped_column(Integer, default=9)
    minute: Mapped[int] = mapped_column(Integer, default=0)
    weekday: Mapped[int | None] = mapped_column(Integer, nullable=True)  # 0 = Monday
    month_day: Mapped[int | None] = mapped_column(Integer, nullable=True)  # 31: the last day of shorter months
    destinations: Mapped[list[dict[str, Any]]] = mapped_column(JsonB, default=list)
    telegram_token_enc: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    next_run_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    zone: Mapped[str] = mapped_column(String(64), default="")  # the zone next_run_at was computed in
    last_run_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class ReportRun(BigIntAuditBase):
    """One run of a schedule: rendered once (PDF and chart kept), then delivered to each destination. A run of the
    schedule's time is unique per (schedule, scheduled_for), so two ticks of the cron cannot make two."""

    __tablename__ = "report_runs"
    __table_args__ = (
        UniqueConstraint("schedule_id", "scheduled_for", name="uq_report_runs_schedule_time"),
        CheckConstraint("kind IN ('scheduled', 'manual', 'test')", name="kind"),
        CheckConstraint("status IN ('pending', 'delivering', 'done', 'partial', 'failed')", name="status"),
    )

    schedule_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("report_schedules.id", ondelete="CASCADE"))
    scheduled_for: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    kind: Mapped[str] = mapped_column(String(10), default="scheduled")
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    requested_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    destinations: Mapped[list[dict[str, Any]]] = mapped_column(JsonB, default=list)  # as at the run's creation
    day_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    day_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    total_sum: Mapped[Decimal | None] = mapped_column(Numeric(14, 2), nullable=True)
    total_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    texts: Mapped[dict[str, str]] = mapped_column(JsonB, default=dict)  # the messages as sent, by format
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True, deferred=True)
    png: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True, deferred=True)
    error: Mapped[str] = mapped_column(Text, default="")
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class ReportDelivery(BigIntAuditBase):
    """One destination of one run, delivered at most once: unique (run, destination); claimed by an atomic UPDATE
    (``sending`` with a lease), retried with back-off (``next_attempt_at``), ending ``sent`` or ``failed``.
    ``steps``: the parts already delivered (message, photo, document...), so a retry never repeats one."""

    __tablename__ = "report_deliveries"
    __table_args__ = (
        UniqueConstraint("run_id", "destination", name="uq_report_deliveries_run_destination"),
        CheckConstraint("state IN ('pending', 'sending', 'sent', 'failed')", name="state"),
        Index("ix_report_deliveries_due", "next_attempt_at", postgresql_where=text("state IN ('pending', 'sending')")),
    )

    run_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("report_runs.id", ondelete="CASCADE"), index=True)
    destination: Mapped[str] = mapped_column(String(400))  # "<kind>:<target>"
    kind: Mapped[str] = mapped_column(String(20))
    target: Mapped[str] = mapped_column(String(400), default="")
    state: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    steps: Mapped[list[str]] = mapped_column(JsonB, default=list)
    error: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
