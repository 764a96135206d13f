"""Reports: scheduled reports, their runs and deliveries

Revision ID: 0016_report_schedules
Revises: 0015_tasks
Create Date: 2026-12-02 10:05:00
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0016_report_schedules"
down_revision = "0015_tasks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
