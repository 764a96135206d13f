"""Daily registries of paid telegrams: who sees which, pricing a row, and the status machine.

Statuses: draft → formed (signed by the operator) → closed (billed). The operator may reopen a formed
registry (→ draft) until it is billed; billing staff close formed ones and may cancel billing (closed →
formed). Rows change only in a draft; every transition is audited. Adding the day's telegrams lives in
``registry_day``, editing rows in ``registry_rows``.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts.models import User
from crm.features.accounts.services import record as audit
from crm.features.tariffs.detect import detect
from crm.features.tariffs.models import Registry, RegistryRecord, Telegram, TelegramClient
from crm.features.tariffs.pricing import QuoteError, QuoteInput
from crm.features.tariffs.tariffs import TariffBook
from crm.lib.i18n import N_, NP_, pgettext

DRAFT, FORMED, CLOSED = "draft", "formed", "closed"
STATUS_LABELS = {
    DRAFT: NP_("registry", "draft"),
    FORMED: NP_("registry", "formed"),
    CLOSED: NP_("registry", "closed"),
}


def status_label(status: str) -> str:
    """A registry's status in words, agreeing with "registry" (черновик, сформирован, закрыт)."""
    return pgettext("registry", STATUS_LABELS[status])


AMOUNTS = (
    "delivery_amount",
    "words_amount",
    "notification_amount",
    "blank_amount",
    "deliver_on_date_amount",
    "paid_reply_amount",
    "total",
    "vat",
    "total_with_vat",
)
COMPONENTS = AMOUNTS[:6]


class RegistryError(ValueError):
    """A change the registry's status or the user's role does not allow; the message says why."""


class NeedsAcknowledgement(RegistryError):
    """Rows with a tariff warning or error: forming or billing goes ahead only once a person confirmed these rows."""

    def __init__(self, rows: list[RegistryRecord]) -> None:
        super().__init__(N_("Some telegrams have tariff warnings or errors; confirm them first."))
        self.rows = rows


def flagged(rows: list[RegistryRecord]) -> list[RegistryRecord]:
    """Rows with a tariff warning or error (the screens' "with warnings")."""
    return [r for r in rows if r.warnings or r.error]


def _check_acknowledged(rows: list[RegistryRecord], acknowledged: Collection[int]) -> None:
    """Every flagged row must be among those the person confirmed (a new warning since asks again)."""
    found = flagged(rows)
    if {r.id for r in found} - set(acknowledged):
        raise NeedsAcknowledgement(found)


# --------------------------------------------------------------------------- visibility


def visible_clause(user: User) -> Any:
    """Own registries; billing staff also every registry that is not a draft."""
    own = Registry.operator_id == user.id
    if user.can("billing.manage"):
        return or_(own, Registry.status != DRAFT)
    return own


async def get_visible(session: AsyncSession, user: User, registry_id: int, *, lock: bool = False) -> Registry | None:
    stmt = select(Registry).where(Registry.id == registry_id, visible_clause(user))
    if lock:
        stmt = stmt.with_for_update(of=Registry)
    return await session.scalar(stmt)


def month_bounds(month: date) -> tuple[date, date]:
    first = month.replace(day=1)
    return first, (first + timedelta(days=32)).replace(day=1)


def month_query(user: User, month: date) -> Select[Any]:
    first, after = month_bounds(month)
    totals = (
        select(
            RegistryRecord.registry_id,
            func.count().label("n"),
            func.coalesce(func.sum(RegistryRecord.total), 0).label("total"),
            func.coalesce(func.sum(RegistryRecord.total_with_vat), 0).label("total_with_vat"),
            func.count()
            .filter(or_(func.jsonb_array_length(RegistryRecord.warnings) > 0, RegistryRecord.error != ""))
            .label("flagged"),
        )
        # Only this month's registries: the totals must not scan every record ever stored.
        .where(RegistryRecord.registry_id.in_(select(Registry.id).where(Registry.day >= first, Registry.day < after)))
        .group_by(RegistryRecord.registry_id)
        .subquery()
    )
    return (
        select(
            Registry,
            func.coalesce(totals.c.n, 0),
            func.coalesce(totals.c.total, 0),
            func.coalesce(totals.c.total_with_vat, 0),
            func.coalesce(totals.c.flagged, 0),
        )
        .outerjoin(totals, totals.c.registry_id == Registry.id)
        .where(Registry.day >= first, Registry.day < after, visible_clause(user))
        .order_by(Registry.day, Registry.office, Registry.id)
    )


# --------------------------------------------------------------------------- rows


def apply_quote(row: RegistryRecord, book: TariffBook, when: datetime) -> None:
    params = QuoteInput(
        words=row.words,
        category=row.category,
        notification=row.notification,
        blank=row.blank,
        deliver_on_date=row.deliver_on_date,
        paid_reply=row.paid_reply,
    )
    try:
        quote = book.quote(when, row.country, params)
    except QuoteError as exc:
        for name in AMOUNTS:
            setattr(row, name, Decimal("0.00"))
        row.warnings, row.error = [], exc.message
        return
    values = [
        quote.delivery,
        quote.words,
        quote.notification,
        quote.blank,
        quote.deliver_on_date,
        quote.paid_reply,
        quote.total,
        quote.vat,
        quote.total_with_vat,
    ]
    for name, value in zip(AMOUNTS, values, strict=True):
        setattr(row, name, value)
    row.warnings, row.error = list(quote.warnings), ""


def auto_row(row: RegistryRecord, telegram: Telegram, book: TariffBook) -> None:
    """Parameters detected from the telegram, priced by the tariffs in force at its input time."""
    p = detect(telegram).params
    row.country_id, row.country = None, None
    row.category, row.notification, row.blank = p.category, p.notification, p.blank
    row.deliver_on_date, row.paid_reply, row.words, row.manual = (
        p.deliver_on_date,
        p.paid_reply,
        p.words,
        False,
    )
    apply_quote(row, book, telegram.inp_gate_date)


