"""ERP clients, sales lines and the monthly revenue aggregate maintained on import."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from crm.lib.db import BigIntAuditBase, DefaultBase

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
    """One invoice line. Identified by (invoice, product, line number of the product within the invoice in the
    file): importing the same lines again updates them. A credit note is a line with a negative amount."""

    __tablename__ = "sales_lines"
    __table_args__ = (
        UniqueConstraint("invoice", "product", "line_no", name="uq_sales_lines_identity"),
        Index("ix_sales_lines_client_day", "client_id", "day"),
        Index("ix_sales_lines_day", "day"),
    )

    day: Mapped[date] = mapped_column(Date)
    invoice: Mapped[str] = mapped_column(Text)
    product: Mapped[str] = mapped_column(Text, default="", server_default="")
    line_no: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    client_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("erp_clients.id", ondelete="CASCADE"))
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

    client_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("erp_clients.id", ondelete="CASCADE"), primary_key=True
    )
    month: Mapped[date] = mapped_column(Date, primary_key=True)  # the first day of the month
    family: Mapped[str] = mapped_column(Text, primary_key=True)
    revenue: Mapped[Decimal] = mapped_column(MONEY)
    lines: Mapped[int] = mapped_column(Integer)
