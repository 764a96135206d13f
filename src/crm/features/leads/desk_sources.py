"""The lead desk's sources: their intake keys, the operators competent for each and their weights."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts import services as accounts
from crm.features.accounts.models import User
from crm.features.leads.desk import INTAKE_KEY_PREFIX, MAX_WEIGHT, DeskError
from crm.features.leads.models import CONTACT_OPEN, LeadCompetence, LeadContact, LeadOperator, LeadSource
from crm.lib import security
from crm.lib.i18n import N_


@dataclass
class SourceView:
    id: int
    name: str
    is_active: bool
    intake_key_prefix: str
    weights: dict[int, int]
    open_contacts: int = 0
    unassigned: int = 0

    @property
    def total_weight(self) -> int:
        return sum(w for w in self.weights.values() if w > 0)

    @property
    def staffed(self) -> bool:
        return self.total_weight > 0


async def list_sources(session: AsyncSession, source_ids: Sequence[int] | None = None) -> list[SourceView]:
    stmt = select(LeadSource).order_by(func.lower(LeadSource.name))
    if source_ids is not None:
        stmt = stmt.where(LeadSource.id.in_(list(source_ids)))
    sources = (await session.scalars(stmt)).all()
    ids = [s.id for s in sources]
    weights: dict[int, dict[int, int]] = {}
    unassigned: dict[int, int] = {}
    if ids:
        for c in (await session.scalars(select(LeadCompetence).where(LeadCompetence.source_id.in_(ids)))).all():
            weights.setdefault(c.source_id, {})[c.operator_id] = c.weight
        unassigned = {
            int(s): int(n)
            for s, n in (
                await session.execute(
                    select(LeadContact.source_id, func.count())
                    .where(
                        LeadContact.status == CONTACT_OPEN,
                        LeadContact.operator_id.is_(None),
                        LeadContact.source_id.in_(ids),
                    )
                    .group_by(LeadContact.source_id)
                )
            ).all()
        }
    return [
        SourceView(
            id=s.id,
            name=s.name,
            is_active=s.is_active,
            intake_key_prefix=s.intake_key_prefix,
            weights=weights.get(s.id, {}),
            unassigned=unassigned.get(s.id, 0),
        )
        for s in sources
    ]


async def get_source(session: AsyncSession, source_id: int) -> SourceView | None:
    found = await list_sources(session, [source_id])
    return found[0] if found else None


def _new_key() -> tuple[str, str, str]:
    raw = security.new_opaque_token(INTAKE_KEY_PREFIX)
    return raw, security.token_digest(raw), raw[:12]


async def _check_name(session: AsyncSession, name: str, except_id: int | None = None) -> str:
    name = name.strip()
    if not name or len(name) > 120:
        raise DeskError("name", N_("The name is 1 to 120 characters."))
    stmt = select(LeadSource.id).where(func.lower(LeadSource.name) == name.lower())
    if except_id is not None:
        stmt = stmt.where(LeadSource.id != except_id)
    if await session.scalar(stmt) is not None:
        raise DeskError("name", N_("A source with this name already exists."))
    return name


async def create_source(session: AsyncSession, name: str, actor: User | None) -> tuple[LeadSource, str]:
    """A new source and its intake key; the key is returned once and only its hash is kept."""
    name = await _check_name(session, name)
    raw, digest, prefix = _new_key()
    source = LeadSource(name=name, intake_key_hash=digest, intake_key_prefix=prefix, is_active=True)
    session.add(source)
    await session.flush()
    await accounts.record(session, actor, "lead_source", str(source.id), "create", {"name": [None, name]}, summary=name)
    return source, raw


async def rotate_intake_key(session: AsyncSession, source_id: int, actor: User | None) -> str:
    """A new key for the source: the old one stops working at once."""
    source = await session.get(LeadSource, source_id)
    if source is None:
        raise LookupError(source_id)
    raw, digest, prefix = _new_key()
    source.intake_key_hash, source.intake_key_prefix = digest, prefix
    source.key_rotated_at = security.utcnow()
    await accounts.record(session, actor, "lead_source", str(source.id), "rotate_key", {}, summary=source.name)
    return raw


async def update_source(session: AsyncSession, source_id: int, actor: User | None, **values: Any) -> LeadSource:
    source = await session.get(LeadSource, source_id)
    if source is None:
        raise LookupError(source_id)
    changes: dict[str, list[Any]] = {}
    if values.get("name") is not None:
        name = await _check_name(session, values["name"], except_id=source.id)
        if name != source.name:
            changes["name"] = [source.name, name]
            source.name = name
    if values.get("is_active") is not None and bool(values["is_active"]) != source.is_active:
        changes["is_active"] = [source.is_active, bool(values["is_active"])]
        source.is_active = bool(values["is_active"])
    if changes:
        await accounts.record(session, actor, "lead_source", str(source.id), "update", changes, summary=source.name)
    return source


async def _check_operators(session: AsyncSession, operator_ids: Iterable[int]) -> None:
    wanted = set(operator_ids)
    if not wanted:
        return
    known = set((await session.scalars(select(LeadOperator.id).where(LeadOperator.id.in_(wanted)))).all())
    unknown = sorted(wanted - known)
    if unknown:
        raise DeskError("operator_id", N_("Unknown operator: %(ids)s."), ids=", ".join(map(str, unknown)))


def _check_weight(weight: int) -> None:
    if not 0 <= weight <= MAX_WEIGHT:
        raise DeskError("weight", N_("A weight is a whole number from 0 to 1000000."))


async def replace_competences(
    session: AsyncSession, source_id: int, weights: Sequence[tuple[int, int]], actor: User | None
) -> dict[int, int]:
    """The source's weights become exactly ``weights`` (operator → weight); others are removed."""
    source = await session.get(LeadSource, source_id)
    if source is None:
        raise LookupError(source_id)
    wanted: dict[int, int] = {}
    for operator_id, weight in weights:
        _check_weight(weight)
        if operator_id in wanted:
            raise DeskError("operator_id", N_("Operator %(id)s is listed twice."), id=operator_id)
        wanted[operator_id] = weight
    await _check_operators(session, wanted)
    before = {
        c.operator_id: c.weight
        for c in (await session.scalars(select(LeadCompetence).where(LeadCompetence.source_id == source_id))).all()
    }
    await session.execute(delete(LeadCompetence).where(LeadCompetence.source_id == source_id))
    if wanted:
        await session.execute(
            pg_insert(LeadCompetence).values(
                [{"source_id": source_id, "operator_id": op, "weight": w} for op, w in wanted.items()]
            )
        )
    if before != wanted:
        await accounts.record(
            session,
            actor,
            "lead_source",
            str(source_id),
            "weights",
            {
                str(op): [before.get(op), wanted.get(op)]
                for op in sorted(set(before) | set(wanted))
                if before.get(op) != wanted.get(op)
            },
            summary=source.name,
        )
    return wanted


async def set_weight(
    session: AsyncSession, source_id: int, operator_id: int, weight: int, actor: User | None
) -> int | None:
    """One cell of the weights matrix; returns the previous weight."""
    _check_weight(weight)
    source = await session.get(LeadSource, source_id)
    if source is None:
        raise LookupError(source_id)
    await _check_operators(session, [operator_id])
    before = await session.scalar(
        select(LeadCompetence.weight).where(
            LeadCompetence.source_id == source_id, LeadCompetence.operator_id == operator_id
        )
    )
    stmt = pg_insert(LeadCompetence).values(source_id=source_id, operator_id=operator_id, weight=weight)
    await session.execute(
        stmt.on_conflict_do_update(index_elements=["operator_id", "source_id"], set_={"weight": weight})
    )
    if before != weight:
        await accounts.record(
            session,
            actor,
            "lead_source",
            str(source_id),
            "weights",
            {str(operator_id): [before, weight]},
            summary=source.name,
        )
    return before
