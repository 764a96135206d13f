"""Reports: indexes of company_pipeline_figures for the communication report's sort by a pipeline's sums

Revision ID: 0011_pipeline_figures_sort
Revises: 0010_clients_contacts_leads
Create Date: 2026-12-02 07:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_pipeline_figures_sort"
down_revision = "0010_clients_contacts_leads"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_company_pipeline_figures_active_order",
        "company_pipeline_figures",
        ["pipeline_id", sa.text("active_sum DESC"), "company_id"],
        unique=False,
    )
    op.create_index(
        "ix_company_pipeline_figures_won_order",
        "company_pipeline_figures",
        ["pipeline_id", sa.text("won_sum DESC"), "company_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_company_pipeline_figures_won_order", table_name="company_pipeline_figures")
    op.drop_index("ix_company_pipeline_figures_active_order", table_name="company_pipeline_figures")
