"""Task calendar at scale: the due-time index becomes a covering one, (due_at, id) INCLUDE (assignee_id,
creator_id), so the calendar ranks a month's tasks per day, within a person's or a team's scope, from the index
alone (a head's month read the organisation's month, or the team's, from the table: 1,500-4,000 pages); leading
with due_at, it serves every query the plain (due_at) index served

Revision ID: 0025_tasks_calendar_index
Revises: 0024_manager_day_companies
Create Date: 2026-12-02 18:00:00
"""

from alembic import op

revision = "0025_tasks_calendar_index"
down_revision = "0024_manager_day_companies"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_tasks_due_cover",
        "tasks",
        ["due_at", "id"],
        unique=False,
        postgresql_include=["assignee_id", "creator_id"],
    )
    op.drop_index("ix_tasks_due", table_name="tasks")


def downgrade() -> None:
    op.create_index("ix_tasks_due", "tasks", ["due_at"], unique=False)
    op.drop_index("ix_tasks_due_cover", table_name="tasks")
