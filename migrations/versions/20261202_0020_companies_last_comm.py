"""Companies list sorted by the last communication: the moment kept on ``companies`` (a copy of
``company_figures.last_communication_at`` that the figures code keeps level), filled from the figures, with an
index for each direction (never contacted last, ties by id in the sort's direction)

Revision ID: 0020_companies_last_comm
Revises: 0019_counting_settings
Create Date: 2026-12-02 14:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0020_companies_last_comm"
down_revision = "0019_counting_settings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("companies", sa.Column("last_communication_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE companies c SET last_communication_at = f.last_communication_at FROM company_figures f "
        "WHERE f.company_id = c.id AND f.last_communication_at IS NOT NULL"
    )
    op.create_index(
        "ix_companies_last_comm_desc",
        "companies",
        [sa.text("last_communication_at DESC NULLS LAST"), sa.text("id DESC")],
        unique=False,
    )
    op.create_index("ix_companies_last_comm_asc", "companies", ["last_communication_at", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_companies_last_comm_asc", table_name="companies")
    op.drop_index("ix_companies_last_comm_desc", table_name="companies")
    op.drop_column("companies", "last_communication_at")
