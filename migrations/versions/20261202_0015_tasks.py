"""Strategies and tasks: strategies, tasks, series, visits, photos, comments

Revision ID: 0015_tasks
Revises: 0014_goals_analysis
Create Date: 2026-12-02 09:45:00
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0015_tasks"
down_revision = "0014_goals_analysis"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
