"""Clients: Bitrix24 contacts (with every linked company) and leads

Revision ID: 0010_clients_contacts_leads
Revises: 0009_plans
Create Date: 2026-12-02 07:13:13.276586
"""

import sqlalchemy as sa
from advanced_alchemy.types import GUID, ORA_JSONB, DateTimeUTC, JsonB
from alembic import op
from sqlalchemy.dialects import postgresql

sa.GUID = GUID  # type: ignore[attr-defined]
sa.DateTimeUTC = DateTimeUTC  # type: ignore[attr-defined]
sa.JsonB = JsonB  # type: ignore[attr-defined]
sa.ORA_JSONB = ORA_JSONB  # type: ignore[attr-defined]

revision = "0010_clients_contacts_leads"
down_revision = "0009_plans"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contacts",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("last_name", sa.String(length=255), nullable=False),
        sa.Column("second_name", sa.String(length=255), nullable=False),
        sa.Column("post", sa.String(length=255), nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=True),
        sa.Column("company_ids", postgresql.ARRAY(sa.BigInteger()), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("responsible_id", sa.BigInteger(), nullable=True),
        sa.Column("phones", postgresql.ARRAY(sa.String(length=64)), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("emails", postgresql.ARRAY(sa.String(length=255)), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=False),
        sa.Column("bitrix_created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("bitrix_modified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("synced_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
    )
    op.create_index("ix_contacts_company", "contacts", ["company_id"], unique=False)
    op.create_index("ix_contacts_company_ids", "contacts", ["company_ids"], unique=False, postgresql_using="gin")
    op.create_index(op.f("ix_contacts_responsible_id"), "contacts", ["responsible_id"], unique=False)
    op.create_table(
        "crm_leads",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("title", sa.String(length=512), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("last_name", sa.String(length=255), nullable=False),
        sa.Column("status_id", sa.String(length=64), nullable=False),
        sa.Column("semantic", sa.String(length=1), nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=False),
        sa.Column("company_title", sa.String(length=512), nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=True),
        sa.Column("contact_id", sa.BigInteger(), nullable=True),
        sa.Column("responsible_id", sa.BigInteger(), nullable=True),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=8), nullable=False),
        sa.Column("phones", postgresql.ARRAY(sa.String(length=64)), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("emails", postgresql.ARRAY(sa.String(length=255)), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("bitrix_created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("bitrix_modified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("synced_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_leads")),
    )
    op.create_index(op.f("ix_crm_leads_bitrix_created_at"), "crm_leads", ["bitrix_created_at"], unique=False)
    op.create_index("ix_crm_leads_company", "crm_leads", ["company_id"], unique=False)
    op.create_index("ix_crm_leads_contact", "crm_leads", ["contact_id"], unique=False)
    op.create_index(op.f("ix_crm_leads_responsible_id"), "crm_leads", ["responsible_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_crm_leads_responsible_id"), table_name="crm_leads")
    op.drop_index("ix_crm_leads_contact", table_name="crm_leads")
    op.drop_index("ix_crm_leads_company", table_name="crm_leads")
    op.drop_index(op.f("ix_crm_leads_bitrix_created_at"), table_name="crm_leads")
    op.drop_table("crm_leads")
    op.drop_index(op.f("ix_contacts_responsible_id"), table_name="contacts")
    op.drop_index("ix_contacts_company_ids", table_name="contacts", postgresql_using="gin")
    op.drop_index("ix_contacts_company", table_name="contacts")
    op.drop_table("contacts")
