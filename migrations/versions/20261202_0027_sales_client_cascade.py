"""ERP sales at scale: the lines and the monthly revenue of an ERP client no longer checked by a foreign key per
row (a 1,000,000-row import paid ~10-25 s for those checks on the shared 2-core machine); the import locks the
clients it writes for set-wise, and deleting clients deletes their lines and monthly revenue by one statement
trigger, as ON DELETE CASCADE did

Revision ID: 0027_sales_client_cascade
Revises: 0026_manager_month_figures
Create Date: 2026-12-02 18:10:00
"""

from alembic import op

revision = "0027_sales_client_cascade"
down_revision = "0026_manager_month_figures"
branch_labels = None
depends_on = None

CASCADE_FUNCTION = """CREATE OR REPLACE FUNCTION erp_clients_cascade() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM sales_lines WHERE client_id = ANY (ARRAY(SELECT id FROM erp_clients_gone));
  DELETE FROM client_month_sales WHERE client_id = ANY (ARRAY(SELECT id FROM erp_clients_gone));
  RETURN NULL;
END $$"""
CASCADE_TRIGGER = (
    "CREATE OR REPLACE TRIGGER erp_clients_cascade AFTER DELETE ON erp_clients REFERENCING OLD TABLE AS "
    "erp_clients_gone FOR EACH STATEMENT EXECUTE FUNCTION erp_clients_cascade()"
)


def upgrade() -> None:
    op.drop_constraint("fk_sales_lines_client_id_erp_clients", "sales_lines", type_="foreignkey")
    op.drop_constraint("fk_client_month_sales_client_id_erp_clients", "client_month_sales", type_="foreignkey")
    op.execute(CASCADE_FUNCTION)
    op.execute(CASCADE_TRIGGER)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS erp_clients_cascade ON erp_clients")
    op.execute("DROP FUNCTION IF EXISTS erp_clients_cascade()")
    op.create_foreign_key(
        "fk_client_month_sales_client_id_erp_clients",
        "client_month_sales",
        "erp_clients",
        ["client_id"],
        ["id"],
        ondelete="CASCADE",
    )
    op.create_foreign_key(
        "fk_sales_lines_client_id_erp_clients",
        "sales_lines",
        "erp_clients",
        ["client_id"],
        ["id"],
        ondelete="CASCADE",
    )
