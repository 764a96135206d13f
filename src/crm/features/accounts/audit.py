"""The audit trail every feature writes to: who changed what, old and new value per field."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts.models import AuditEntry, User


async def record(
    session: AsyncSession,
    actor: User | None,
    entity: str,
    entity_id: str,
    action: str,
    changes: dict[str, Any],
    *,
    summary: str = "",
    department_id: int | None = None,
) -> None:
    """Write one audit entry; ``changes`` maps a field to ``[old, new]``."""
    safe = {k: [_jsonable(v) for v in pair] for k, pair in changes.items()}
    session.add(
        AuditEntry(
            actor_id=actor.id if actor else None,
            actor_email=actor.email if actor else "system",
            department_id=department_id if department_id is not None else (actor.department_id if actor else None),
            entity=entity,
            entity_id=entity_id,
            action=action,
            summary=summary[:500],
            changes=safe,
        )
    )


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


@dataclass
class AuditFilter:
    q: str = ""
    entity: str = ""
    actor: str = ""
    date_from: Any = None
    date_to: Any = None


def audit_query(filters: AuditFilter, department_ids: frozenset[int] | None) -> Select[tuple[AuditEntry]]:
    stmt = select(AuditEntry)
    if department_ids is not None:
        stmt = stmt.where(AuditEntry.department_id.in_(department_ids))
    if filters.entity:
        stmt = stmt.where(AuditEntry.entity == filters.entity)
    if filters.actor:
        stmt = stmt.where(AuditEntry.actor_email.ilike(f"%{filters.actor.strip()}%"))
    if filters.q:
        stmt = stmt.where(or_(AuditEntry.summary.ilike(f"%{filters.q}%"), AuditEntry.entity_id == filters.q))
    if filters.date_from:
        stmt = stmt.where(AuditEntry.created_at >= filters.date_from)
    if filters.date_to:
        stmt = stmt.where(AuditEntry.created_at < filters.date_to)
    return stmt


AUDIT_SORTS = {"at": AuditEntry.id, "actor": AuditEntry.actor_email, "entity": AuditEntry.entity}
