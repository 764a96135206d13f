"""Records of the system screens: outcomes of test mails sent from the settings page."""

from __future__ import annotations

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crm.lib.db import BigIntAuditBase


class MailTest(BigIntAuditBase):
    """A test message an admin asked for; the worker records whether the SMTP server took it."""

    __tablename__ = "mail_tests"

    requested_by: Mapped[str] = mapped_column(String(255))
    recipient: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(10), default="queued")  # queued, sent, failed
    error: Mapped[str] = mapped_column(Text, default="")
