"""Records of the reports slice: a person's saved views of a report, and the communication report's settings."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, Uuid, func
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