async def lock_draft(session: AsyncSession, user: User, registry_id: int) -> Registry:
    registry = await session.scalar(
        select(Registry).where(Registry.id == registry_id, Registry.operator_id == user.id).with_for_update(of=Registry)
    )
    if registry is None:
        raise LookupError(registry_id)
    if registry.status != DRAFT:
        raise RegistryError(N_("Only a draft registry can be changed; reopen it first."))
    return registry


async def get_record(session: AsyncSession, registry: Registry, record_id: int) -> RegistryRecord:
    """One row of the registry as stored now (the identity map refreshed, so a changed client is shown)."""
    row = await session.scalar(
        select(RegistryRecord)
        .where(RegistryRecord.id == record_id, RegistryRecord.registry_id == registry.id)
        .execution_options(populate_existing=True)
    )
    if row is None:
        raise LookupError(record_id)
    return row


async def rows_of(session: AsyncSession, registry: Registry) -> list[RegistryRecord]:
    stmt = (
        select(RegistryRecord)
        .join(Telegram, Telegram.id == RegistryRecord.telegram_id)
        .where(RegistryRecord.registry_id == registry.id)
        .order_by(Telegram.inp_gate_date, RegistryRecord.id)
    )
    return list((await session.scalars(stmt)).unique().all())


async def draft_row(session: AsyncSession, registry: Registry, record_id: int) -> RegistryRecord:
    row = await session.scalar(
        select(RegistryRecord).where(RegistryRecord.id == record_id, RegistryRecord.registry_id == registry.id)
    )
    if row is None:
        raise LookupError(record_id)
    return row


# --------------------------------------------------------------------------- transitions


async def _transition(
    session: AsyncSession,
    user: User,
    registry: Registry,
    new: str,
    action: str,
    more: dict[str, list[Any]] | None = None,
) -> None:
    old = registry.status
    registry.status = new
    await audit(
        session,
        user,
        "telegram_registry",
        str(registry.id),
        action,
        {"status": [old, new], **(more or {})},
        summary=f"{registry.day} {registry.office}",
    )


async def confirm(
    session: AsyncSession, user: User, registry_id: int, signature: str, acknowledged: Collection[int] = ()
) -> Registry:
    """Sign the draft: every row needs a client and a price (automatic, or typed by hand for a row the tariffs
    cannot price); rows with a tariff warning or error must be among ``acknowledged`` (else
    ``NeedsAcknowledgement`` names them); the operator's surname is kept."""
    registry = await lock_draft(session, user, registry_id)
    rows = await rows_of(session, registry)
    if not rows:
        raise RegistryError(N_("The registry has no telegrams."))
    if any(r.client_id is None for r in rows):
        raise RegistryError(N_("Assign a client to every telegram first."))
    if any(r.error and not r.manual for r in rows):
        raise RegistryError(N_("Some telegrams could not be priced; fix them or price them by hand."))
    signature = " ".join(signature.split())
    if len(signature) < 2 or len(signature) > 120:
        raise RegistryError(N_("Sign with your surname."))
    _check_acknowledged(rows, acknowledged)
    registry.signed_by, registry.formed_at = signature, datetime.now(UTC)
    await _transition(session, user, registry, FORMED, "form")
    return registry


async def _locked(session: AsyncSession, user: User, registry_id: int) -> Registry:
    registry = await get_visible(session, user, registry_id, lock=True)
    if registry is None:
        raise LookupError(registry_id)
    return registry


async def reopen(session: AsyncSession, user: User, registry_id: int) -> Registry:
    registry = await _locked(session, user, registry_id)
    if registry.operator_id != user.id:
        raise RegistryError(N_("Only the operator who formed the registry can reopen it."))
    if registry.status != FORMED:
        raise RegistryError(N_("Only a formed registry that is not billed yet can be reopened."))
    # A changed registry is signed again when it is formed again: the old signature does not stay on it.
    signed_by, registry.signed_by, registry.formed_at = registry.signed_by, "", None
    await _transition(session, user, registry, DRAFT, "reopen", {"signed_by": [signed_by, ""]})
    return registry


async def close(session: AsyncSession, user: User, registry_id: int, acknowledged: Collection[int] = ()) -> Registry:
    """Bill a formed registry; rows with a tariff warning or error must be among ``acknowledged``."""
    registry = await _locked(session, user, registry_id)
    if not user.can("billing.manage"):
        raise RegistryError(N_("Only billing staff can bill a registry."))
    if registry.status != FORMED:
        raise RegistryError(N_("Only a formed registry can be billed."))
    _check_acknowledged(await rows_of(session, registry), acknowledged)
    registry.closed_at = datetime.now(UTC)
    await _transition(session, user, registry, CLOSED, "bill")
    return registry


async def cancel_billing(session: AsyncSession, user: User, registry_id: int) -> Registry:
    registry = await _locked(session, user, registry_id)
    if not user.can("billing.manage"):
        raise RegistryError(N_("Only billing staff can cancel billing."))
    if registry.status != CLOSED:
        raise RegistryError(N_("The registry is not billed."))
    registry.closed_at = None
    await _transition(session, user, registry, FORMED, "unbill")
    return registry


# --------------------------------------------------------------------------- clients


async def clients(session: AsyncSession) -> list[TelegramClient]:
    return list((await session.scalars(select(TelegramClient).order_by(TelegramClient.code))).all())


def in_month_closed(month: date) -> Any:
    first, after = month_bounds(month)
    return and_(Registry.status == CLOSED, Registry.day >= first, Registry.day < after)
