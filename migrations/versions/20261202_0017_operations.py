"""Operations: job failures, alert settings, heartbeat

Revision ID: 0017_operations
Revises: 0016_report_schedules
Create Date: 2026-12-02 10:05:00
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0017_operations"
down_revision = "0016_report_schedules"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
