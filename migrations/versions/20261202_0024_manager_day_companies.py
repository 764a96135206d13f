"""Plans at scale: the companies each employee called per local day (``manager_day_companies``, kept with the
daily figures on every sync) and, kept from them by statement triggers, the distinct companies called per day, month
and year (``manager_period_companies``, ``manager_companies_called``; see ``plans.companies_called``), so the plans
views read one count per employee and period instead of a distinct count over a year of calls; filled here from the
calls with the counting settings and the time zone in force

Revision ID: 0024_manager_day_companies
Revises: 0023_sales_lines_salesperson
Create Date: 2026-12-02 17:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0024_manager_day_companies"
down_revision = "0023_sales_lines_salesperson"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from crm.features.clients.figures import MANAGER_DAY_COMPANIES
    from crm.features.plans.companies_called import REBUILD, TRIGGER_FUNCTIONS, TRIGGERS
    from crm.features.system.models import SystemSettings
    from crm.features.system.settings import from_environment, merge_timezone

    op.create_table(
        "manager_day_companies",
        sa.Column("employee_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("company_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("employee_id", "day", "company_id", name=op.f("pk_manager_day_companies")),
    )
    bind = op.get_bind()
    zone = bind.execute(sa.text("SELECT timezone FROM system_settings ORDER BY id LIMIT 1")).scalar()
    tz = merge_timezone(SystemSettings(timezone=zone) if zone is not None else None, from_environment())
    seconds = bind.execute(sa.text("SELECT min_call_seconds FROM bitrix24_settings WHERE id = 1")).scalar()
    bind.execute(
        sa.text(MANAGER_DAY_COMPANIES.format(calls="")),
        {"tz": tz, "min_seconds": 20 if seconds is None else int(seconds)},
    )
    op.create_table(
        "manager_period_companies",
        sa.Column("employee_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("grain", sa.SmallInteger(), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("company_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "employee_id", "grain", "period", "company_id", name=op.f("pk_manager_period_companies")
        ),
    )
    op.create_index(
        "ix_manager_period_companies_empty",
        "manager_period_companies",
        ["grain"],
        unique=False,
        postgresql_where=sa.text("days = 0"),
    )
    op.create_table(
        "manager_companies_called",
        sa.Column("employee_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("grain", sa.SmallInteger(), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("companies", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("employee_id", "grain", "period", name=op.f("pk_manager_companies_called")),
    )
    op.create_index(
        "ix_manager_companies_called_empty",
        "manager_companies_called",
        ["grain"],
        unique=False,
        postgresql_where=sa.text("companies = 0"),
    )
    for statement in (*REBUILD, *TRIGGER_FUNCTIONS, *TRIGGERS):
        op.execute(statement)


def downgrade() -> None:
    from crm.features.plans.companies_called import DROP

    for statement in DROP:
        op.execute(statement)
    op.drop_table("manager_companies_called")
    op.drop_table("manager_period_companies")
    op.drop_table("manager_day_companies")
