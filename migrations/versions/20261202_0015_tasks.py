"""Strategies and tasks: strategies, tasks, series, visits, photos, comments

Revision ID: 0015_tasks
Revises: 0014_goals_analysis
Create Date: 2026-12-02 09:45:00
"""

import sqlalchemy as sa
from advanced_alchemy.types import ORA_JSONB, DateTimeUTC
from alembic import op
from sqlalchemy.dialects import postgresql

sa.DateTimeUTC = DateTimeUTC  # type: ignore[attr-defined]
sa.ORA_JSONB = ORA_JSONB  # type: ignore[attr-defined]

revision = "0015_tasks"
down_revision = "0014_goals_analysis"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "strategies",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("state", sa.Text(), server_default="planned", nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("cost", sa.Numeric(precision=16, scale=2), nullable=True),
        sa.Column("expected_result", sa.Numeric(precision=16, scale=2), nullable=True),
        sa.Column("actual_result", sa.Numeric(precision=16, scale=2), nullable=True),
        sa.Column("created_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('planned', 'in_progress', 'paused', 'finished')", name=op.f("ck_strategies_strategy_state")
        ),
        sa.CheckConstraint(
            "ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on", name=op.f("ck_strategies_strategy_period")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_strategies_created_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_strategies_owner_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_strategies")),
    )
    op.create_index("ix_strategies_owner_state", "strategies", ["owner_id", "state"], unique=False)
    op.create_table(
        "strategy_clients",
        sa.Column("strategy_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("client_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["erp_clients.id"],
            name=op.f("fk_strategy_clients_client_id_erp_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["strategy_id"],
            ["strategies.id"],
            name=op.f("fk_strategy_clients_strategy_id_strategies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("strategy_id", "client_id", name=op.f("pk_strategy_clients")),
    )
    op.create_index(op.f("ix_strategy_clients_client_id"), "strategy_clients", ["client_id"], unique=False)
    op.create_table(
        "strategy_goals",
        sa.Column("strategy_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("goal_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["goal_id"], ["goals.id"], name=op.f("fk_strategy_goals_goal_id_goals"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["strategy_id"],
            ["strategies.id"],
            name=op.f("fk_strategy_goals_strategy_id_strategies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("strategy_id", "goal_id", name=op.f("pk_strategy_goals")),
    )
    op.create_index(op.f("ix_strategy_goals_goal_id"), "strategy_goals", ["goal_id"], unique=False)
    op.create_table(
        "tasks",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("priority", sa.Text(), server_default="medium", nullable=False),
        sa.Column("status", sa.Text(), server_default="todo", nullable=False),
        sa.Column("assignee_id", sa.Uuid(), nullable=True),
        sa.Column("creator_id", sa.Uuid(), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("client_id", sa.BigInteger(), nullable=True),
        sa.Column("strategy_id", sa.BigInteger(), nullable=True),
        sa.Column("goal_id", sa.BigInteger(), nullable=True),
        sa.Column("address", sa.Text(), server_default="", nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("series_id", sa.BigInteger(), nullable=True),
        sa.Column("occurrence", sa.Integer(), nullable=True),
        sa.Column(
            "recurrence",
            sa.JSON()
            .with_variant(postgresql.JSONB(astext_type=sa.Text()), "cockroachdb")
            .with_variant(sa.ORA_JSONB(), "oracle")
            .with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("created_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("priority IN ('low', 'medium', 'high')", name=op.f("ck_tasks_task_priority")),
        sa.CheckConstraint("status IN ('todo', 'in_progress', 'done', 'cancelled')", name=op.f("ck_tasks_task_status")),
        sa.ForeignKeyConstraint(
            ["assignee_id"], ["users.id"], name=op.f("fk_tasks_assignee_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["erp_clients.id"], name=op.f("fk_tasks_client_id_erp_clients"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["creator_id"], ["users.id"], name=op.f("fk_tasks_creator_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["goal_id"], ["goals.id"], name=op.f("fk_tasks_goal_id_goals"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(
            ["strategy_id"], ["strategies.id"], name=op.f("fk_tasks_strategy_id_strategies"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
        sa.UniqueConstraint("series_id", "occurrence", name="uq_tasks_series_occurrence"),
    )
    op.create_index("ix_tasks_assignee_status_due", "tasks", ["assignee_id", "status", "due_at"], unique=False)
    # A head's tasks are read as "assignee = ANY(the team)": with the default statistics the planner takes an
    # average per person (most people hold no task) and scans the whole table; per-person statistics fix that.
    op.execute("ALTER TABLE tasks ALTER COLUMN assignee_id SET STATISTICS 1000")
    op.execute("ALTER TABLE tasks ALTER COLUMN creator_id SET STATISTICS 1000")
    op.create_index("ix_tasks_client", "tasks", ["client_id"], unique=False)
    op.create_index("ix_tasks_creator_due", "tasks", ["creator_id", "due_at"], unique=False)
    op.create_index("ix_tasks_due", "tasks", ["due_at"], unique=False)
    op.create_index("ix_tasks_goal", "tasks", ["goal_id"], unique=False)
    op.create_index("ix_tasks_status_due", "tasks", ["status", "due_at"], unique=False)
    op.create_index("ix_tasks_strategy", "tasks", ["strategy_id"], unique=False)
    op.create_table(
        "task_comments",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("task_id", sa.BigInteger(), nullable=True),
        sa.Column("strategy_id", sa.BigInteger(), nullable=True),
        sa.Column("author_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.Text(), server_default="comment", nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(task_id IS NULL) <> (strategy_id IS NULL)", name=op.f("ck_task_comments_comment_one_subject")
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_task_comments_author_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["strategy_id"], ["strategies.id"], name=op.f("fk_task_comments_strategy_id_strategies"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_task_comments_task_id_tasks"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_comments")),
    )
    op.create_index("ix_task_comments_strategy", "task_comments", ["strategy_id", "id"], unique=False)
    op.create_index("ix_task_comments_task", "task_comments", ["task_id", "id"], unique=False)
    op.create_table(
        "task_photos",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("task_id", sa.BigInteger(), nullable=False),
        sa.Column("uploaded_by_id", sa.Uuid(), nullable=True),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("original_name", sa.Text(), server_default="", nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_task_photos_task_id_tasks"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["users.id"], name=op.f("fk_task_photos_uploaded_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_photos")),
    )
    op.create_index(op.f("ix_task_photos_task_id"), "task_photos", ["task_id"], unique=False)
    op.create_table(
        "task_visits",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("task_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("in_lat", sa.Float(), nullable=True),
        sa.Column("in_lon", sa.Float(), nullable=True),
        sa.Column("in_accuracy", sa.Float(), nullable=True),
        sa.Column("in_distance_m", sa.Float(), nullable=True),
        sa.Column("checked_out_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("out_lat", sa.Float(), nullable=True),
        sa.Column("out_lon", sa.Float(), nullable=True),
        sa.Column("out_accuracy", sa.Float(), nullable=True),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_task_visits_task_id_tasks"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_task_visits_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_visits")),
        sa.UniqueConstraint("task_id", name=op.f("uq_task_visits_task_id")),
    )
    op.create_table(
        "task_mentions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("comment_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["comment_id"],
            ["task_comments.id"],
            name=op.f("fk_task_mentions_comment_id_task_comments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_task_mentions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_mentions")),
        sa.UniqueConstraint("comment_id", "user_id", name="uq_task_mentions_comment_user"),
    )
    op.create_index(
        "ix_task_mentions_unread",
        "task_mentions",
        ["user_id"],
        unique=False,
        postgresql_where=sa.text("read_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_task_mentions_unread", table_name="task_mentions", postgresql_where=sa.text("read_at IS NULL"))
    op.drop_table("task_mentions")
    op.drop_table("task_visits")
    op.drop_index(op.f("ix_task_photos_task_id"), table_name="task_photos")
    op.drop_table("task_photos")
    op.drop_index("ix_task_comments_task", table_name="task_comments")
    op.drop_index("ix_task_comments_strategy", table_name="task_comments")
    op.drop_table("task_comments")
    op.drop_index("ix_tasks_strategy", table_name="tasks")
    op.drop_index("ix_tasks_status_due", table_name="tasks")
    op.drop_index("ix_tasks_goal", table_name="tasks")
    op.drop_index("ix_tasks_due", table_name="tasks")
    op.drop_index("ix_tasks_creator_due", table_name="tasks")
    op.drop_index("ix_tasks_client", table_name="tasks")
    op.drop_index("ix_tasks_assignee_status_due", table_name="tasks")
    op.drop_table("tasks")
    op.drop_index(op.f("ix_strategy_goals_goal_id"), table_name="strategy_goals")
    op.drop_table("strategy_goals")
    op.drop_index(op.f("ix_strategy_clients_client_id"), table_name="strategy_clients")
    op.drop_table("strategy_clients")
    op.drop_index("ix_strategies_owner_state", table_name="strategies")
    op.drop_table("strategies")
