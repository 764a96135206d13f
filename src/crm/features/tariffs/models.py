"""Telegram journal, tariffs, daily registries of paid telegrams, billing clients and detail sendings."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from advanced_alchemy.types import JsonB
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.lib.db import BigIntAuditBase

MONEY = Numeric(14, 2)
PRICE = Numeric(14, 4)


class Telegram(BigIntAuditBase):
    """One telegram of the telegraph journal, as the old tool's CSV has it."""

    __tablename__ = "telegrams"
    __table_args__ = (
        Index("ix_telegrams_inp_chan_prefix", "inp_chan", postgresql_ops={"inp_chan": "text_pattern_ops"}),
        Index("ix_telegrams_out_chan_prefix", "out_chan", postgresql_ops={"out_chan": "text_pattern_ops"}),
        Index("ix_telegrams_inp_gate_date", "inp_gate_date"),
    )

    un_name: Mapped[str] = mapped_column(String(64), unique=True)
    inp_gate_date: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    inp_chan: Mapped[str] = mapped_column(String(32), default="")
    inp_num: Mapped[int | None] = mapped_column(Integer)
    inp_prz: Mapped[str] = mapped_column(String(120), default="")
    ref: Mapped[str] = mapped_column(String(120), default="")
    kn: Mapped[str] = mapped_column(String(32), default="")
    categ: Mapped[str] = mapped_column(String(8), default="")
    fl_uved: Mapped[bool] = mapped_column(Boolean, default=False)
    fl_urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    pp: Mapped[str] = mapped_column(Text, default="")
    address: Mapped[str] = mapped_column(Text, default="")
    subscribe: Mapped[str] = mapped_column(Text, default="")
    out_gate_date: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    out_chan: Mapped[str] = mapped_column(String(32), default="")
    out_num: Mapped[int | None] = mapped_column(Integer)
    out_prz: Mapped[str] = mapped_column(String(120), default="")


class RussianTariff(BigIntAuditBase):
    """Prices for telegrams within Russia, in force on ``[valid_from, valid_to)``."""

    __tablename__ = "telegram_tariffs"
    __table_args__ = (
        CheckConstraint("valid_from < valid_to", name="interval"),
        ExcludeConstraint(
            (func.tstzrange(text("valid_from"), text("valid_to")), "&&"),
            name="ex_telegram_tariffs_no_overlap",
            using="gist",
        ),
    )

    valid_from: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    valid_to: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    delivery_ordinary: Mapped[Decimal] = mapped_column(PRICE)
    delivery_urgent: Mapped[Decimal] = mapped_column(PRICE)
    delivery_post: Mapped[Decimal] = mapped_column(PRICE)
    delivery_box: Mapped[Decimal] = mapped_column(PRICE)
    word_ordinary: Mapped[Decimal] = mapped_column(PRICE)
    word_urgent: Mapped[Decimal] = mapped_column(PRICE)
    notification_ordinary: Mapped[Decimal] = mapped_column(PRICE)
    notification_urgent: Mapped[Decimal] = mapped_column(PRICE)
    lux: Mapped[Decimal] = mapped_column(PRICE)
    lux_v: Mapped[Decimal] = mapped_column(PRICE)
    deliver_on_date: Mapped[Decimal] = mapped_column(PRICE)
    vat_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2))


class Country(BigIntAuditBase):
    """An ex-USSR destination and the kinds of telegram allowed there."""

    __tablename__ = "telegram_countries"

    name: Mapped[str] = mapped_column(String(80), unique=True)
    allow_post: Mapped[bool] = mapped_column(Boolean, default=False)
    allow_box: Mapped[bool] = mapped_column(Boolean, default=False)
    allow_notification_ordinary: Mapped[bool] = mapped_column(Boolean, default=False)
    allow_notification_urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    allow_lux: Mapped[bool] = mapped_column(Boolean, default=False)
    allow_lux_v: Mapped[bool] = mapped_column(Boolean, default=False)
    allow_deliver_on_date: Mapped[bool] = mapped_column(Boolean, default=False)


