"""Goals: analysis settings, categories, reasons, rules, overrides, views, cached figures; the data-version trigger

Revision ID: 0014_goals_analysis
Revises: 0013_sales_imports
Create Date: 2026-12-02 09:45:00
"""

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from alembic import op

sa.DateTimeUTC = DateTimeUTC  # type: ignore[attr-defined]

revision = "0014_goals_analysis"
down_revision = "0013_sales_imports"
branch_labels = None
depends_on = None

# The data version of the sales analysis: bumped by every statement that changes the monthly sales or the clients.
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


def upgrade() -> None:
    op.create_table(
        "analysis_cache_keys",
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("period", sa.Text(), nullable=False),
        sa.Column("family", sa.Text(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "period", "family", name=op.f("pk_analysis_cache_keys")),
    )
    op.create_table(
        "analysis_categories",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("variable", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analysis_categories")),
        sa.UniqueConstraint("variable", "name", name="uq_analysis_categories_variable_name"),
    )
    op.create_table(
        "analysis_month_totals",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("family", sa.Text(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("line_family", sa.Text(), nullable=False),
        sa.Column("responsible_id", sa.Uuid(), nullable=True),
        sa.Column("revenue", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("buyers", sa.Integer(), nullable=False),
        sa.Column("new_clients", sa.Integer(), nullable=False),
        sa.Column("non_retained", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analysis_month_totals")),
    )
    op.create_index("ix_analysis_month_totals_key", "analysis_month_totals", ["year", "family", "month"], unique=False)
    op.create_table(
        "analysis_reasons",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("variable", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analysis_reasons")),
        sa.UniqueConstraint("variable", "name", name="uq_analysis_reasons_variable_name"),
    )
    op.create_table(
        "analysis_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("abc_a", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("abc_b", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("i1", sa.Text(), nullable=False),
        sa.Column("i2", sa.Text(), nullable=False),
        sa.Column("i3", sa.Text(), nullable=False),
        sa.Column("i4", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "abc_a > 0 AND abc_a < abc_b AND abc_b < 100", name=op.f("ck_analysis_settings_analysis_settings_abc")
        ),
        sa.CheckConstraint("id = 1", name=op.f("ck_analysis_settings_analysis_settings_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analysis_settings")),
    )
    op.create_table(
        "analysis_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analysis_state")),
    )
    op.create_table(
        "analysis_rules",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("variable", sa.Text(), nullable=False),
        sa.Column("metric", sa.Text(), nullable=False),
        sa.Column("op", sa.Text(), nullable=False),
        sa.Column("value", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("category_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint(
            "metric IN ('revenue', 'i1', 'i2', 'i3', 'i4')", name=op.f("ck_analysis_rules_analysis_rule_metric")
        ),
        sa.CheckConstraint("op IN ('<', '<=', '>', '>=', '=')", name=op.f("ck_analysis_rules_analysis_rule_op")),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["analysis_categories.id"],
            name=op.f("fk_analysis_rules_category_id_analysis_categories"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analysis_rules")),
    )
    op.create_table(
        "analysis_views",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("query", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_analysis_views_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analysis_views")),
        sa.UniqueConstraint("user_id", "name", name="uq_analysis_views_user_name"),
    )
    op.create_index(op.f("ix_analysis_views_user_id"), "analysis_views", ["user_id"], unique=False)
    op.create_table(
        "analysis_client_months",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("family", sa.Text(), nullable=False),
        sa.Column("client_id", sa.BigInteger(), nullable=False),
        sa.Column("r0", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("r1", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("r2", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("r3", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("s6", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("s12", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("r12", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("ytd", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("pytd", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("bought_prev3", sa.Boolean(), nullable=False),
        sa.Column("first_month", sa.Date(), nullable=True),
        sa.Column("last_purchase", sa.Date(), nullable=True),
        sa.Column("cum_before", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("total", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["erp_clients.id"],
            name=op.f("fk_analysis_client_months_client_id_erp_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("month", "family", "client_id", name=op.f("pk_analysis_client_months")),
    )
    op.create_index(
        "ix_analysis_client_months_rank",
        "analysis_client_months",
        ["month", "family", sa.text("r0 DESC NULLS LAST")],
        unique=False,
    )
    op.create_table(
        "analysis_overrides",
        sa.Column("client_id", sa.BigInteger(), nullable=False),
        sa.Column("variable", sa.Text(), nullable=False),
        sa.Column("category_id", sa.BigInteger(), nullable=True),
        sa.Column("reason_id", sa.BigInteger(), nullable=True),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["analysis_categories.id"],
            name=op.f("fk_analysis_overrides_category_id_analysis_categories"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["erp_clients.id"],
            name=op.f("fk_analysis_overrides_client_id_erp_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reason_id"],
            ["analysis_reasons.id"],
            name=op.f("fk_analysis_overrides_reason_id_analysis_reasons"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["users.id"], name=op.f("fk_analysis_overrides_updated_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("client_id", "variable", name=op.f("pk_analysis_overrides")),
    )
    op.execute(BUMP_FUNCTION)
    for statement in BUMP_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS analysis_bump_client_month_sales ON client_month_sales")
    op.execute("DROP TRIGGER IF EXISTS analysis_bump_erp_clients ON erp_clients")
    op.execute("DROP FUNCTION IF EXISTS analysis_bump_version()")
    op.drop_table("analysis_overrides")
    op.drop_table("analysis_client_months")
    op.drop_index(op.f("ix_analysis_views_user_id"), table_name="analysis_views")
    op.drop_table("analysis_views")
    op.drop_table("analysis_rules")
    op.drop_table("analysis_state")
    op.drop_table("analysis_settings")
    op.drop_table("analysis_reasons")
    op.drop_index("ix_analysis_month_totals_key", table_name="analysis_month_totals")
    op.drop_table("analysis_month_totals")
    op.drop_table("analysis_categories")
    op.drop_table("analysis_cache_keys")
