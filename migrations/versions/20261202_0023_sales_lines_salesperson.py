"""ERP sales at scale: an index of sales lines by salesperson and client, so a manager's or a head's list of ERP
clients ("responsible for it, or sold to it") reads the clients they sold to from the index instead of scanning a
million lines

Revision ID: 0023_sales_lines_salesperson
Revises: 0022_sale_figures
Create Date: 2026-12-02 15:10:00
"""

from alembic import op

revision = "0023_sales_lines_salesperson"
down_revision = "0022_sale_figures"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_sales_lines_salesperson_client", "sales_lines", ["salesperson_id", "client_id"])


def downgrade() -> None:
    op.drop_index("ix_sales_lines_salesperson_client", table_name="sales_lines")
