"""Companies list at scale: an index for its default order, and a trigram index for the title search where the
server has pg_trgm

Revision ID: 0018_companies_list_speed
Revises: 0017_operations
Create Date: 2026-12-02 10:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0018_companies_list_speed"
down_revision = "0017_operations"
branch_labels = None
depends_on = None


def _has_trigrams() -> bool:
    """pg_trgm is a trusted contrib extension of every PostgreSQL package; the embedded server ships without it."""
    bind = op.get_bind()
    return bool(bind.execute(sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")).scalar())


def upgrade() -> None:
    op.drop_index("ix_companies_title_lower", table_name="companies")
    op.create_index("ix_companies_title_order", "companies", [sa.text("lower(title)"), "id"], unique=False)
    if _has_trigrams():
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        from crm.features.clients.models import TRIGRAM_INDEXES

        for statement in TRIGRAM_INDEXES:
            op.execute(statement)


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_companies_title_trgm")
    op.drop_index("ix_companies_title_order", table_name="companies")
    op.create_index("ix_companies_title_lower", "companies", [sa.text("lower(title)")], unique=False)
