"""The import itself, in the caller's transaction: rows checked in Python, the good ones COPied into a temporary
staging table, then set-based SQL matches or creates the clients, upserts the invoice lines and recomputes the
monthly revenue of the touched (client, month) pairs only. Either everything is written or nothing."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.sales import mapping as mappings
from crm.features.sales.models import SalesImportReject
from crm.features.sales.reading import HEADER_ONLY, FileRejected, Table, cell_text
from crm.features.sales.rows import Rejected, checker, name_key

log = logging.getLogger("crm.sales.pipeline")
KEEP_REJECTS = 1000
BATCH = 20_000
STAGE_COLUMNS = ("row_no", "day", "invoice", "product", "line_no", "family", "quantity", "amount", "person", "ckey")
CLIENT_COLUMNS = ("ckey", "client_code", "client_inn", "client_name", "name_key", "salesperson")


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
    await _create_stage(session)
    conn = await _raw(session)
    reader = _Reader(table, cols, outcome)
    await _copy_batches(conn, reader, progress)
    outcome.rows_read = reader.row_no - 1
    if outcome.rows_read == 0:
        raise FileRejected(HEADER_ONLY)
    if outcome.rows_read > outcome.rejected:
        await _stage_names(session, conn, reader.clients, reader.people)
        await _apply(session, import_id, outcome)
    if reader.rejects:
        await session.execute(insert(SalesImportReject), [{"import_id": import_id, **r} for r in reader.rejects])
    return outcome


async def _create_stage(session: AsyncSession) -> None:
    """One import at a time; a fresh staging table for this one's rows."""
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext('crm.sales.import'))"))
    for name in ("sales_stage", "sales_stage_clients", "sales_stage_people"):
        await session.execute(text(f"DROP TABLE IF EXISTS {name}"))
    await session.execute(
        text(
            "CREATE TEMP TABLE sales_stage (row_no int, day date, invoice text, product text, line_no int, "
            "family text, quantity text, amount text, person int, ckey int) ON COMMIT DROP"
        )
    )


class _Reader:
    """Reads and checks the file's rows a batch at a time, keeping the rejected rows (the first ``KEEP_REJECTS``),
    the distinct clients and salespeople met (each with the small key its staging rows carry) and the file's row
    number of the last row read (the header is row 1)."""

    def __init__(self, table: Table, cols: dict[str, int], outcome: Outcome) -> None:
        self.rows = iter(table.rows)
        self.check = checker(cols)
        self.invoice_index = cols.get("invoice", -1)
        self.outcome = outcome
        self.rejects: list[dict[str, Any]] = []
        self.per_invoice: dict[str, int] = {}
        self.clients: dict[tuple[str, str, str], list[Any]] = {}  # (code, inn, name key) → its staging row
        self.named: dict[tuple[str, str, str], list[Any]] = {}  # (code, inn, name as written) → the same row
        self.people: dict[str, int] = {"": 0}
        self.row_no = 1

    def next_batch(self) -> list[tuple[Any, ...]]:
        """Read and check rows until a batch is full or the file ends (runs in a thread)."""
        check, invoice_index, outcome, rejects = self.check, self.invoice_index, self.outcome, self.rejects
        per_invoice, clients, people, named = self.per_invoice, self.clients, self.people, self.named
        batch: list[tuple[Any, ...]] = []
        row_no = self.row_no
        for row in self.rows:
            row_no += 1
            try:
                day, invoice, product, family, quantity, amount, person, code, inn, name = check(row)
            except Rejected as exc:
                # a rejected row still takes its place among its invoice's lines
                raw_invoice = row[invoice_index] if invoice_index < len(row) else ""
                invoice = raw_invoice.strip() if type(raw_invoice) is str else cell_text(raw_invoice)
                per_invoice[invoice] = per_invoice.get(invoice, 0) + 1
                outcome.rejected += 1
                if len(rejects) < KEEP_REJECTS:
                    rejects.append(
                        {"row_no": row_no, "reason": exc.code, "value": exc.value, "row": [cell_text(c) for c in row]}
                    )
                continue
            line_no = per_invoice[invoice] = per_invoice.get(invoice, 0) + 1  # the checked invoice is the same text
            client = named.get((code, inn, name))
            if client is None:
                key = (code, inn, name_key(name) if name else "")
                client = clients.get(key)
                if client is None:
                    client = clients[key] = [len(clients) + 1, code, inn, name, key[2], person]
                named[(code, inn, name)] = client
            if person and not client[5]:
                client[5] = person
            person_key = people.get(person)
            if person_key is None:
                person_key = people[person] = len(people)
            batch.append((row_no, day, invoice, product, line_no, family, quantity, amount, person_key, client[0]))
            if len(batch) >= BATCH:
                break
        self.row_no = row_no
        return batch


