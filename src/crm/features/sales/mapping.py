"""Which column holds which field: the headers the spec recognises (case and spaces ignored), a saved profile
(an upload profile's name or a mail sender's address), or the choice made on the preview."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.sales.models import MappingProfile
from crm.features.sales.reading import FileRejected
from crm.lib.i18n import N_

FIELDS: tuple[str, ...] = (
    "date",
    "invoice",
    "client_code",
    "client_name",
    "client_inn",
    "family",
    "product",
    "quantity",
    "amount",
    "salesperson",
)
FIELD_LABELS = {
    "date": N_("Date"),
    "invoice": N_("Invoice number"),
    "client_code": N_("Client code"),
    "client_name": N_("Client name"),
    "client_inn": N_("Client INN"),
    "family": N_("Product family"),
    "product": N_("Product"),
    "quantity": N_("Quantity"),
    "amount": N_("Amount"),
    "salesperson": N_("Salesperson"),
}
ALIASES: dict[str, tuple[str, ...]] = {
    "date": ("date", "дата"),
    "invoice": ("invoice", "номердокумента", "документ"),
    "client_code": ("client_code", "кодклиента"),
    "client_name": ("client_name", "клиент", "контрагент"),
    "client_inn": ("client_inn", "инн"),
    "family": ("family", "товарнаягруппа", "семейство"),
    "product": ("product", "товар", "номенклатура"),
    "quantity": ("quantity", "количество"),
    "amount": ("amount", "сумма"),
    "salesperson": ("salesperson", "менеджер"),
}
REQUIRED = ("date", "invoice", "amount")
CLIENT_FIELDS = ("client_code", "client_inn", "client_name")

MISSING = N_("Columns not found: %(fields)s. Map them on the preview or save a profile for this file.")
NO_CLIENT = N_("No client column found (client code, INN or name).")

_SPACES = re.compile(r"\s+")


def header_key(header: Any) -> str:
    return _SPACES.sub("", str(header or "")).lower().lstrip("\ufeff")


def recognise(headers: list[str]) -> dict[str, int]:
    """Field → column index of the headers the spec names; the first matching column wins."""
    found: dict[str, int] = {}
    keys = [header_key(h) for h in headers]
    for field_name, aliases in ALIASES.items():
        for index, key in enumerate(keys):
            if key in aliases:
                found[field_name] = index
                break
    return found


def resolve(
    headers: list[str], profile: dict[str, str] | None = None, chosen: dict[str, Any] | None = None
) -> dict[str, int]:
    """The mapping used for a file: recognised headers, overridden by a profile's headers, overridden by the
    columns chosen on the preview (index, or -1 for "not in this file"). Refuses a file missing a needed field."""
    mapping = recognise(headers)
    keys = [header_key(h) for h in headers]
    for field_name, key in (profile or {}).items():
        if field_name in FIELDS and key in keys:
            mapping[field_name] = keys.index(key)
    for field_name, index in (chosen or {}).items():
        if field_name not in FIELDS:
            continue
        value = int(index)
        if 0 <= value < len(headers):
            mapping[field_name] = value
        else:
            mapping.pop(field_name, None)
    missing = [f for f in REQUIRED if f not in mapping]
    if missing:
        raise FileRejected(MISSING, fields=", ".join(missing))
    if not any(f in mapping for f in CLIENT_FIELDS):
        raise FileRejected(NO_CLIENT)
    return mapping


def as_profile(headers: list[str], mapping: dict[str, int]) -> dict[str, str]:
    """A mapping kept by header text, so the profile fits the next file whatever the column order."""
    return {f: header_key(headers[i]) for f, i in mapping.items() if 0 <= i < len(headers)}


async def load_profile(session: AsyncSession, name: str) -> dict[str, str] | None:
    if not name:
        return None
    return await session.scalar(select(MappingProfile.mapping).where(MappingProfile.name == name.strip().lower()))


async def save_profile(session: AsyncSession, name: str, mapping: dict[str, str]) -> None:
    stmt = insert(MappingProfile).values(name=name.strip().lower(), mapping=mapping)
    await session.execute(
        stmt.on_conflict_do_update(constraint="uq_sales_mapping_profiles_name", set_={"mapping": stmt.excluded.mapping})
    )


async def profile_names(session: AsyncSession) -> list[str]:
    return list((await session.scalars(select(MappingProfile.name).order_by(MappingProfile.name))).all())
