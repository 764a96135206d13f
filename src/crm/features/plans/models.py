"""Daily call plans (with forced completion), comments on a manager's day, and the report settings."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Text,
    Uuid,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from crm.lib.db import BigIntAuditBase, DefaultBase


class CallPlan(DefaultBase):
    """A manager's call plan for one working day; a month's "daily" plan is stored as one row per working day.
    ``forced_at`` is set when a head forced the completion of a day that was not fulfilled (with a comment)."""

    __tablename__ = "call_plans"
    __table_args__ = (
        CheckConstraint("calls >= 0", name="calls_not_negative"),
        Index("ix_call_plans_day", "day"),
    )

    employee_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    calls: Mapped[int] = mapped_column(Integer)
    set_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"))
    forced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    forced_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"))
    force_comment: Mapped[str] = mapped_column(Text, default="", server_default="")
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class DayComment(BigIntAuditBase):
    """A comment on a manager's day ("at the exhibition"); a head may mark it verified."""

    __tablename__ = "plan_day_comments"
    __table_args__ = (Index("ix_plan_day_comments_employee_day", "employee_id", "day"),)

    employee_id: Mapped[int] = mapped_column(BigInteger)
    day: Mapped[date] = mapped_column(Date)
    author_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    verified: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    verified_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"))
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PlanSettings(DefaultBase):
    """The organisation's report settings (one row): the day of the following month until which past plans may
    be edited, and the department the statistics open with."""

    __tablename__ = "plan_settings"
    __table_args__ = (CheckConstraint("edit_deadline_day BETWEEN 1 AND 28", name="deadline_day_in_month"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, default=1)
    edit_deadline_day: Mapped[int] = mapped_column(Integer, default=5, server_default="5")
    default_department_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("departments.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
