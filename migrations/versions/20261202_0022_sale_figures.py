"""Sales report at scale: ``sale_figures``, won deals summed per day and month by pipeline, employee, source,
type and the default deal field (also over all pipelines and all employees), kept by statement triggers on
``deals`` and filled from the deals here; a partial index of won deals by closing day for the other fields

Revision ID: 0022_sale_figures
Revises: 0021_tasks_board_index
Create Date: 2026-12-02 14:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0022_sale_figures"
down_revision = "0021_tasks_board_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from crm.features.reports.sales_figures import REBUILD, TRIGGER_FUNCTION, TRIGGERS

    op.create_table(
        "sale_figures",
        sa.Column("grain", sa.SmallInteger(), nullable=False),
        sa.Column("at", sa.Date(), nullable=False),
        sa.Column("dim", sa.String(length=1), nullable=False),
        sa.Column("responsible_id", sa.BigInteger(), nullable=False),
        sa.Column("pipeline_id", sa.BigInteger(), nullable=False),
        sa.Column("k1", sa.Text(), nullable=False),
        sa.Column("k2", sa.Text(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("deals", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "grain", "at", "dim", "responsible_id", "pipeline_id", "k1", "k2", name=op.f("pk_sale_figures")
        ),
    )
    op.create_index(
        "ix_sale_figures_who",
        "sale_figures",
        ["grain", "dim", "pipeline_id", "responsible_id", "at"],
        unique=False,
        postgresql_include=["k1", "k2", "amount", "deals"],
    )
    op.create_index(
        "ix_sale_figures_empty", "sale_figures", ["grain"], unique=False, postgresql_where=sa.text("deals = 0")
    )
    op.create_index(
        "ix_deals_won_close_date",
        "deals",
        ["close_date"],
        unique=False,
        postgresql_where=sa.text("semantic = 'S' AND active"),
        postgresql_include=["amount", "responsible_id", "pipeline_id"],
    )
    op.execute(TRIGGER_FUNCTION)
    for statement in TRIGGERS:
        op.execute(statement)
    for statement in REBUILD:
        op.execute(statement)


def downgrade() -> None:
    from crm.features.reports.sales_figures import DROP

    for statement in DROP:
        op.execute(statement)
    op.drop_index("ix_deals_won_close_date", table_name="deals", postgresql_where=sa.text("semantic = 'S' AND active"))
    op.drop_index("ix_sale_figures_empty", table_name="sale_figures", postgresql_where=sa.text("deals = 0"))
    op.drop_index("ix_sale_figures_who", table_name="sale_figures")
    op.drop_table("sale_figures")
