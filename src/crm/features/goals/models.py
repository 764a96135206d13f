"""Goals and their twelve monthly targets."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, Numeric, SmallInteger, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from crm.lib.db import BigIntAuditBase, DefaultBase

VARIABLES = ("revenue", "client_count", "new_clients", "non_retained_clients")


class Goal(BigIntAuditBase):
    """A goal of one person (``responsible_id``) for a variable, a product family ('' = all families) and a year."""

    __tablename__ = "goals"
    __table_args__ = (
        Index("ix_goals_year_responsible", "year", "responsible_id"),
        CheckConstraint("year BETWEEN 2000 AND 2100", name="goal_year_range"),
    )

    variable: Mapped[str] = mapped_column(Text)
    family: Mapped[str] = mapped_column(Text, default="", server_default="")
    responsible_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"))
    year: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(Text, default="", server_default="")


class GoalTarget(DefaultBase):
    """The target of a goal for one month (1..12)."""

    __tablename__ = "goal_targets"
    __table_args__ = (CheckConstraint("month BETWEEN 1 AND 12", name="goal_target_month"),)

    goal_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("goals.id", ondelete="CASCADE"), primary_key=True)
    month: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    target: Mapped[Decimal] = mapped_column(Numeric(16, 2))
