"""Editing a draft registry's rows: typed amounts, the client, reset, remove with undo, and repricing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from crm.config import get_settings
from crm.features.accounts.models import User
from crm.features.accounts.services import record as audit
from crm.features.tariffs.models import Country, Registry, RegistryRecord, TelegramClient
from crm.features.tariffs.pricing import BLANKS, CATEGORIES, NOTIFICATIONS, money
from crm.features.tariffs.registries import (
    AMOUNTS,
    COMPONENTS,
    RegistryError,
    apply_quote,
    auto_row,
    draft_row,
    get_record,
    lock_draft,
    rows_of,
)
from crm.features.tariffs.tariffs import load_book
from crm.lib.i18n import N_
from crm.lib.lists import contains
from crm.lib.web import parse_int

_ROW_FIELDS = tuple(c.key for c in RegistryRecord.__table__.columns if c.key not in {"updated_at"})
UNDO_SECONDS = 3600


def _money(raw: str) -> Decimal:
    value = Decimal((raw or "0").strip().replace(",", ".").replace(" ", "").replace("\u00a0", ""))
    if not value.is_finite() or abs(value) >= 1_000_000_000:
        raise ValueError(raw)
    return money(value)  # half-up to kopecks, at the edge where a person typed it


def manual_amounts(
    stored: dict[str, Decimal], typed: dict[str, Decimal], edited: list[str], rate: Decimal
) -> dict[str, Decimal]:
    """The amounts of a row priced by hand, always with ``total_with_vat == total + vat``.

    The spec's rule: total = the sum of the parts, VAT = total × rate / 100, with VAT = total + VAT (the tariff's
    VAT rate, half-up to kopecks). A person may type over a part, the total or the total with VAT, and the
    amounts that follow from it are recomputed: a part → the total is the sum of the parts; the total → VAT and
    the total with VAT; the total with VAT (what the client pays) → VAT taken out of it (× rate / (100 + rate))
    and the total is the rest. VAT is never typed: it follows from the rate. A typed VAT, or a total and a total
    with VAT typed together, that disagree with the rule are refused (nothing is guessed)."""
    result = dict(stored)
    result.update({name: typed[name] for name in COMPONENTS if name in typed})
    parts_total = sum((result[n] for n in COMPONENTS), Decimal(0))
    wants = {name: typed[name] for name in ("total", "vat", "total_with_vat") if name in edited and name in typed}
    if "total" in wants:
        total = wants["total"]
        vat = money(total * rate / 100)
    elif "total_with_vat" in wants:
        vat = money(wants["total_with_vat"] * rate / (100 + rate))
        total = wants["total_with_vat"] - vat
    else:
        total = parts_total if any(n in COMPONENTS for n in edited) else result["total"]
        vat = money(total * rate / 100)
    if "total" in wants and "total_with_vat" in wants and wants["total_with_vat"] != total + vat:
        raise RegistryError(
            N_("Type either the total or the total with VAT: the other one and the VAT follow from it.")
        )
    if "vat" in wants and wants["vat"] != vat:
        raise RegistryError(
            N_("The VAT follows from the total at the tariff's VAT rate; type the total or the total with VAT.")
        )
    result.update(total=total, vat=vat, total_with_vat=total + vat)
    return result


async def _set_client(
    session: AsyncSession, user: User, registry: Registry, row: RegistryRecord, form: dict[str, str]
) -> None:
    """The row's client from the edit form (audited when it changes): the searchable field ("00001 таможня", a
    code, or part of a name), or a client's id from a plain select (empty: none; unknown: unchanged)."""
    client_before = row.client_id
    if "client" in form:
        found = await find_client(session, form["client"])
        row.client_id = found.id if found else None
    else:
        client_raw = (form.get("client_id") or "").strip()
        client_id = parse_int(client_raw, 1, 2**62)
        if client_id is not None and await session.get(TelegramClient, client_id) is not None:
            row.client_id = client_id
        elif not client_raw:
            row.client_id = None
    if row.client_id != client_before:
        await _audit_clients(session, user, registry, [(row, client_before)], row.client_id)


