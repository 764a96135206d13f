"""Goals: analysis settings, categories, overrides, views; alerts

Revision ID: 0014_goals_analysis
Revises: 0013_sales_imports
Create Date: 2026-12-02 09:45:00
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0014_goals_analysis"
down_revision = "0013_sales_imports"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
