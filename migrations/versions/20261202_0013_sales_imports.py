"""Sales: imports, rejected rows, column profiles, the mailbox watcher

Revision ID: 0013_sales_imports
Revises: 0012_sales_goals_core
Create Date: 2026-12-02 09:45:00
"""

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from alembic import op
from sqlalchemy.dialects import postgresql

sa.DateTimeUTC = DateTimeUTC  # type: ignore[attr-defined]

revision = "0013_sales_imports"
down_revision = "0012_sales_goals_core"
branch_labels = None
depends_on = None


def _audit() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTimeUTC(timezone=True), nullable=False),
    ]


def _id() -> sa.Column:
    return sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "sales_mailbox",
        _id(),
        sa.Column("host", sa.Text(), server_default="", nullable=False),
        sa.Column("port", sa.Integer(), server_default="993", nullable=False),
        sa.Column("tls", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("verify_certificate", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("username", sa.Text(), server_default="", nullable=False),
        sa.Column("password_sealed", sa.Text(), server_default="", nullable=False),
        sa.Column("folder", sa.Text(), server_default="INBOX", nullable=False),
        sa.Column("allowed_senders", sa.Text(), server_default="", nullable=False),
        sa.Column("processed_folder", sa.Text(), server_default="Processed", nullable=False),
        sa.Column("failed_folder", sa.Text(), server_default="Failed", nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("last_check_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_state", sa.Text(), server_default="", nullable=False),
        sa.Column("last_error", sa.Text(), server_default="", nullable=False),
        *_audit(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_mailbox")),
    )
    op.create_table(
        "sales_mapping_profiles",
        _id(),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("mapping", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        *_audit(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_mapping_profiles")),
        sa.UniqueConstraint("name", name="uq_sales_mapping_profiles_name"),
    )
    op.create_table(
        "sales_imports",
        _id(),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("file_name", sa.Text(), server_default="", nullable=False),
        sa.Column("profile", sa.Text(), server_default="", nullable=False),
        sa.Column("sender", sa.Text(), server_default="", nullable=False),
        sa.Column("mapping", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("status", sa.Text(), server_default="queued", nullable=False),
        sa.Column("rows_read", sa.Integer(), server_default="0", nullable=False),
        sa.Column("imported", sa.Integer(), server_default="0", nullable=False),
        sa.Column("updated", sa.Integer(), server_default="0", nullable=False),
        sa.Column("rejected", sa.Integer(), server_default="0", nullable=False),
        sa.Column("error", sa.Text(), server_default="", nullable=False),
        sa.Column("error_args", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        *_audit(),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_sales_imports_actor_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_imports")),
    )
    op.create_index("ix_sales_imports_created", "sales_imports", ["created_at"], unique=False)
    op.create_table(
        "sales_import_files",
        sa.Column("import_id", sa.BigInteger(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["sales_imports.id"],
            name=op.f("fk_sales_import_files_import_id_sales_imports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("import_id", name=op.f("pk_sales_import_files")),
    )
    op.create_table(
        "sales_import_rejects",
        _id(),
        sa.Column("import_id", sa.BigInteger(), nullable=False),
        sa.Column("row_no", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), server_default="", nullable=False),
        sa.Column("row", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        *_audit(),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["sales_imports.id"],
            name=op.f("fk_sales_import_rejects_import_id_sales_imports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_import_rejects")),
    )
    op.create_index("ix_sales_import_rejects_import", "sales_import_rejects", ["import_id", "row_no"], unique=False)
    op.create_table(
        "sales_mailbox_messages",
        _id(),
        sa.Column("message_id", sa.Text(), nullable=False),
        sa.Column("sha256", sa.Text(), nullable=False),
        sa.Column("import_id", sa.BigInteger(), nullable=True),
        *_audit(),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["sales_imports.id"],
            name=op.f("fk_sales_mailbox_messages_import_id_sales_imports"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_mailbox_messages")),
        sa.UniqueConstraint("message_id", "sha256", name="uq_sales_mailbox_messages_identity"),
    )


def downgrade() -> None:
    op.drop_table("sales_mailbox_messages")
    op.drop_index("ix_sales_import_rejects_import", table_name="sales_import_rejects")
    op.drop_table("sales_import_rejects")
    op.drop_table("sales_import_files")
    op.drop_index("ix_sales_imports_created", table_name="sales_imports")
    op.drop_table("sales_imports")
    op.drop_table("sales_mapping_profiles")
    op.drop_table("sales_mailbox")