async def update_row(
    session: AsyncSession,
    user: User,
    registry_id: int,
    record_id: int,
    form: dict[str, str],
    changed: str = "",
) -> RegistryRecord:
    """Apply a row's edited fields. Client, country and kinds reprice at once; in manual mode words reprice and
    amounts are taken as typed (a changed part with an unchanged total recomputes the totals)."""
    registry = await lock_draft(session, user, registry_id)
    row = await draft_row(session, registry, record_id)
    priced_by = _pricing_inputs(row)
    await _set_client(session, user, registry, row, form)
    country_raw = (form.get("country_id") or "").strip()
    country_id = parse_int(country_raw, 1, 2**62)
    country = await session.get(Country, country_id) if country_id is not None else None
    row.country_id, row.country = (country.id, country) if country else (None, None)
    category, notification, blank = form.get("category", ""), form.get("notification", ""), form.get("blank", "")
    row.category = category if category in CATEGORIES else row.category
    row.notification = notification if notification in NOTIFICATIONS else row.notification
    row.blank = blank if blank in BLANKS else row.blank
    row.deliver_on_date = form.get("deliver_on_date") in {"on", "true", "1"}
    row.paid_reply = form.get("paid_reply") in {"on", "true", "1"}
    manual = form.get("manual") in {"on", "true", "1"}
    if not manual and row.manual:
        auto_row(row, row.telegram, await load_book(session))
        return row
    row.manual = manual
    words_raw = (form.get("words") or "").strip()
    words = parse_int(words_raw, 0, 100_000)
    if manual and words_raw and words is None:
        raise RegistryError(N_("Enter the word count as a whole number from 0 to 100000."))
    if manual and words is not None:
        row.words = words
    if manual:
        try:
            typed = {name: _money(form[name]) for name in AMOUNTS if name in form}
        except (ArithmeticError, ValueError):
            raise RegistryError(N_("Enter amounts like 43.00.")) from None
        # The amount a person typed over (htmx names the row, not the field, so compare with what is stored).
        edited = [name for name, value in typed.items() if value != getattr(row, name)]
        if changed in AMOUNTS and changed not in edited:
            edited.append(changed)
        if edited:
            rate = await _vat_rate(session, row)
            amounts = manual_amounts({n: getattr(row, n) for n in AMOUNTS}, typed, edited, rate)
            for name, value in amounts.items():
                setattr(row, name, value)
            return row
        if _pricing_inputs(row) == priced_by:
            return row  # nothing that prices the row changed (a client, a save): the amounts typed stay
    apply_quote(row, await load_book(session), row.telegram.inp_gate_date)
    return row


def _pricing_inputs(row: RegistryRecord) -> tuple[Any, ...]:
    """What the price of a row follows: in manual mode a change of these recalculates, nothing else does."""
    return (
        row.country_id,
        row.category,
        row.notification,
        row.blank,
        row.deliver_on_date,
        row.paid_reply,
        row.words,
    )


async def find_client(session: AsyncSession, typed: str) -> TelegramClient | None:
    """The client a person picked or typed: by code (the first word), else the one name that contains the text."""
    text = " ".join((typed or "").split())
    if not text:
        return None
    by_code = await session.scalar(select(TelegramClient).where(TelegramClient.code == text.split()[0]))
    if by_code is not None:
        return by_code
    pattern = contains(text)
    matches = (
        await session.scalars(
            select(TelegramClient)
            .where(or_(TelegramClient.short_name.ilike(pattern), TelegramClient.full_name.ilike(pattern)))
            .limit(2)
        )
    ).all()
    if len(matches) != 1:
        raise RegistryError(N_("No single client matches what was typed; pick one from the list."))
    return matches[0]


async def _audit_clients(
    session: AsyncSession,
    user: User,
    registry: Registry,
    changed: list[tuple[RegistryRecord, int | None]],
    client_id: int | None,
) -> None:
    """One audit entry per row whose client changed (old → new client code), whoever changed it and how."""
    ids = {old for _, old in changed if old is not None} | ({client_id} if client_id is not None else set())
    found = await session.execute(select(TelegramClient.id, TelegramClient.code).where(TelegramClient.id.in_(ids)))
    codes: dict[int, str] = {row[0]: row[1] for row in found}
    for row, old in changed:
        await audit(
            session,
            user,
            "telegram_registry",
            str(registry.id),
            "assign",
            {"client": [codes.get(old) if old is not None else None, codes.get(client_id) if client_id else None]},
            summary=f"{registry.day} {registry.office}: {row.telegram.un_name}",
        )


async def assign_client(
    session: AsyncSession, user: User, registry_id: int, record_ids: Collection[int], typed_client: str
) -> tuple[TelegramClient, int]:
    """Give one client to the ticked rows of a draft in one go: every row must be of this registry and the client
    must exist, else nothing changes. Rows priced automatically are priced again; rows priced by hand keep what
    was typed (as when the client of one row is changed). Returns the client and how many rows changed."""
    registry = await lock_draft(session, user, registry_id)
    ids = list(dict.fromkeys(record_ids))
    if not ids:
        raise RegistryError(N_("Tick the telegrams to give the client to."))
    client = await find_client(session, typed_client)
    if client is None:
        raise RegistryError(N_("Pick a client from the list."))
    rows = list(
        (
            await session.scalars(
                select(RegistryRecord)
                .where(RegistryRecord.id.in_(ids), RegistryRecord.registry_id == registry.id)
                .with_for_update(of=RegistryRecord)
                .execution_options(populate_existing=True)
            )
        )
        .unique()
        .all()
    )
    if len(rows) != len(ids):
        raise RegistryError(N_("Some of the ticked telegrams are not in this registry any more; reload the page."))
    changed = [(row, row.client_id) for row in rows if row.client_id != client.id]
    book = await load_book(session) if any(not row.manual for row in rows) else None
    for row in rows:
        row.client_id = client.id
        if book is not None and not row.manual:
            apply_quote(row, book, row.telegram.inp_gate_date)
    if changed:
        await _audit_clients(session, user, registry, changed, client.id)
    return client, len(changed)


