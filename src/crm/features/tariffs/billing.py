"""Billing figures: per client per month from closed registries, and the lines of a client's detail sheet."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts.models import AuditEntry, User
from crm.features.tariffs.journal import _like_prefix
from crm.features.tariffs.models import DetailSending, Registry, RegistryRecord, Telegram, TelegramClient
from crm.features.tariffs.registries import in_month_closed, month_bounds
from crm.features.tariffs.tariffs import local_midnight
from crm.lib.i18n import local_tz


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


# --------------------------------------------------------------------------- the month's registries


@dataclass
class Billed:
    by: str
    at: datetime


async def billed_by(session: AsyncSession, registries: list[Registry]) -> dict[int, Billed]:
    """Who billed each closed registry and when: the last "bill" of its audit trail."""
    closed = {str(r.id): r for r in registries if r.status == "closed"}
    if not closed:
        return {}
    stmt = (
        select(AuditEntry.entity_id, AuditEntry.created_at, func.coalesce(func.nullif(User.name, ""), User.email))
        .outerjoin(User, User.id == AuditEntry.actor_id)
        .where(
            AuditEntry.entity == "telegram_registry",
            AuditEntry.action == "bill",
            AuditEntry.entity_id.in_(list(closed)),
        )
        .order_by(AuditEntry.created_at, AuditEntry.id)
    )
    found = {int(entity_id): Billed(name or "", at) for entity_id, at, name in (await session.execute(stmt)).all()}
    for key, registry in closed.items():  # a registry closed without an audit entry (imported) still says when
        if int(key) not in found and registry.closed_at:
            found[int(key)] = Billed("", registry.closed_at)
    return found


@dataclass
class OfficeGaps:
    office: str
    days: list[tuple[date, int]]  # a day with telegrams but no registry, and how many telegrams it has


async def days_without_registry(session: AsyncSession, user: User, month: date) -> list[OfficeGaps]:
    """Per office (an operator's channel prefix): the month's days whose telegrams are in no registry of that
    office at all (any status). Billing staff see every office; an operator sees their own."""
    if user.can("billing.manage"):
        offices: list[str] = sorted(
            set(
                (
                    await session.scalars(
                        select(func.coalesce(User.telegraph_prefix, "")).where(
                            User.telegraph_prefix.is_not(None), User.telegraph_prefix != ""
                        )
                    )
                ).all()
            )
        )
    else:
        offices = [user.telegraph_prefix] if user.telegraph_prefix else []
    first, after = month_bounds(month)
    zone = local_tz().key
    local_day = func.date(func.timezone(zone, Telegram.inp_gate_date))
    out = []
    for office in offices:
        counted = (
            select(local_day, func.count())
            .where(
                Telegram.inp_chan.like(_like_prefix(office)),
                Telegram.inp_gate_date >= local_midnight(first),
                Telegram.inp_gate_date < local_midnight(after),
                ~select(Registry.id).where(Registry.office == office, Registry.day == local_day).exists(),
            )
            .group_by(local_day)
            .order_by(local_day)
        )
        days = [(day, n) for day, n in (await session.execute(counted)).all()]
        if days:
            out.append(OfficeGaps(office, days))
    return out
