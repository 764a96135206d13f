"""Plans: daily call plans per manager (with forced completion), day comments, the report settings (one row)

Revision ID: 0009_plans
Revises: 0008_reports_views
Create Date: 2026-12-02 07:20:00.000000
"""

import sqlalchemy as sa
from advanced_alchemy.types import GUID, ORA_JSONB, DateTimeUTC, JsonB
from alembic import op


sa.GUID = GUID  # type: ignore[attr-defined]
sa.DateTimeUTC = DateTimeUTC  # type: ignore[attr-defined]
sa.JsonB = JsonB  # type: ignore[attr-defined]
sa.ORA_JSONB = ORA_JSONB  # type: ignore[attr-defined]

revision = '0009_plans'
down_revision = '0008_reports_views'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'call_plans',
        sa.Column('employee_id', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('calls', sa.Integer(), nullable=False),
        sa.Column('set_by_id', sa.Uuid(), nullable=True),
        sa.Column('forced_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('forced_by_id', sa.Uuid(), nullable=True),
        sa.Column('force_comment', sa.Text(), server_default='', nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.CheckConstraint('calls >= 0', name=op.f('ck_call_plans_calls_not_negative')),
        sa.ForeignKeyConstraint(['forced_by_id'], ['users.id'], name=op.f('fk_call_plans_forced_by_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['set_by_id'], ['users.id'], name=op.f('fk_call_plans_set_by_id_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('employee_id', 'day', name=op.f('pk_call_plans')),
    )
    op.create_index('ix_call_plans_day', 'call_plans', ['day'], unique=False)
    op.create_table(
        'plan_day_comments',
        sa.Column('employee_id', sa.BigInteger(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('author_id', sa.Uuid(), nullable=True),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('verified', sa.Boolean(), server_default=sa.text('false'), nullable=False),
        sa.Column('verified_by_id', sa.Uuid(), nullable=True),
        sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('created_at', sa.DateTimeUTC(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_plan_day_comments_author_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['verified_by_id'], ['users.id'], name=op.f('fk_plan_day_comments_verified_by_id_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_day_comments')),
    )
    op.create_index('ix_plan_day_comments_employee_day', 'plan_day_comments', ['employee_id', 'day'], unique=False)
    op.create_table(
        'plan_settings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('edit_deadline_day', sa.Integer(), server_default='5', nullable=False),
        sa.Column('default_department_id', sa.BigInteger(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.CheckConstraint('edit_deadline_day BETWEEN 1 AND 28', name=op.f('ck_plan_settings_deadline_day_in_month')),
        sa.ForeignKeyConstraint(['default_department_id'], ['departments.id'], name=op.f('fk_plan_settings_default_department_id_departments'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_settings')),
    )


def downgrade() -> None:
    op.drop_table('plan_settings')
    op.drop_index('ix_plan_day_comments_employee_day', table_name='plan_day_comments')
    op.drop_table('plan_day_comments')
    op.drop_index('ix_call_plans_day', table_name='call_plans')
    op.drop_table('call_plans')
