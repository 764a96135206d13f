"""Reports: scheduled reports, their runs and deliveries

Revision ID: 0016_report_schedules
Revises: 0015_tasks
Create Date: 2026-12-02 10:05:00
"""

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from alembic import op
from sqlalchemy.dialects import postgresql

sa.DateTimeUTC = DateTimeUTC  # type: ignore[attr-defined]

revision = "0016_report_schedules"
down_revision = "0015_tasks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_schedules",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("report", sa.String(length=32), nullable=False),
        sa.Column("params", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("frequency", sa.String(length=10), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("minute", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=True),
        sa.Column("month_day", sa.Integer(), nullable=True),
        sa.Column("destinations", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("telegram_token_enc", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("next_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("frequency IN ('daily', 'weekly', 'monthly')", name=op.f("ck_report_schedules_frequency")),
        sa.CheckConstraint(
            "hour BETWEEN 0 AND 23 AND minute BETWEEN 0 AND 59", name=op.f("ck_report_schedules_time_of_day")
        ),
        sa.CheckConstraint(
            "month_day IS NULL OR month_day BETWEEN 1 AND 31", name=op.f("ck_report_schedules_month_day")
        ),
        sa.CheckConstraint("weekday IS NULL OR weekday BETWEEN 0 AND 6", name=op.f("ck_report_schedules_weekday")),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_report_schedules_owner_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_schedules")),
    )
    op.create_index(
        "ix_report_schedules_due", "report_schedules", ["next_run_at"], unique=False, postgresql_where=sa.text("active")
    )
    op.create_index(op.f("ix_report_schedules_owner_id"), "report_schedules", ["owner_id"], unique=False)
    op.create_table(
        "report_runs",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("schedule_id", sa.BigInteger(), nullable=False),
        sa.Column("scheduled_for", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("requested_by", sa.Uuid(), nullable=True),
        sa.Column("destinations", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("day_from", sa.Date(), nullable=True),
        sa.Column("day_to", sa.Date(), nullable=True),
        sa.Column("total_sum", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("total_count", sa.Integer(), nullable=True),
        sa.Column("texts", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=True),
        sa.Column("png", sa.LargeBinary(), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('scheduled', 'manual', 'test')", name=op.f("ck_report_runs_kind")),
        sa.CheckConstraint(
            "status IN ('pending', 'delivering', 'done', 'partial', 'failed')", name=op.f("ck_report_runs_status")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"], ["users.id"], name=op.f("fk_report_runs_requested_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["report_schedules.id"],
            name=op.f("fk_report_runs_schedule_id_report_schedules"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_runs")),
        sa.UniqueConstraint("schedule_id", "scheduled_for", name="uq_report_runs_schedule_time"),
    )
    op.create_index(op.f("ix_report_runs_status"), "report_runs", ["status"], unique=False)
    op.create_table(
        "report_deliveries",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.Column("destination", sa.String(length=400), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("target", sa.String(length=400), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("steps", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('pending', 'sending', 'sent', 'failed')", name=op.f("ck_report_deliveries_state")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["report_runs.id"], name=op.f("fk_report_deliveries_run_id_report_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_deliveries")),
        sa.UniqueConstraint("run_id", "destination", name="uq_report_deliveries_run_destination"),
    )
    op.create_index(
        "ix_report_deliveries_due",
        "report_deliveries",
        ["next_attempt_at"],
        unique=False,
        postgresql_where=sa.text("state IN ('pending', 'sending')"),
    )
    op.create_index(op.f("ix_report_deliveries_run_id"), "report_deliveries", ["run_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_report_deliveries_run_id"), table_name="report_deliveries")
    op.drop_index(
        "ix_report_deliveries_due",
        table_name="report_deliveries",
        postgresql_where=sa.text("state IN ('pending', 'sending')"),
    )
    op.drop_table("report_deliveries")
    op.drop_index(op.f("ix_report_runs_status"), table_name="report_runs")
    op.drop_table("report_runs")
    op.drop_index(op.f("ix_report_schedules_owner_id"), table_name="report_schedules")
    op.drop_index("ix_report_schedules_due", table_name="report_schedules", postgresql_where=sa.text("active"))
    op.drop_table("report_schedules")
