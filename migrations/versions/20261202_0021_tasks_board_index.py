"""Task board at scale: the (status, due_at) index becomes a covering one, (status, due_at, id) INCLUDE
(assignee_id, creator_id), partial on the statuses (only a query naming the status can use it), so a column's
first tasks in due order, within a person's or a team's scope, are walked from the index alone

Revision ID: 0021_tasks_board_index
Revises: 0020_companies_last_comm
Create Date: 2026-12-02 14:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0021_tasks_board_index"
down_revision = "0020_companies_last_comm"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_tasks_status_due_cover",
        "tasks",
        ["status", "due_at", "id"],
        unique=False,
        postgresql_include=["assignee_id", "creator_id"],
        postgresql_where=sa.text("status IN ('todo', 'in_progress', 'done', 'cancelled')"),
    )
    op.drop_index("ix_tasks_status_due", table_name="tasks")


def downgrade() -> None:
    op.create_index("ix_tasks_status_due", "tasks", ["status", "due_at"], unique=False)
    op.drop_index("ix_tasks_status_due_cover", table_name="tasks")
