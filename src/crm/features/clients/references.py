"""Readable names of the codes companies carry (industry, number of employees, company type) and of the
custom fields mapped from UF_*. The names come from the portal's own reference lists (``crm.status.list``,
copied on every sync); Bitrix24's standard codes have translated names for when the portal's list lacks one."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.clients.models import ReferenceValue
from crm.features.clients.store import upsert
from crm.lib.i18n import N_
from crm.lib.i18n import gettext as _

INDUSTRY, EMPLOYEES, COMPANY_TYPE = "INDUSTRY", "EMPLOYEES", "COMPANY_TYPE"
ENTITIES = (INDUSTRY, EMPLOYEES, COMPANY_TYPE)

# Bitrix24's standard items of these lists (a portal may rename, remove or add items)
STANDARD: dict[str, dict[str, str]] = {
    INDUSTRY: {
        "IT": N_("Information technology"),
        "TELECOM": N_("Telecommunications"),
        "MANUFACTURING": N_("Manufacturing"),
        "BANKING": N_("Banking services"),
        "CONSULTING": N_("Consulting"),
        "FINANCE": N_("Finance"),
        "GOVERNMENT": N_("Government"),
        "DELIVERY": N_("Delivery"),
        "ENTERTAINMENT": N_("Entertainment"),
        "NOTPROFIT": N_("Non-profit"),
        "OTHER": N_("Other industry"),
    },
    EMPLOYEES: {
        "EMPLOYEES_1": N_("fewer than 50"),
        "EMPLOYEES_2": N_("50–250"),
        "EMPLOYEES_3": N_("250–500"),
        "EMPLOYEES_4": N_("over 500"),
    },
    COMPANY_TYPE: {
        "CUSTOMER": N_("Client"),
        "SUPPLIER": N_("Supplier"),
        "COMPETITOR": N_("Competitor"),
        "PARTNER": N_("Partner"),
        "OTHER": N_("Other type"),
    },
}

# labels of the custom fields the default field mapping knows; other keys are shown humanised
FIELD_LABELS: dict[str, str] = {
    "segment": N_("Segment"),
    "contract_type": N_("Contract type"),
}


def field_label(key: str) -> str:
    if key in FIELD_LABELS:
        return _(FIELD_LABELS[key])
    text = key.replace("_", " ").strip()
    return text[:1].upper() + text[1:] if text else key


@dataclass
class Labels:
    """The portal's names by list and code; ``name()`` falls back to the standard name, then to the code."""

    names: dict[str, dict[str, str]] = field(default_factory=dict)
    order: dict[str, dict[str, int]] = field(default_factory=dict)

    def name(self, entity: str, code: str | None) -> str:
        if not code:
            return ""
        own = self.names.get(entity, {}).get(code)
        if own:
            return own
        standard = STANDARD.get(entity, {}).get(code)
        return _(standard) if standard else code

    def industry(self, code: str | None) -> str:
        return self.name(INDUSTRY, code)

    def employees(self, code: str | None) -> str:
        return self.name(EMPLOYEES, code)

    def company_type(self, code: str | None) -> str:
        return self.name(COMPANY_TYPE, code)

    def choices(self, entity: str, codes: Iterable[str]) -> list[tuple[str, str]]:
        """(code, name) for a filter's select: in the portal's order, then by name."""
        order = self.order.get(entity, {})
        pairs = [(c, self.name(entity, c)) for c in codes if c]
        return sorted(pairs, key=lambda p: (order.get(p[0], 1 << 30), p[1].lower()))


async def load(session: AsyncSession) -> Labels:
    labels = Labels()
    for row in (await session.scalars(select(ReferenceValue).where(ReferenceValue.active.is_(True)))).all():
        labels.names.setdefault(row.entity_id, {})[row.status_id] = row.name
        labels.order.setdefault(row.entity_id, {})[row.status_id] = row.sort
    return labels


def reference_commands() -> dict[str, tuple[str, dict[str, Any]]]:
    """Batch commands reading the lists, alongside the deal stages."""
    return {
        f"r_{entity.lower()}": ("crm.status.list", {"order": {"SORT": "ASC"}, "filter": {"ENTITY_ID": entity}})
        for entity in ENTITIES
    }


async def save(session: AsyncSession, statuses: list[dict[str, Any]]) -> int:
    """Upsert the items of the lists in ``statuses`` (other entities are ignored); items of a list that was read
    and no longer has them are marked inactive. Returns the number of items read."""
    rows = [
        {
            "entity_id": str(s.get("ENTITY_ID")),
            "status_id": str(s.get("STATUS_ID") or "")[:64],
            "name": str(s.get("NAME") or s.get("NAME_INIT") or "")[:255],
            "sort": _int(s.get("SORT")),
            "active": True,
        }
        for s in statuses
        if s.get("ENTITY_ID") in ENTITIES and s.get("STATUS_ID")
    ]
    await upsert(session, ReferenceValue, rows, key=("entity_id", "status_id"))
    for entity in {r["entity_id"] for r in rows}:
        await session.execute(
            update(ReferenceValue)
            .where(
                ReferenceValue.entity_id == entity,
                ReferenceValue.status_id.not_in([r["status_id"] for r in rows if r["entity_id"] == entity]),
            )
            .values(active=False)
        )
    return len(rows)


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
