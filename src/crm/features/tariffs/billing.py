"""Billing figures: per client per month from closed registries, and the lines of a client's detail sheet."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.tariffs.models import DetailSending, Registry, RegistryRecord, Telegram, TelegramClient
from crm.features.tariffs.registries import in_month_closed


@dataclass
class ClientTotal:
    client: TelegramClient
    telegrams: int
    total: Decimal
    vat: Decimal
    total_with_vat: Decimal
    last_sending: DetailSending | None = None


async def month_clients(session: AsyncSession, month: date) -> list[ClientTotal]:
    """Clients billed in the month (closed registries only) with their totals."""
    stmt = (
        select(
            TelegramClient,
            func.count(RegistryRecord.id),
            func.sum(RegistryRecord.total),
            func.sum(RegistryRecord.vat),
            func.sum(RegistryRecord.total_with_vat),
        )
        .join(RegistryRecord, RegistryRecord.client_id == TelegramClient.id)
        .join(Registry, Registry.id == RegistryRecord.registry_id)
        .where(in_month_closed(month))
        .group_by(TelegramClient.id)
        .order_by(TelegramClient.code)
    )
    result = [ClientTotal(c, n, t, v, tv) for c, n, t, v, tv in (await session.execute(stmt)).all()]
    first = month.replace(day=1)
    sendings = (
        await session.scalars(select(DetailSending).where(DetailSending.month == first).order_by(DetailSending.id))
    ).all()
    last = {s.client_id: s for s in sendings}
    for item in result:
        item.last_sending = last.get(item.client.id)
    return result


@dataclass
class Detail:
    client: TelegramClient
    month: date
    rows: list[RegistryRecord]

    @property
    def total(self) -> Decimal:
        return sum((r.total for r in self.rows), Decimal(0))

    @property
    def vat(self) -> Decimal:
        return sum((r.vat for r in self.rows), Decimal(0))

    @property
    def total_with_vat(self) -> Decimal:
        return sum((r.total_with_vat for r in self.rows), Decimal(0))


async def client_detail(session: AsyncSession, client_id: int, month: date) -> Detail | None:
    client = await session.get(TelegramClient, client_id)
    if client is None:
        return None
    stmt = (
        select(RegistryRecord)
        .join(Registry, Registry.id == RegistryRecord.registry_id)
        .join(Telegram, Telegram.id == RegistryRecord.telegram_id)
        .where(RegistryRecord.client_id == client_id, in_month_closed(month))
        .order_by(Telegram.inp_gate_date, RegistryRecord.id)
    )
    return Detail(client, month.replace(day=1), list((await session.scalars(stmt)).unique().all()))


async def sendings(session: AsyncSession, client_id: int, month: date) -> list[DetailSending]:
    stmt = (
        select(DetailSending)
        .where(DetailSending.client_id == client_id, DetailSending.month == month.replace(day=1))
        .order_by(DetailSending.id.desc())
    )
    return list((await session.scalars(stmt)).all())