async def _copy_batches(conn: Any, reader: _Reader, progress: Progress | None) -> None:
    """COPY the checked rows into the staging table. Rows are read in a thread: the event loop (the web pages, when
    the worker runs in the web process) is never blocked by a big file, and the database takes the previous batch
    meanwhile."""
    copying: asyncio.Task[Any] | None = None
    try:
        while True:
            batch = await asyncio.to_thread(reader.next_batch)
            if copying is not None:
                await copying
                copying = None
            if progress:
                progress(reader.row_no - 1)
            if not batch:
                break
            copying = asyncio.create_task(
                conn.copy_records_to_table("sales_stage", records=batch, columns=STAGE_COLUMNS)
            )
    finally:
        if copying is not None:
            with contextlib.suppress(Exception):
                await copying


async def _stage_names(
    session: AsyncSession, conn: Any, clients: dict[tuple[str, str, str], list[Any]], people: dict[str, int]
) -> None:
    """The distinct clients and salespeople of the file, each with the small key the staging rows carry."""
    await session.execute(
        text(
            "CREATE TEMP TABLE sales_stage_clients (ckey int PRIMARY KEY, client_code text, client_inn text, "
            "client_name text, name_key text, salesperson text, client_id bigint) ON COMMIT DROP"
        )
    )
    await conn.copy_records_to_table(
        "sales_stage_clients", records=[tuple(c) for c in clients.values()], columns=CLIENT_COLUMNS
    )
    await session.execute(
        text(
            "CREATE TEMP TABLE sales_stage_people (person int PRIMARY KEY, salesperson text, user_id uuid) "
            "ON COMMIT DROP"
        )
    )
    await conn.copy_records_to_table(
        "sales_stage_people", records=[(k, p) for p, k in people.items() if p], columns=("person", "salesperson")
    )
    await session.execute(
        text(
            "UPDATE sales_stage_people s SET user_id = (SELECT u.id FROM users u WHERE lower(u.email) = "
            "lower(s.salesperson) OR lower(btrim(u.name)) = lower(s.salesperson) "
            "ORDER BY (lower(u.email) = lower(s.salesperson)) DESC, u.is_active DESC, u.id LIMIT 1)"
        )
    )
    await session.execute(text("ANALYZE sales_stage_clients"))


async def _exec(session: AsyncSession, sql: str, **params: Any) -> Any:
    """One statement of the import (bench/sales_import.py --trace times each one)."""
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
# The file's lines with their client and salesperson; the amounts are rounded half-up here, by numeric.
INCOMING = (
    "(SELECT s.row_no, s.day, s.invoice, s.product, s.line_no, sc.client_id, s.family, "
    "s.quantity::numeric(16,3) AS quantity, s.amount::numeric(16,2) AS amount, "
    "coalesce(p.salesperson, '') AS salesperson, p.user_id FROM sales_stage s "
    "JOIN sales_stage_clients sc ON sc.ckey = s.ckey LEFT JOIN sales_stage_people p ON p.person = s.person) AS i"
)
# New clients by the identity a row has: a code, else an INN, else a name; matched again after each round so
# that a row naming only the INN of a client created from a coded row joins it.
CREATE_ROUNDS = (
    ("client_code", "client_code <> ''"),
    ("client_inn", "client_code = '' AND client_inn <> ''"),
    ("name_key", "client_code = '' AND client_inn = '' AND name_key <> ''"),
)


async def _apply(session: AsyncSession, import_id: int, outcome: Outcome) -> None:
    await _exec(session, "SET LOCAL work_mem = '128MB'")  # sorts and hashes of a big file stay in memory
    await _exec(session, "ANALYZE sales_stage")
    await _match_clients(session, outcome)
    await _lock_file_clients(session)
    await _write_lines(session, import_id, outcome)
    await recompute_months(session, "SELECT DISTINCT client_id, month FROM sales_touched")


async def _match_clients(session: AsyncSession, outcome: Outcome) -> None:
    """Each staged client matched to an ERP client by code, INN or name, else created (counted as new)."""
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
        if created.rowcount:
            for sql in MATCH:
                await _exec(session, sql)


async def _lock_file_clients(session: AsyncSession) -> None:
    """The lines name their client without a foreign key (see ``models.CLIENT_CASCADE``): the file's clients are
    locked here at once, as the per-row key checks did, so none can be deleted until this import ends; one deleted
    since it was matched (the lock skips it) fails the import, nothing written."""
    locked = await lock_clients(session, "SELECT client_id FROM sales_stage_clients")
    wanted = await _exec(session, "SELECT count(DISTINCT client_id) FROM sales_stage_clients")
    if locked != int(wanted.scalar() or 0):
        raise RuntimeError("an ERP client of the file was deleted during the import")


async def lock_clients(session: AsyncSession, ids_sql: str) -> int:
    """Lock the ERP clients a query names against deletion (FOR KEY SHARE, what a foreign key check takes); the
    number of them still there."""
    locked = await _exec(
        session,
        f"SELECT count(*) FROM (SELECT 1 FROM erp_clients WHERE id IN ({ids_sql}) FOR KEY SHARE) AS locked",  # noqa: S608
    )
    return int(locked.scalar() or 0)