async def _vat_rate(session: AsyncSession, row: RegistryRecord) -> Decimal:
    prices = (await load_book(session)).russian_at(row.telegram.inp_gate_date)
    return prices.vat_percent if prices else Decimal(0)


async def reset_row(session: AsyncSession, user: User, registry_id: int, record_id: int) -> RegistryRecord:
    registry = await lock_draft(session, user, registry_id)
    row = await draft_row(session, registry, record_id)
    auto_row(row, row.telegram, await load_book(session))
    return row


def _undo_key() -> bytes:
    return hashlib.sha256(f"registry-undo|{get_settings().secret_key}".encode()).digest()


def _seal(payload: dict[str, Any]) -> str:
    """The removed row as it was, signed (so an undo cannot put back amounts nobody priced)."""
    body = base64.urlsafe_b64encode(json.dumps(payload, default=str, separators=(",", ":")).encode()).decode()
    return body + "." + hmac.new(_undo_key(), body.encode(), hashlib.sha256).hexdigest()


def _unseal(token: str) -> dict[str, Any] | None:
    body, _, signature = (token or "").strip().partition(".")
    expected = hmac.new(_undo_key(), body.encode(), hashlib.sha256).hexdigest()
    if not body or not hmac.compare_digest(signature, expected):
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(body.encode()))
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None


@dataclass(frozen=True)
class Removed:
    un_name: str
    undo: str  # the token that puts the row back exactly as it was


async def remove_row(session: AsyncSession, user: User, registry_id: int, record_id: int) -> Removed:
    registry = await lock_draft(session, user, registry_id)
    row = await draft_row(session, registry, record_id)
    await audit(
        session,
        user,
        "telegram_registry",
        str(registry.id),
        "remove",
        {"telegram": [row.telegram.un_name, None]},
    )
    snapshot = {name: getattr(row, name) for name in _ROW_FIELDS}
    token = _seal({"user": str(user.id), "registry": registry.id, "at": int(time.time()), "row": snapshot})
    removed = Removed(row.telegram.un_name, token)
    await session.delete(row)
    return removed


async def restore_row(session: AsyncSession, user: User, registry_id: int, token: str) -> RegistryRecord:
    """Undo a removal: the row comes back exactly as it was (same id, client, parameters, amounts, warnings) while
    the registry is still a draft and the telegram has not gone into a registry since."""
    payload = _unseal(token)
    if payload is None or payload.get("user") != str(user.id) or payload.get("registry") != registry_id:
        raise RegistryError(N_("This undo is not valid; add the telegram again from the day's list."))
    if time.time() - int(payload.get("at") or 0) > UNDO_SECONDS:
        raise RegistryError(N_("It is too late to undo; add the telegram again from the day's list."))
    registry = await lock_draft(session, user, registry_id)
    row = dict(payload["row"])
    for name in AMOUNTS:
        row[name] = Decimal(str(row[name]))
    row["created_at"] = datetime.fromisoformat(str(row["created_at"]))
    if row.get("client_id") is not None and await session.get(TelegramClient, row["client_id"]) is None:
        row["client_id"] = None
    if row.get("country_id") is not None and await session.get(Country, row["country_id"]) is None:
        raise RegistryError(N_("The telegram's country is no longer in the tariffs; add the telegram again."))
    result = await session.execute(
        insert(RegistryRecord)
        .values({**row, "registry_id": registry.id, "updated_at": func.now()})
        .on_conflict_do_nothing()
        .returning(RegistryRecord.id)
    )
    if result.scalar() is None:
        raise RegistryError(N_("The telegram is back in a registry already."))
    restored = await get_record(session, registry, int(row["id"]))
    await audit(
        session,
        user,
        "telegram_registry",
        str(registry.id),
        "restore",
        {"telegram": [None, restored.telegram.un_name]},
    )
    return restored


async def reprice_all(session: AsyncSession, user: User, registry_id: int) -> int:
    """Auto-tariffication of every non-manual row (one tariff load for the whole registry)."""
    registry = await lock_draft(session, user, registry_id)
    book = await load_book(session)
    rows = [r for r in await rows_of(session, registry) if not r.manual]
    for row in rows:
        auto_row(row, row.telegram, book)
    return len(rows)
