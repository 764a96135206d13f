"""The registry screen's list: its rows filtered, sorted and paged in SQL, the totals of the whole registry in one
aggregate statement, and the columns of its CSV/XLSX export (every row of the filter)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from operator import attrgetter
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import contains_eager

from crm.features.tariffs.models import RegistryRecord, Telegram, TelegramClient
from crm.features.tariffs.registries import AMOUNTS
from crm.lib.exports import ExportColumn
from crm.lib.lists import ListQuery, Sort, contains

SHOW_FILTERS = ("unassigned", "flagged", "manual")
RECORD_SORTS: dict[str, Any] = {
    "time": Telegram.inp_gate_date,
    "client": Sort(TelegramClient.code, nullable=True),  # outer-joined: NULL for a row without a client
    "words": RegistryRecord.words,
    "total": RegistryRecord.total,
}


def _flagged() -> Any:
    return or_(func.jsonb_array_length(RegistryRecord.warnings) > 0, RegistryRecord.error != "")


def records_list(registry_id: int, q: str = "", show: str = "") -> ListQuery:
    """A registry's rows as a list (page, export): ``records_query`` sorted by ``RECORD_SORTS``, newest last."""
    return ListQuery(records_query(registry_id, q, show), RECORD_SORTS, default="time", tiebreak=RegistryRecord.id)


def records_query(registry_id: int, q: str = "", show: str = "") -> Select[Any]:
    """The registry's rows with their telegram and client in one statement (no lazy loads per row), filtered by
    a search (address, telegram name, header, client code or name) and a "show" filter (unassigned, flagged,
    manual). Sorted and paged as ``records_list``."""
    stmt = (
        select(RegistryRecord)
        .join(Telegram, Telegram.id == RegistryRecord.telegram_id)
        .outerjoin(TelegramClient, TelegramClient.id == RegistryRecord.client_id)
        .options(contains_eager(RegistryRecord.telegram), contains_eager(RegistryRecord.client))
        .where(RegistryRecord.registry_id == registry_id)
    )
    text = " ".join(q.split())
    if text:
        like = contains(text)
        stmt = stmt.where(
            or_(
                Telegram.address.ilike(like),
                Telegram.un_name.ilike(like),
                Telegram.pp.ilike(like),
                TelegramClient.code.ilike(like),
                TelegramClient.short_name.ilike(like),
            )
        )
    if show == "unassigned":
        stmt = stmt.where(RegistryRecord.client_id.is_(None))
    elif show == "flagged":
        stmt = stmt.where(_flagged())
    elif show == "manual":
        stmt = stmt.where(RegistryRecord.manual.is_(True))
    return stmt


@dataclass(frozen=True)
class RegistryTotals:
    """Figures of the whole registry, whatever page or filter the screen shows."""

    count: int
    total: Decimal
    vat: Decimal
    total_with_vat: Decimal
    unassigned: int
    flagged: int
    manual: int


async def totals_of(session: AsyncSession, registry_id: int) -> RegistryTotals:
    """Counts and sums of every row of the registry in one aggregate statement."""
    zero = Decimal("0.00")
    row = (
        await session.execute(
            select(
                func.count(),
                func.coalesce(func.sum(RegistryRecord.total), zero),
                func.coalesce(func.sum(RegistryRecord.vat), zero),
                func.coalesce(func.sum(RegistryRecord.total_with_vat), zero),
                func.count().filter(RegistryRecord.client_id.is_(None)),
                func.count().filter(_flagged()),
                func.count().filter(RegistryRecord.manual.is_(True)),
            ).where(RegistryRecord.registry_id == registry_id)
        )
    ).one()
    return RegistryTotals(*row)


def _amount(name: str) -> Callable[[RegistryRecord], Any]:
    return lambda r: getattr(r, name)


EXPORT = [
    ExportColumn("un_name", lambda r: r.telegram.un_name),
    ExportColumn("inp_gate_date", lambda r: r.telegram.inp_gate_date),
    ExportColumn("inp_chan", lambda r: r.telegram.inp_chan),
    ExportColumn("inp_num", lambda r: r.telegram.inp_num),
    ExportColumn("address", lambda r: r.telegram.address),
    ExportColumn("client_code", lambda r: r.client.code if r.client else ""),
    ExportColumn("client", lambda r: r.client.short_name if r.client else ""),
    ExportColumn("country", lambda r: r.country.name if r.country else "Россия"),
    ExportColumn("category", attrgetter("category")),
    ExportColumn("notification", attrgetter("notification")),
    ExportColumn("blank", attrgetter("blank")),
    ExportColumn("deliver_on_date", attrgetter("deliver_on_date")),
    ExportColumn("paid_reply", attrgetter("paid_reply")),
    ExportColumn("words", attrgetter("words")),
    ExportColumn("manual", attrgetter("manual")),
    *(ExportColumn(name, _amount(name)) for name in AMOUNTS),
    ExportColumn("warnings", lambda r: " ".join(r.warnings)),
    ExportColumn("error", attrgetter("error")),
]
