"""Operations: job failures, alert settings, heartbeat

Revision ID: 0017_operations
Revises: 0016_report_schedules
Create Date: 2026-12-02 10:05:00
"""

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from alembic import op

sa.DateTimeUTC = DateTimeUTC  # type: ignore[attr-defined]

revision = "0017_operations"
down_revision = "0016_report_schedules"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_mail_settings",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("daily", sa.Boolean(), nullable=False),
        sa.Column("last_sent_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_alert_mail_settings_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_alert_mail_settings")),
    )
    op.create_table(
        "operation_failures",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("job", sa.String(length=128), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("occurrences", sa.Integer(), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("mailed", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operation_failures")),
    )
    op.create_index("ix_operation_failures_kind_first", "operation_failures", ["kind", "first_at"], unique=False)
    op.create_table(
        "job_stats",
        sa.Column("job", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("seconds_sum", sa.Float(), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("job", "status", name=op.f("pk_job_stats")),
    )


def downgrade() -> None:
    op.drop_table("job_stats")
    op.drop_index("ix_operation_failures_kind_first", table_name="operation_failures")
    op.drop_table("operation_failures")
    op.drop_table("alert_mail_settings")
