"""Sales: imports, rejected rows, column profiles, the mailbox watcher

Revision ID: 0013_sales_imports
Revises: 0012_sales_goals_core
Create Date: 2026-12-02 09:45:00
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0013_sales_imports"
down_revision = "0012_sales_goals_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
