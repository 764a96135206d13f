"""Goals and their twelve monthly targets."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from crm.lib.db import BigIntAuditBase, DefaultBase, create_with

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


# --------------------------------------------------------------------------- the sales analysis (migration 0014)

ANALYSIS_VARIABLES = VARIABLES
INDEX_FORMULAS = ("mom", "avg3", "avg6", "avg12", "yoy", "ytd")


class AnalysisSettings(DefaultBase):
    """The analysis settings (one row, id 1): ABC thresholds (% of the period's revenue) and the formula of each
    index (one of ``INDEX_FORMULAS``). Created with the default lists of categories, reasons and rules."""

    __tablename__ = "analysis_settings"
    __table_args__ = (
        CheckConstraint("id = 1", name="analysis_settings_single_row"),
        CheckConstraint("abc_a > 0 AND abc_a < abc_b AND abc_b < 100", name="analysis_settings_abc"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, default=1)
    abc_a: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal(80))
    abc_b: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal(95))
    i1: Mapped[str] = mapped_column(Text, default="mom")
    i2: Mapped[str] = mapped_column(Text, default="avg3")
    i3: Mapped[str] = mapped_column(Text, default="yoy")
    i4: Mapped[str] = mapped_column(Text, default="ytd")


class AnalysisCategory(BigIntAuditBase):
    """A category of clients for one variable (e.g. non-retained: No retained / With issues / Retained)."""

    __tablename__ = "analysis_categories"
    __table_args__ = (UniqueConstraint("variable", "name", name="uq_analysis_categories_variable_name"),)

    variable: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class AnalysisReason(BigIntAuditBase):
    """A reason a person may give with a category, per variable."""

    __tablename__ = "analysis_reasons"
    __table_args__ = (UniqueConstraint("variable", "name", name="uq_analysis_reasons_variable_name"),)

    variable: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class AnalysisRule(BigIntAuditBase):
    """A condition that assigns a category automatically: ``metric op value`` (e.g. i3 < -30); the first rule
    (by position) that holds wins; a metric that is null matches no rule."""

    __tablename__ = "analysis_rules"
    __table_args__ = (
        CheckConstraint("metric IN ('revenue', 'i1', 'i2', 'i3', 'i4')", name="analysis_rule_metric"),
        CheckConstraint("op IN ('<', '<=', '>', '>=', '=')", name="analysis_rule_op"),
    )

    variable: Mapped[str] = mapped_column(Text)
    metric: Mapped[str] = mapped_column(Text)
    op: Mapped[str] = mapped_column(Text)
    value: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    category_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("analysis_categories.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class AnalysisOverride(DefaultBase):
    """A person's category (and reason) for a client and a variable; kept until changed, shown as manual."""

    __tablename__ = "analysis_overrides"

    client_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("erp_clients.id", ondelete="CASCADE"), primary_key=True
    )
    variable: Mapped[str] = mapped_column(Text, primary_key=True)
    category_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("analysis_categories.id", ondelete="CASCADE")
    )
    reason_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("analysis_reasons.id", ondelete="SET NULL"))
    updated_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class AnalysisView(BigIntAuditBase):
    """A named client-table view of one person: its query string (columns, filters, sort)."""

    __tablename__ = "analysis_views"
    __table_args__ = (UniqueConstraint("user_id", "name", name="uq_analysis_views_user_name"),)

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(Text)
    query: Mapped[str] = mapped_column(Text, default="", server_default="")


class AnalysisState(DefaultBase):
    """The version of the sales data (one row, id 1), bumped by a statement trigger on ``client_month_sales`` and
    ``erp_clients``: cached figures of an older version are rebuilt on the next read."""

    __tablename__ = "analysis_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, default=1)
    version: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class AnalysisCacheKey(DefaultBase):
    """Which cached figures exist and of which data version: kind 'clients' (key YYYY-MM) or 'totals' (YYYY)."""

    __tablename__ = "analysis_cache_keys"

    kind: Mapped[str] = mapped_column(Text, primary_key=True)
    period: Mapped[str] = mapped_column(Text, primary_key=True)
    family: Mapped[str] = mapped_column(Text, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)


class AnalysisClientMonth(DefaultBase):
    """The figures of a client for a month and family filter ('' all): revenue of the month and of the months the
    indices compare with, ABC position, first and last purchase. Derived from ``client_month_sales``."""

    __tablename__ = "analysis_client_months"
    __table_args__ = (Index("ix_analysis_client_months_rank", "month", "family", text("r0 DESC NULLS LAST")),)

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    family: Mapped[str] = mapped_column(Text, primary_key=True)
    client_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("erp_clients.id", ondelete="CASCADE"), primary_key=True
    )
    r0: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    r1: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    r2: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    r3: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    s6: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    s12: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    r12: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    ytd: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    pytd: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    bought_prev3: Mapped[bool] = mapped_column(Boolean)
    first_month: Mapped[date | None] = mapped_column(Date)
    last_purchase: Mapped[date | None] = mapped_column(Date)
    cum_before: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    total: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))


class AnalysisMonthTotal(DefaultBase):
    """Monthly totals for a year and family filter, per responsible person and per product family of the line
    ('*' the whole filter): revenue, buying clients, new and non-retained clients."""

    __tablename__ = "analysis_month_totals"
    __table_args__ = (Index("ix_analysis_month_totals_key", "year", "family", "month"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    year: Mapped[int] = mapped_column(Integer)
    family: Mapped[str] = mapped_column(Text)
    month: Mapped[date] = mapped_column(Date)
    line_family: Mapped[str] = mapped_column(Text)
    responsible_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    revenue: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    buyers: Mapped[int] = mapped_column(Integer)
    new_clients: Mapped[int] = mapped_column(Integer)
    non_retained: Mapped[int] = mapped_column(Integer)


# The data version is bumped by every statement that changes the monthly sales or the clients (their responsible
# decides the scope of cached totals). Created with the tables (tests) and by migration 0014.
BUMP_FUNCTION = """
CREATE OR REPLACE FUNCTION analysis_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO analysis_state (id, version) VALUES (1, 1)
  ON CONFLICT (id) DO UPDATE SET version = analysis_state.version + 1;
  RETURN NULL;
END $$"""
BUMP_TRIGGERS = [
    f"CREATE OR REPLACE TRIGGER analysis_bump_{table} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
    "FOR EACH STATEMENT EXECUTE FUNCTION analysis_bump_version()"
    for table in ("client_month_sales", "erp_clients")
]


create_with("client_month_sales", [BUMP_FUNCTION, *BUMP_TRIGGERS])
