"""Lead contacts keep how they ended: an outcome from a fixed list, a comment, and who closed them

Revision ID: 0007_leads_contact_outcome
Revises: 0006_accounts_token_family
Create Date: 2026-12-02 07:00:00.000000
"""

import sqlalchemy as sa
from advanced_alchemy.types import GUID, ORA_JSONB, DateTimeUTC, JsonB
from alembic import op


sa.GUID = GUID  # type: ignore[attr-defined]
sa.DateTimeUTC = DateTimeUTC  # type: ignore[attr-defined]
sa.JsonB = JsonB  # type: ignore[attr-defined]
sa.ORA_JSONB = ORA_JSONB  # type: ignore[attr-defined]

revision = '0007_leads_contact_outcome'
down_revision = '0006_accounts_token_family'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('lead_contacts', sa.Column('outcome', sa.String(length=20), nullable=True))
    op.add_column('lead_contacts', sa.Column('close_comment', sa.Text(), server_default='', nullable=False))
    op.add_column('lead_contacts', sa.Column('closed_by_id', sa.GUID(length=16), nullable=True))
    op.create_foreign_key(
        op.f('fk_lead_contacts_closed_by_id_users'), 'lead_contacts', 'users', ['closed_by_id'], ['id'],
        ondelete='SET NULL',
    )
    op.create_check_constraint(
        op.f('ck_lead_contacts_outcome_known'),
        'lead_contacts',
        "outcome IS NULL OR outcome IN ('reached', 'not_reached', 'wrong_number', 'duplicate', 'other')",
    )


def downgrade() -> None:
    op.drop_constraint(op.f('ck_lead_contacts_outcome_known'), 'lead_contacts', type_='check')
    op.drop_constraint(op.f('fk_lead_contacts_closed_by_id_users'), 'lead_contacts', type_='foreignkey')
    op.drop_column('lead_contacts', 'closed_by_id')
    op.drop_column('lead_contacts', 'close_comment')
    op.drop_column('lead_contacts', 'outcome')
