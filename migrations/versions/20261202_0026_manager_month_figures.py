"""Plans at scale: a manager's month kept summed (``manager_month_figures``: calls, meetings, plan and the planned
days fulfilled, not fulfilled and forced), recomputed by statement triggers on the daily figures, the call plans
and the calendar, so the year view reads the months that are over as one row per person and month (see
``plans.month_figures``); filled here from the days

Revision ID: 0026_manager_month_figures
Revises: 0025_tasks_calendar_index
Create Date: 2026-12-02 18:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0026_manager_month_figures"
down_revision = "0025_tasks_calendar_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from crm.features.plans.month_figures import REBUILD, TRIGGER_FUNCTIONS, TRIGGERS

    op.create_table(
        "manager_month_figures",
        sa.Column("employee_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("meetings", sa.Integer(), nullable=False),
        sa.Column("plan", sa.Integer(), nullable=True),
        sa.Column("fulfilled", sa.Integer(), nullable=False),
        sa.Column("not_fulfilled", sa.Integer(), nullable=False),
        sa.Column("forced", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("employee_id", "month", name=op.f("pk_manager_month_figures")),
    )
    for statement in (*REBUILD, *TRIGGER_FUNCTIONS, *TRIGGERS):
        op.execute(statement)


def downgrade() -> None:
    from crm.features.plans.month_figures import DROP

    for statement in DROP:
        op.execute(statement)
    op.drop_table("manager_month_figures")
