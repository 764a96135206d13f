"""The operator's day: the office's paid telegrams of a day and adding them to the day's draft registry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts.models import User
from crm.features.accounts.services import record as audit
from crm.features.tariffs.journal import _like_prefix
from crm.features.tariffs.models import Registry, RegistryRecord, Telegram
from crm.features.tariffs.registries import DRAFT, RegistryError, auto_row, lock_draft
from crm.features.tariffs.tariffs import load_book, local_midnight
from crm.lib.i18n import N_


@dataclass
class DayTelegram:
    telegram: Telegram
    registry_id: int | None
    mine: bool


async def office_day(session: AsyncSession, user: User, day: date) -> list[DayTelegram]:
    """The office's telegrams of the day (by the operator's channel prefix), marked if already registered."""
    if not user.telegraph_prefix:
        return []
    start = local_midnight(day)
    rows = await session.execute(
        select(Telegram, RegistryRecord.registry_id, Registry.operator_id)
        .outerjoin(RegistryRecord, RegistryRecord.telegram_id == Telegram.id)
        .outerjoin(Registry, Registry.id == RegistryRecord.registry_id)
        .where(
            Telegram.inp_chan.like(_like_prefix(user.telegraph_prefix)),
            Telegram.inp_gate_date >= start,
            Telegram.inp_gate_date < local_midnight(day + timedelta(days=1)),
        )
        .order_by(Telegram.inp_gate_date, Telegram.id)
    )
    return [DayTelegram(t, reg_id, op_id == user.id) for t, reg_id, op_id in rows.all()]


async def day_registry(session: AsyncSession, user: User, day: date) -> Registry | None:
    return await session.scalar(select(Registry).where(Registry.operator_id == user.id, Registry.day == day))


async def add_telegrams(session: AsyncSession, user: User, day: date, telegram_ids: list[int]) -> tuple[Registry, int]:
    """Put the ticked telegrams of the office's day into the operator's registry (created on first add)."""
    if not user.telegraph_prefix:
        raise RegistryError(N_("Your account has no telegraph office (channel prefix); ask an administrator."))
    if not telegram_ids:
        raise RegistryError(N_("Tick the paid telegrams to add first; nothing was added."))
    wanted = {d.telegram.id: d for d in await office_day(session, user, day) if d.registry_id is None}
    if not any(i in wanted for i in telegram_ids) and await day_registry(session, user, day) is None:
        # Never an empty draft: the ticked telegrams are all in a registry already or not of the office's day.
        raise RegistryError(N_("None of the ticked telegrams can be added: they are in a registry already."))
    await session.execute(
        insert(Registry)
        .values(
            operator_id=user.id,
            day=day,
            office=user.telegraph_prefix,
            status=DRAFT,
            created_at=func.now(),
            updated_at=func.now(),
        )
        .on_conflict_do_nothing(index_elements=[Registry.operator_id, Registry.day])
    )
    registry_id = await session.scalar(select(Registry.id).where(Registry.operator_id == user.id, Registry.day == day))
    registry = await lock_draft(session, user, int(registry_id or 0))
    chosen = [wanted[i].telegram for i in dict.fromkeys(telegram_ids) if i in wanted]
    if not chosen:
        return registry, 0
    book = await load_book(session)
    values = []
    for telegram in chosen:
        row = RegistryRecord(registry_id=registry.id, telegram_id=telegram.id)
        auto_row(row, telegram, book)
        values.append(
            {
                c.key: getattr(row, c.key)
                for c in RegistryRecord.__table__.columns
                if c.key not in {"id", "created_at", "updated_at"}
            }
            | {"country_id": None}
        )
    added = 0
    for start in range(0, len(values), 500):  # PostgreSQL takes at most 32,767 parameters a statement
        result = await session.execute(
            insert(RegistryRecord)
            .values(values[start : start + 500])
            .on_conflict_do_nothing(index_elements=[RegistryRecord.telegram_id])
            .returning(RegistryRecord.id)
        )
        added += len(result.all())
    if added:
        await audit(
            session,
            user,
            "telegram_registry",
            str(registry.id),
            "add",
            {"records": [None, added]},
            summary=f"{registry.day} {registry.office}",
        )
    return registry, added
