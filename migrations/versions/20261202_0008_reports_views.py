"""Reports: saved views of a report per user, and the communication report's settings (one row)

Revision ID: 0008_reports_views
Revises: 0007_leads_contact_outcome
Create Date: 2026-12-02 07:11:09.635857
"""

import sqlalchemy as sa
from advanced_alchemy.types import GUID, ORA_JSONB, DateTimeUTC, JsonB
from alembic import op


sa.GUID = GUID  # type: ignore[attr-defined]
sa.DateTimeUTC = DateTimeUTC  # type: ignore[attr-defined]
sa.JsonB = JsonB  # type: ignore[attr-defined]
sa.ORA_JSONB = ORA_JSONB  # type: ignore[attr-defined]

revision = '0008_reports_views'
down_revision = '0007_leads_contact_outcome'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('communication_report_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stale_months', sa.Integer(), nullable=False),
    sa.Column('lost_days', sa.Integer(), nullable=False),
    sa.Column('page_size', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_communication_report_settings_single_row')),
    sa.CheckConstraint('lost_days BETWEEN 1 AND 366', name=op.f('ck_communication_report_settings_lost_days')),
    sa.CheckConstraint('page_size BETWEEN 10 AND 500', name=op.f('ck_communication_report_settings_page_size')),
    sa.CheckConstraint('stale_months BETWEEN 1 AND 60', name=op.f('ck_communication_report_settings_stale_months')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_communication_report_settings'))
    )
    op.create_table('report_views',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('report', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('query', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTimeUTC(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_report_views_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_views')),
    sa.UniqueConstraint('user_id', 'report', 'name', name='uq_report_views_user_report_name')
    )
    op.create_index(op.f('ix_report_views_user_id'), 'report_views', ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_report_views_user_id'), table_name='report_views')
    op.drop_table('report_views')
    op.drop_table('communication_report_settings')
