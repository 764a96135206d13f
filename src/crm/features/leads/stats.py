"""Distribution statistics: per source and operator, the actual share of contacts against the share the
weights give. Read from the daily counts (kept per transaction, see ``queue.reconcile``), so any period of a
million contacts costs a few thousand rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.leads import desk, desk_sources
from crm.features.leads.models import LeadContact, LeadDailyCount


@dataclass
class ShareRow:
    source_id: int
    source_name: str
    operator_id: int | None
    operator_name: str
    weight: int
    contacts: int
    share: float
    expected_share: float | None


@dataclass
class SourceTotal:
    source_id: int
    source_name: str
    contacts: int
    unassigned: int
    total_weight: int


async def distribution_stats(
    session: AsyncSession, day_from: date, day_to: date, start: datetime, end: datetime
) -> tuple[list[ShareRow], list[SourceTotal]]:
    """Per source and operator, contacts received on days [from, to] (``start``/``end``: the same period as
    instants): their share of the source, and the share the current weights lead one to expect. Operators with
    a weight but no contacts are listed too (share 0). Given contacts come from the daily counts; the few never
    given to anyone from a partial index of the contacts."""
    by_pair = await _contacts_by_pair(session, day_from, day_to, start, end)
    sources = await desk_sources.list_sources(session)
    operators = {op.id: op for op in await desk.list_operators(session)}
    rows: list[ShareRow] = []
    totals: list[SourceTotal] = []
    for source in sources:
        source_rows, total = _source_shares(source, by_pair, operators)
        rows += source_rows
        totals.append(total)
    return rows, totals


async def _contacts_by_pair(
    session: AsyncSession, day_from: date, day_to: date, start: datetime, end: datetime
) -> dict[tuple[int, int | None], int]:
    """Contacts of the period per (source, operator); those given to no one under the operator ``None``."""
    given = (
        await session.execute(
            select(LeadDailyCount.source_id, LeadDailyCount.operator_id, func.sum(LeadDailyCount.contacts))
            .where(LeadDailyCount.day >= day_from, LeadDailyCount.day <= day_to)
            .group_by(LeadDailyCount.source_id, LeadDailyCount.operator_id)
        )
    ).all()
    never_given = (
        await session.execute(
            select(LeadContact.source_id, func.count())
            .where(LeadContact.operator_id.is_(None), LeadContact.created_at >= start, LeadContact.created_at < end)
            .group_by(LeadContact.source_id)
        )
    ).all()
    by_pair: dict[tuple[int, int | None], int] = {(int(s), int(o)): int(n) for s, o, n in given}
    by_pair.update({(int(s), None): int(n) for s, n in never_given})
    return by_pair


def _source_shares(
    source: desk_sources.SourceView, by_pair: dict[tuple[int, int | None], int], operators: dict[int, desk.OperatorView]
) -> tuple[list[ShareRow], SourceTotal]:
    """One source's rows (each operator with a weight or contacts, by name, then the contacts given to no one)
    and its total."""
    rows: list[ShareRow] = []
    total = sum(n for (s, _o), n in by_pair.items() if s == source.id)
    weights = {op: w for op, w in source.weights.items() if w > 0}
    weight_sum = sum(weights.values())
    operator_ids = sorted(
        set(weights) | {o for (s, o) in by_pair if s == source.id and o is not None},
        key=lambda o: operators[o].label.lower() if o in operators else str(o),
    )
    for op in operator_ids:
        n = by_pair.get((source.id, op), 0)
        rows.append(
            ShareRow(
                source_id=source.id,
                source_name=source.name,
                operator_id=op,
                operator_name=operators[op].label if op in operators else f"#{op}",
                weight=weights.get(op, 0),
                contacts=n,
                share=(n / total) if total else 0.0,
                expected_share=(weights.get(op, 0) / weight_sum) if weight_sum else None,
            )
        )
    unassigned = by_pair.get((source.id, None), 0)
    if unassigned:
        rows.append(
            ShareRow(
                source_id=source.id,
                source_name=source.name,
                operator_id=None,
                operator_name="",
                weight=0,
                contacts=unassigned,
                share=unassigned / total if total else 0.0,
                expected_share=None,
            )
        )
    total_row = SourceTotal(
        source_id=source.id,
        source_name=source.name,
        contacts=total,
        unassigned=unassigned,
        total_weight=weight_sum,
    )
    return rows, total_row
