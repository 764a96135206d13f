"""Records of the alerts slice and of operations: who wants the daily alerts mail, jobs that failed for good (a
notice for admins), and per job name the outcome counters the metrics and the health check read (any process
writes them, any process reads them: the web and the worker are separate processes in production)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, DateTime, Float, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from crm.lib.db import BigIntAuditBase, DefaultBase


class AlertMailSetting(DefaultBase):
    """A user's choice of the daily mail of their alerts (off unless they turn it on)."""

    __tablename__ = "alert_mail_settings"

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    daily: Mapped[bool] = mapped_column(Boolean, default=False)
    last_sent_on: Mapped[date | None] = mapped_column(Date)


class OperationFailure(BigIntAuditBase):
    """A job of a kind (sync, import, scheduled report, detail sheet, mailbox check) that failed for good. Failures
    of one kind within an hour of the row's first one are counted on that row: admins get one notice (and at most
    one mail) per kind per hour."""

    __tablename__ = "operation_failures"
    __table_args__ = (Index("ix_operation_failures_kind_first", "kind", "first_at"),)

    kind: Mapped[str] = mapped_column(String(32))
    job: Mapped[str] = mapped_column(String(128), default="")
    error: Mapped[str] = mapped_column(Text, default="")
    occurrences: Mapped[int] = mapped_column(Integer, default=1)
    first_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    mailed: Mapped[bool] = mapped_column(Boolean, default=False)


class JobStat(DefaultBase):
    """Outcome counters per job name and final status, written by the worker after each job; the newest
    ``last_at`` is the worker's heartbeat."""

    __tablename__ = "job_stats"

    job: Mapped[str] = mapped_column(String(128), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, default=0)
    seconds_sum: Mapped[float] = mapped_column(Float, default=0.0)
    last_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