async def _write_lines(session: AsyncSession, import_id: int, outcome: Outcome) -> None:
    """Update the invoice lines already there, insert the new ones, and note the (client, month) pairs touched in
    ``sales_touched``."""
    for name in ("sales_existing", "sales_touched"):
        await _exec(session, f"DROP TABLE IF EXISTS {name}")
    await _exec(
        session,
        f"CREATE TEMP TABLE sales_existing ON COMMIT DROP AS SELECT i.row_no, l.id, l.client_id, l.day, "  # noqa: S608
        "(l.day, l.client_id, l.family, l.quantity, l.amount, l.salesperson, l.salesperson_id) IS DISTINCT FROM "
        "(i.day, i.client_id, i.family, i.quantity, i.amount, i.salesperson, i.user_id) AS changed "
        f"FROM {INCOMING} JOIN sales_lines l "
        "ON l.invoice = i.invoice AND l.product = i.product AND l.line_no = i.line_no",
    )
    await _exec(session, "ANALYZE sales_existing")
    # Months to recompute: where a changed line was and is, and where a new line goes.
    await _exec(
        session,
        "CREATE TEMP TABLE sales_touched ON COMMIT DROP AS "  # noqa: S608 - INCOMING is a constant
        "SELECT e.client_id, date_trunc('month', e.day::timestamp)::date AS month FROM sales_existing e "
        "WHERE e.changed "
        f"UNION SELECT i.client_id, date_trunc('month', i.day::timestamp)::date FROM {INCOMING} "
        "LEFT JOIN sales_existing e ON e.row_no = i.row_no WHERE e.row_no IS NULL OR e.changed",
    )
    await _exec(
        session,
        "UPDATE sales_lines l SET day = i.day, client_id = i.client_id, family = i.family, quantity = i.quantity, "  # noqa: S608 - INCOMING is a constant
        "amount = i.amount, salesperson = i.salesperson, salesperson_id = i.user_id, import_id = :import_id, "
        f"updated_at = now() FROM sales_existing e JOIN {INCOMING} ON i.row_no = e.row_no "
        "WHERE e.changed AND l.id = e.id",
        import_id=import_id,
    )
    inserted = await _exec(
        session,
        "INSERT INTO sales_lines (id, day, invoice, product, line_no, client_id, family, quantity, amount, "  # noqa: S608 - INCOMING is a constant
        "salesperson, salesperson_id, import_id, created_at, updated_at) "
        "SELECT nextval('sales_lines_id_seq'), i.day, i.invoice, i.product, i.line_no, i.client_id, i.family, "
        f"i.quantity, i.amount, i.salesperson, i.user_id, :import_id, now(), now() FROM {INCOMING} "
        # a hashed set of the rows already there (an anti-join planned as a nested loop rescanned the usually
        # empty table once per line)
        "WHERE i.row_no NOT IN (SELECT e.row_no FROM sales_existing e)",
        import_id=import_id,
    )
    # "updated": lines of the file that were there already, now holding the file's values (changed or not)
    updated = await _exec(session, "SELECT count(*) FROM sales_existing")
    outcome.imported, outcome.updated = inserted.rowcount or 0, int(updated.scalar() or 0)


async def recompute_months(session: AsyncSession, pairs_sql: str) -> None:
    """Rebuild ``client_month_sales`` for the (client_id, month) pairs a query names."""
    await _exec(session, "DROP TABLE IF EXISTS sales_pairs")
    await _exec(session, f"CREATE TEMP TABLE sales_pairs ON COMMIT DROP AS {pairs_sql}")
    await _exec(session, "ANALYZE sales_pairs")
    # a client deleted meanwhile waits for this import, or is gone with its lines before the months are read
    await lock_clients(session, "SELECT client_id FROM sales_pairs")
    await _exec(
        session,
        "DELETE FROM client_month_sales c USING sales_pairs t WHERE c.client_id = t.client_id AND c.month = t.month",
    )
    await _exec(
        session,
        "INSERT INTO client_month_sales (client_id, month, family, revenue, lines) "
        "SELECT l.client_id, t.month, l.family, sum(l.amount), count(*) FROM sales_pairs t "
        "JOIN sales_lines l ON l.client_id = t.client_id AND date_trunc('month', l.day::timestamp)::date = t.month "
        "GROUP BY l.client_id, t.month, l.family ORDER BY 1, 2, 3",  # in key order: the primary key grows in place
    )


async def rebuild_month_sales(session: AsyncSession) -> None:
    """The whole derived table again from the lines (equals what the imports maintained)."""
    await _exec(session, "SET LOCAL work_mem = '128MB'")
    await _exec(session, "DELETE FROM client_month_sales")
    await recompute_months(
        session, "SELECT DISTINCT client_id, date_trunc('month', day::timestamp)::date AS month FROM sales_lines"
    )
