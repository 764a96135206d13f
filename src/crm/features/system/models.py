"""Records of the system screens: the organisation's settings edited on /settings, and outcomes of test mails."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from crm.lib.db import BigIntAuditBase, DefaultBase


class SystemSettings(DefaultBase):
    """The settings an admin edits on /settings (one row, id 1). An empty value means "not set here": the
    default applies. A ``CRM_*`` environment variable wins over the column of the same meaning.
    The SMTP password is stored encrypted with the application's secret key (``smtp_password_enc``)."""

    __tablename__ = "system_settings"
    __table_args__ = (
        CheckConstraint("id = 1", name="single_row"),
        CheckConstraint("smtp_port IS NULL OR smtp_port BETWEEN 1 AND 65535", name="smtp_port"),
        CheckConstraint("smtp_security IN ('', 'none', 'starttls', 'tls')", name="smtp_security"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, default=1)
    smtp_host: Mapped[str] = mapped_column(String(255), default="")
    smtp_port: Mapped[int | None] = mapped_column(Integer)
    smtp_user: Mapped[str] = mapped_column(String(255), default="")
    smtp_password_enc: Mapped[str] = mapped_column(Text, default="")
    smtp_sender: Mapped[str] = mapped_column(String(255), default="")
    smtp_security: Mapped[str] = mapped_column(String(10), default="")  # none, starttls, tls; "" = not set
    timezone: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class MailTest(BigIntAuditBase):
    """A test message an admin asked for; the worker records whether the SMTP server took it."""

    __tablename__ = "mail_tests"

    requested_by: Mapped[str] = mapped_column(String(255))
    recipient: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(10), default="queued")  # queued, sent, failed
    error: Mapped[str] = mapped_column(Text, default="")
