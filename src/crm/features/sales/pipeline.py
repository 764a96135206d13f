"""The import itself, in the caller's transaction: rows checked in Python, the good ones COPied into a temporary
staging table, then set-based SQL matches or creates the clients, upserts the invoice lines and recomputes the
monthly revenue of the touched (client, month) pairs only. Either everything is written or nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.sales import mapping as mappings
from crm.features.sales.models import SalesImportReject
from crm.features.sales.reading import HEADER_ONLY, FileRejected, Table, cell_text
from crm.features.sales.rows import Rejected, check_row

KEEP_REJECTS = 1000
BATCH = 20_000
STAGE_COLUMNS = (
    "row_no",
    "day",
    "invoice",
    "product",
    "line_no",
    "family",
    "quantity",
    "amount",
    "salesperson",
    "client_code",
    "client_inn",
    "client_name",
    "name_key",
)


@dataclass
class Outcome:
    rows_read: int = 0
    imported: int = 0
    updated: int = 0
    rejected: int = 0
    new_clients: int = 0
    mapping: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        return f"read {self.rows_read}, imported {self.imported}, updated {self.updated}, rejected {self.rejected}"


Progress = Callable[[int], None]


async def _raw(session: AsyncSession) -> Any:
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    return raw.driver_connection


async def import_table(
    session: AsyncSession,
    import_id: int,
    table: Table,
    profile: dict[str, str] | None = None,
    chosen: dict[str, Any] | None = None,
    progress: Progress | None = None,
) -> Outcome:
    """Import the rows of a file read by ``reading.read_table``; raises ``FileRejected`` for a file that cannot be
    imported at all (the caller rolls back)."""
    cols = mappings.resolve(table.headers, profile, chosen)
    outcome = Outcome(mapping=cols)
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext('crm.sales.import'))"))
    await session.execute(text("DROP TABLE IF EXISTS sales_stage"))
    await session.execute(
        text(
            "CREATE TEMP TABLE sales_stage (row_no int, day date, invoice text, product text, line_no int, "
            "family text, quantity numeric(16,3), amount numeric(16,2), salesperson text, client_code text, "
            "client_inn text, client_name text, name_key text) ON COMMIT DROP"
        )
    )
    conn = await _raw(session)
    rejects: list[dict[str, Any]] = []
    batch: list[tuple[Any, ...]] = []
    per_invoice: dict[str, int] = {}
    invoice_index = cols.get("invoice")
    for row_no, row in enumerate(table.rows, start=2):
        outcome.rows_read += 1
        invoice = cell_text(row[invoice_index]) if invoice_index is not None and invoice_index < len(row) else ""
        line_no = per_invoice[invoice] = per_invoice.get(invoice, 0) + 1
        try:
            batch.append(check_row(row, cols, row_no, line_no))
        except Rejected as exc:
            outcome.rejected += 1
            if len(rejects) < KEEP_REJECTS:
                rejects.append(
                    {"row_no": row_no, "reason": exc.code, "value": exc.value, "row": [cell_text(c) for c in row]}
                )
        if len(batch) >= BATCH:
            await conn.copy_records_to_table("sales_stage", records=batch, columns=STAGE_COLUMNS)
            batch = []
            if progress:
                progress(outcome.rows_read)
    if batch:
        await conn.copy_records_to_table("sales_stage", records=batch, columns=STAGE_COLUMNS)
    if progress:
        progress(outcome.rows_read)
    if outcome.rows_read == 0:
        raise FileRejected(HEADER_ONLY)
    if outcome.rows_read > outcome.rejected:
        await _apply(session, import_id, outcome)
    if rejects:
        await session.execute(SalesImportReject.__table__.insert(), [{"import_id": import_id, **r} for r in rejects])
    return outcome


async def _exec(session: AsyncSession, sql: str, **params: Any) -> Any:
    return await session.execute(text(sql), params)


MATCH = (
    "UPDATE sales_stage_clients sc SET client_id = c.id FROM erp_clients c "
    "WHERE sc.client_id IS NULL AND sc.client_code <> '' AND c.code = sc.client_code",
    "UPDATE sales_stage_clients sc SET client_id = c.id FROM (SELECT DISTINCT ON (inn) inn, id FROM erp_clients "
    "WHERE inn <> '' ORDER BY inn, id) c WHERE sc.client_id IS NULL AND sc.client_inn <> '' AND c.inn = sc.client_inn",
    "UPDATE sales_stage_clients sc SET client_id = c.id FROM (SELECT DISTINCT ON (name_key) name_key, id "
    "FROM erp_clients ORDER BY name_key, id) c "
    "WHERE sc.client_id IS NULL AND sc.name_key <> '' AND c.name_key = sc.name_key",
)
# New clients by the identity a row has: a code, else an INN, else a name; matched again after each round so
# that a row naming only the INN of a client created from a coded row joins it.
CREATE_ROUNDS = (
    ("client_code", "client_code <> ''"),
    ("client_inn", "client_code = '' AND client_inn <> ''"),
    ("name_key", "client_code = '' AND client_inn = '' AND name_key <> ''"),
)


async def _apply(session: AsyncSession, import_id: int, outcome: Outcome) -> None:
    await _exec(session, "ANALYZE sales_stage")
    await _exec(session, "DROP TABLE IF EXISTS sales_stage_people")
    await _exec(
        session,
        "CREATE TEMP TABLE sales_stage_people ON COMMIT DROP AS "
        "SELECT s.salesperson, (SELECT u.id FROM users u WHERE lower(u.email) = lower(s.salesperson) "
        "OR lower(btrim(u.name)) = lower(s.salesperson) "
        "ORDER BY (lower(u.email) = lower(s.salesperson)) DESC, u.is_active DESC, u.id LIMIT 1) AS user_id "
        "FROM (SELECT DISTINCT salesperson FROM sales_stage WHERE salesperson <> '') s",
    )
    await _exec(session, "DROP TABLE IF EXISTS sales_stage_clients")
    await _exec(
        session,
        "CREATE TEMP TABLE sales_stage_clients ON COMMIT DROP AS "
        "SELECT client_code, client_inn, name_key, max(client_name) AS client_name, "
        "mode() WITHIN GROUP (ORDER BY salesperson) FILTER (WHERE salesperson <> '') AS salesperson, "
        "NULL::bigint AS client_id FROM sales_stage GROUP BY client_code, client_inn, name_key",
    )
    for sql in MATCH:
        await _exec(session, sql)
    for identity, where in CREATE_ROUNDS:
        created = await _exec(
            session,
            "INSERT INTO erp_clients (id, code, inn, name, name_key, is_new, responsible_id, created_at, updated_at) "  # noqa: S608
            "SELECT nextval('erp_clients_id_seq'), * FROM ("
            f"SELECT DISTINCT ON ({identity}) client_code, client_inn, "
            "coalesce(nullif(client_name, ''), nullif(client_code, ''), client_inn), "
            "coalesce(nullif(name_key, ''), lower(coalesce(nullif(client_code, ''), client_inn))), true, "
            "(SELECT p.user_id FROM sales_stage_people p WHERE p.salesperson = sc.salesperson), now(), now() "
            f"FROM sales_stage_clients sc WHERE client_id IS NULL AND {where} "
            f"ORDER BY {identity}, client_name DESC) AS fresh",
        )
        outcome.new_clients += created.rowcount or 0
        for sql in MATCH:
            await _exec(session, sql)
    await _exec(session, "DROP TABLE IF EXISTS sales_touched")
    await _exec(session, "CREATE TEMP TABLE sales_touched (client_id bigint, month date) ON COMMIT DROP")
    await _exec(
        session,
        "INSERT INTO sales_touched SELECT DISTINCT l.client_id, date_trunc('month', l.day)::date "
        "FROM sales_lines l JOIN sales_stage s "
        "ON l.invoice = s.invoice AND l.product = s.product AND l.line_no = s.line_no",
    )
    counts = (
        await _exec(
            session,
            "WITH up AS (INSERT INTO sales_lines (id, day, invoice, product, line_no, client_id, family, quantity, "
            "amount, salesperson, salesperson_id, import_id, created_at, updated_at) "
            "SELECT nextval('sales_lines_id_seq'), s.day, s.invoice, s.product, s.line_no, sc.client_id, s.family, "
            "s.quantity, s.amount, "
            "s.salesperson, p.user_id, :import_id, now(), now() FROM sales_stage s "
            "JOIN sales_stage_clients sc ON sc.client_code = s.client_code AND sc.client_inn = s.client_inn "
            "AND sc.name_key = s.name_key LEFT JOIN sales_stage_people p ON p.salesperson = s.salesperson "
            "ON CONFLICT (invoice, product, line_no) DO UPDATE SET day = excluded.day, "
            "client_id = excluded.client_id, family = excluded.family, quantity = excluded.quantity, "
            "amount = excluded.amount, salesperson = excluded.salesperson, "
            "salesperson_id = excluded.salesperson_id, import_id = excluded.import_id, updated_at = now() "
            "RETURNING (xmax = 0) AS inserted, client_id, day), "
            "touched AS (INSERT INTO sales_touched SELECT DISTINCT client_id, date_trunc('month', day)::date "
            "FROM up) "
            "SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up",
            import_id=import_id,
        )
    ).one()
    outcome.imported, outcome.updated = int(counts[0]), int(counts[1])
    await recompute_months(session, "SELECT DISTINCT client_id, month FROM sales_touched")


async def recompute_months(session: AsyncSession, pairs_sql: str) -> None:
    """Rebuild ``client_month_sales`` for the (client_id, month) pairs a query names."""
    await _exec(session, "DROP TABLE IF EXISTS sales_pairs")
    await _exec(session, f"CREATE TEMP TABLE sales_pairs ON COMMIT DROP AS {pairs_sql}")
    await _exec(
        session,
        "DELETE FROM client_month_sales c USING sales_pairs t WHERE c.client_id = t.client_id AND c.month = t.month",
    )
    await _exec(
        session,
        "INSERT INTO client_month_sales (client_id, month, family, revenue, lines) "
        "SELECT l.client_id, t.month, l.family, sum(l.amount), count(*) FROM sales_pairs t "
        "JOIN sales_lines l ON l.client_id = t.client_id AND l.day >= t.month "
        "AND l.day < (t.month + interval '1 month')::date GROUP BY l.client_id, t.month, l.family",
    )


async def rebuild_month_sales(session: AsyncSession) -> None:
    """The whole derived table again from the lines (equals what the imports maintained)."""
    await _exec(session, "DELETE FROM client_month_sales")
    await recompute_months(
        session, "SELECT DISTINCT client_id, date_trunc('month', day)::date AS month FROM sales_lines"
    )