class CountryTariff(BigIntAuditBase):
    """A country's per-word prices on ``[valid_from, valid_to)``."""

    __tablename__ = "telegram_country_tariffs"
    __table_args__ = (
        CheckConstraint("valid_from < valid_to", name="interval"),
        Index("ix_telegram_country_tariffs_country_from", "country_id", "valid_from"),
    )

    country_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("telegram_countries.id", ondelete="CASCADE"))
    valid_from: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    valid_to: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    word_ordinary: Mapped[Decimal] = mapped_column(PRICE)
    word_urgent: Mapped[Decimal] = mapped_column(PRICE)

    country: Mapped[Country] = relationship(lazy="joined")


class TelegramClient(BigIntAuditBase):
    """An organisation that sends paid telegrams through the office and is billed for them."""

    __tablename__ = "telegram_clients"

    code: Mapped[str] = mapped_column(String(20), unique=True)
    short_name: Mapped[str] = mapped_column(String(120))
    full_name: Mapped[str] = mapped_column(String(400), default="")
    inn: Mapped[str] = mapped_column(String(12), default="")
    email: Mapped[str] = mapped_column(String(255), default="")


class Registry(BigIntAuditBase):
    """The daily registry of one operator's paid telegrams: draft → formed → closed (billed)."""

    __tablename__ = "telegram_registries"
    __table_args__ = (
        UniqueConstraint("operator_id", "day", name="uq_telegram_registries_operator_day"),
        CheckConstraint("status IN ('draft', 'formed', 'closed')", name="status"),
        Index("ix_telegram_registries_day", "day"),
    )

    operator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    day: Mapped[date] = mapped_column(Date)
    office: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10), default="draft")
    signed_by: Mapped[str] = mapped_column(String(120), default="")
    formed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    operator = relationship("User", lazy="joined")


class RegistryRecord(BigIntAuditBase):
    """A paid telegram in a registry: its client, tariff parameters and the amounts billed."""

    __tablename__ = "telegram_registry_records"
    __table_args__ = (
        UniqueConstraint("telegram_id", name="uq_telegram_registry_records_telegram"),
        CheckConstraint("words >= 0", name="words"),
    )

    registry_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("telegram_registries.id", ondelete="CASCADE"), index=True
    )
    telegram_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("telegrams.id", ondelete="RESTRICT"))
    client_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("telegram_clients.id", ondelete="RESTRICT"), index=True
    )
    country_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("telegram_countries.id", ondelete="RESTRICT"))
    category: Mapped[str] = mapped_column(String(10), default="ordinary")
    notification: Mapped[str] = mapped_column(String(10), default="none")
    blank: Mapped[str] = mapped_column(String(10), default="none")
    deliver_on_date: Mapped[bool] = mapped_column(Boolean, default=False)
    paid_reply: Mapped[bool] = mapped_column(Boolean, default=False)
    words: Mapped[int] = mapped_column(Integer, default=0)
    manual: Mapped[bool] = mapped_column(Boolean, default=False)
    delivery_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    words_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    notification_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    blank_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    deliver_on_date_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    paid_reply_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    total: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    vat: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    total_with_vat: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    warnings: Mapped[list[str]] = mapped_column(JsonB, default=list)
    error: Mapped[str] = mapped_column(String(300), default="")

    telegram: Mapped[Telegram] = relationship(lazy="joined")
    client: Mapped[TelegramClient | None] = relationship(lazy="joined")
    country: Mapped[Country | None] = relationship(lazy="joined")


class DetailSending(BigIntAuditBase):
    """One emailing of a client's monthly detail sheet: queued, then sent or failed with the reason."""

    __tablename__ = "telegram_detail_sendings"
    __table_args__ = (Index("ix_telegram_detail_sendings_client_month", "client_id", "month"),)

    client_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("telegram_clients.id", ondelete="CASCADE"))
    month: Mapped[date] = mapped_column(Date)
    email: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(10), default="queued")
    message: Mapped[str] = mapped_column(String(500), default="")
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class JournalUpload(BigIntAuditBase):
    """A journal file uploaded on the screen, imported by the worker; the outcome is shown on the screen."""

    __tablename__ = "telegram_journal_uploads"

    filename: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    summary: Mapped[dict[str, Any]] = mapped_column(JsonB, default=dict)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
