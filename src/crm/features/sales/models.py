"""ERP clients, sales lines and the monthly revenue aggregate maintained on import."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from crm.lib.db import BigIntAuditBase, DefaultBase, create_with

MONEY = Numeric(16, 2)


class ErpClient(BigIntAuditBase):
    """A customer as the ERP knows it. Matched on import by code, then INN, then name (``name_key``: lower case,
    spaces collapsed); one created by an import is flagged ``is_new`` until someone reviews it."""

    __tablename__ = "erp_clients"
    __table_args__ = (
        Index("ix_erp_clients_code", "code", unique=True, postgresql_where=text("code <> ''")),
        Index("ix_erp_clients_inn", "inn", postgresql_where=text("inn <> ''")),
        Index("ix_erp_clients_name_key", "name_key"),
        Index("ix_erp_clients_responsible", "responsible_id"),
    )

    code: Mapped[str] = mapped_column(Text, default="", server_default="")
    inn: Mapped[str] = mapped_column(Text, default="", server_default="")
    name: Mapped[str] = mapped_column(Text)
    name_key: Mapped[str] = mapped_column(Text)
    is_new: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    responsible_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"))


class SalesLine(BigIntAuditBase):
    """One invoice line. Identified by (invoice, product, line number): the line number is the ordinal of the row
    within its invoice in the file (1, 2, 3 … counting every row of that invoice), so importing the same file again
    updates the lines instead of adding them. A credit note is a line with a negative amount."""

    __tablename__ = "sales_lines"
    __table_args__ = (
        UniqueConstraint("invoice", "product", "line_no", name="uq_sales_lines_identity"),
        Index("ix_sales_lines_client_day", "client_id", "day"),
        Index("ix_sales_lines_day", "day"),
        # a person's clients "sold to": read from the index alone (services.client_scope)
        Index("ix_sales_lines_salesperson_client", "salesperson_id", "client_id"),
    )

    day: Mapped[date] = mapped_column(Date)
    invoice: Mapped[str] = mapped_column(Text)
    product: Mapped[str] = mapped_column(Text, default="", server_default="")
    line_no: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    client_id: Mapped[int] = mapped_column(BigInteger)  # an ERP client: see CLIENT_CASCADE
    family: Mapped[str] = mapped_column(Text, default="", server_default="")
    quantity: Mapped[Decimal] = mapped_column(Numeric(16, 3), default=0, server_default="0")
    amount: Mapped[Decimal] = mapped_column(MONEY)
    salesperson: Mapped[str] = mapped_column(Text, default="", server_default="")
    salesperson_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"))
    import_id: Mapped[int | None] = mapped_column(BigInteger)


class ClientMonthSales(DefaultBase):
    """Revenue of a client in a calendar month for one product family (``family`` '' when the line had none),
    recomputed for the touched (client, month) pairs by every import, never per request."""

    __tablename__ = "client_month_sales"
    __table_args__ = (Index("ix_client_month_sales_month", "month", "family"),)

    client_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # an ERP client: see CLIENT_CASCADE
    month: Mapped[date] = mapped_column(Date, primary_key=True)  # the first day of the month
    family: Mapped[str] = mapped_column(Text, primary_key=True)
    revenue: Mapped[Decimal] = mapped_column(MONEY)
    lines: Mapped[int] = mapped_column(Integer)


class SalesImport(BigIntAuditBase):
    """One import of an ERP file (upload, mail, command line or API): who, what, when and its outcome."""

    __tablename__ = "sales_imports"
    __table_args__ = (Index("ix_sales_imports_created", "created_at"),)

    actor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(Text)  # upload | mail | cli | api
    file_name: Mapped[str] = mapped_column(Text, default="", server_default="")
    profile: Mapped[str] = mapped_column(Text, default="", server_default="")
    sender: Mapped[str] = mapped_column(Text, default="", server_default="")
    mapping: Mapped[dict[str, Any] | None] = mapped_column(JSONB)  # field → column index chosen on the preview
    status: Mapped[str] = mapped_column(Text, default="queued", server_default="queued")
    rows_read: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    imported: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    updated: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    rejected: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    error: Mapped[str] = mapped_column(Text, default="", server_default="")
    error_args: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SalesImportFile(DefaultBase):
    """The uploaded file waiting for the worker; dropped once the import has finished."""

    __tablename__ = "sales_import_files"

    import_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("sales_imports.id", ondelete="CASCADE"), primary_key=True
    )
    content: Mapped[bytes] = mapped_column(LargeBinary)


class SalesImportReject(BigIntAuditBase):
    """A rejected row of an import (the first ones only; the import counts all of them)."""

    __tablename__ = "sales_import_rejects"
    __table_args__ = (Index("ix_sales_import_rejects_import", "import_id", "row_no"),)

    import_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("sales_imports.id", ondelete="CASCADE"))
    row_no: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)  # a code of crm.features.sales.rows.REASONS
    value: Mapped[str] = mapped_column(Text, default="", server_default="")
    row: Mapped[list[str]] = mapped_column(JSONB)


class MappingProfile(BigIntAuditBase):
    """A saved column mapping: an upload profile's name, or a mail sender's address."""

    __tablename__ = "sales_mapping_profiles"
    __table_args__ = (UniqueConstraint("name", name="uq_sales_mapping_profiles_name"),)

    name: Mapped[str] = mapped_column(Text)
    mapping: Mapped[dict[str, str]] = mapped_column(JSONB)  # field → the header's key (lower case, no spaces)


class MailboxSettings(BigIntAuditBase):
    """The one mailbox the ERP sends its files to, and the state of its last check."""

    __tablename__ = "sales_mailbox"

    host: Mapped[str] = mapped_column(Text, default="", server_default="")
    port: Mapped[int] = mapped_column(Integer, default=993, server_default="993")
    tls: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    verify_certificate: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    username: Mapped[str] = mapped_column(Text, default="", server_default="")
    password_sealed: Mapped[str] = mapped_column(Text, default="", server_default="")
    folder: Mapped[str] = mapped_column(Text, default="INBOX", server_default="INBOX")
    allowed_senders: Mapped[str] = mapped_column(Text, default="", server_default="")
    processed_folder: Mapped[str] = mapped_column(Text, default="Processed", server_default="Processed")
    failed_folder: Mapped[str] = mapped_column(Text, default="Failed", server_default="Failed")
    enabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    last_check_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_state: Mapped[str] = mapped_column(Text, default="", server_default="")  # "" | ok | error
    last_error: Mapped[str] = mapped_column(Text, default="", server_default="")


class MailboxMessage(BigIntAuditBase):
    """An attachment of a message already imported (Message-ID and the file's SHA-256): written in the import's
    own transaction, so a job run twice or crashed midway imports it once."""

    __tablename__ = "sales_mailbox_messages"
    __table_args__ = (UniqueConstraint("message_id", "sha256", name="uq_sales_mailbox_messages_identity"),)

    message_id: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(Text)
    import_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("sales_imports.id", ondelete="SET NULL"))


# The lines and the monthly revenue of an ERP client go with it. Not foreign keys: a per-row check of the client on
# each of a million lines (and of ~800,000 monthly rows) cost an import of a 1,000,000-row file ~10-25 s; the import
# locks the clients it writes for set-wise instead (pipeline.lock_clients), and a deleted client's rows are deleted
# by one statement trigger. Created with the tables (tests) and by migration 0027.
CLIENT_CASCADE = [
    """CREATE OR REPLACE FUNCTION erp_clients_cascade() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM sales_lines WHERE client_id = ANY (ARRAY(SELECT id FROM erp_clients_gone));
  DELETE FROM client_month_sales WHERE client_id = ANY (ARRAY(SELECT id FROM erp_clients_gone));
  RETURN NULL;
END $$""",
    "CREATE OR REPLACE TRIGGER erp_clients_cascade AFTER DELETE ON erp_clients REFERENCING OLD TABLE AS "
    "erp_clients_gone FOR EACH STATEMENT EXECUTE FUNCTION erp_clients_cascade()",
]


create_with("sales_lines", CLIENT_CASCADE)
