"""Clients: what counts as a meeting and as a communication (activity kinds), beside the minimum call duration

Revision ID: 0019_counting_settings
Revises: 0018_companies_list_speed
Create Date: 2026-12-02 10:30:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0019_counting_settings"
down_revision = "0018_companies_list_speed"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "bitrix24_settings",
        sa.Column(
            "meeting_kinds",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text('\'["meeting"]\'::jsonb'),
            nullable=False,
        ),
    )
    op.add_column(
        "bitrix24_settings",
        sa.Column(
            "communication_kinds",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text('\'["call", "meeting", "email"]\'::jsonb'),
            nullable=False,
        ),
    )


def downgrade() -> None:
    op.drop_column("bitrix24_settings", "communication_kinds")
    op.drop_column("bitrix24_settings", "meeting_kinds")
