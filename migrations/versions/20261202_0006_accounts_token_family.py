"""Refresh tokens carry the family of their sign-in (reuse of a used token revokes the family)

Revision ID: 0006_accounts_token_family
Revises: 0005_system_settings
Create Date: 2026-12-02 06:30:00.000000
"""

import sqlalchemy as sa
from advanced_alchemy.types import GUID, ORA_JSONB, DateTimeUTC, JsonB
from alembic import op


sa.GUID = GUID  # type: ignore[attr-defined]
sa.DateTimeUTC = DateTimeUTC  # type: ignore[attr-defined]
sa.JsonB = JsonB  # type: ignore[attr-defined]
sa.ORA_JSONB = ORA_JSONB  # type: ignore[attr-defined]

revision = '0006_accounts_token_family'
down_revision = '0005_system_settings'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('refresh_tokens', sa.Column('family_id', sa.GUID(length=16), nullable=True))
    # Tokens issued before: each is a family of its own.
    op.execute('UPDATE refresh_tokens SET family_id = id')
    op.alter_column('refresh_tokens', 'family_id', nullable=False)
    op.create_index(op.f('ix_refresh_tokens_family_id'), 'refresh_tokens', ['family_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_refresh_tokens_family_id'), table_name='refresh_tokens')
    op.drop_column('refresh_tokens', 'family_id')
