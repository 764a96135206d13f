"""Tariffs: which one is in force, quoting by it, and edits that keep intervals ordered and disjoint."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts.models import User
from crm.features.accounts.services import record
from crm.features.tariffs.models import Country, CountryTariff, RussianTariff
from crm.features.tariffs.pricing import (
    RUSSIA,
    CountryRules,
    Quote,
    QuoteError,
    QuoteInput,
    RussianPrices,
    price,
)
from crm.lib.i18n import N_, local_tz
from crm.lib.i18n import gettext as _
from crm.lib.web import FormErrors

RUSSIAN_PRICE_FIELDS = (
    "delivery_ordinary",
    "delivery_urgent",
    "delivery_post",
    "delivery_box",
    "word_ordinary",
    "word_urgent",
    "notification_ordinary",
    "notification_urgent",
    "lux",
    "lux_v",
    "deliver_on_date",
    "vat_percent",
)
COUNTRY_PRICE_FIELDS = ("word_ordinary", "word_urgent")
COUNTRY_FLAGS = (
    "allow_post",
    "allow_box",
    "allow_notification_ordinary",
    "allow_notification_urgent",
    "allow_lux",
    "allow_lux_v",
    "allow_deliver_on_date",
)


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=local_tz())


def parse_instant(raw: str) -> datetime:
    """``2022-01-01`` (that day's start in the organisation's zone) or an ISO date-time; else a date error."""
    value = (raw or "").strip()
    try:
        if len(value) == 10:
            return local_midnight(date.fromisoformat(value))
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise QuoteError("date", N_("Enter the date as YYYY-MM-DD.")) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=local_tz())


def russian_prices(t: RussianTariff) -> RussianPrices:
    return RussianPrices(**{name: Decimal(getattr(t, name)) for name in RUSSIAN_PRICE_FIELDS})


@dataclass
class _Interval:
    valid_from: datetime
    valid_to: datetime
    value: Any


@dataclass
class TariffBook:
    """Every tariff, loaded once: quoting many telegrams (a registry) costs no further queries."""

    russian: list[_Interval] = field(default_factory=list)
    countries: dict[str, Country] = field(default_factory=dict)
    country_prices: dict[int, list[_Interval]] = field(default_factory=dict)

    @staticmethod
    def _at(intervals: list[_Interval], when: datetime) -> Any:
        index = bisect.bisect_right([i.valid_from for i in intervals], when) - 1
        if index >= 0 and intervals[index].valid_from <= when < intervals[index].valid_to:
            return intervals[index].value
        return None

    def russian_at(self, when: datetime) -> RussianPrices | None:
        prices: RussianPrices | None = self._at(self.russian, when)
        return prices

    def country_named(self, name: str | None) -> Country | None:
        if not name or name.strip().casefold() in {RUSSIA.casefold(), "russia", "ru"}:
            return None
        country = self.countries.get(name.strip().casefold())
        if country is None:
            raise QuoteError("country", N_("Unknown country."))
        return country

    def rules(self, country: Country | None, when: datetime) -> CountryRules | None:
        if country is None:
            return None
        words = self._at(self.country_prices.get(country.id, []), when)
        if words is None:
            raise QuoteError("country", N_("No tariff of this country is in force on that date."))
        return CountryRules(
            name=country.name,
            word_ordinary=words[0],
            word_urgent=words[1],
            **{flag: getattr(country, flag) for flag in COUNTRY_FLAGS},
        )

    def quote(self, when: datetime, country: Country | str | None, params: QuoteInput) -> Quote:
        russian = self.russian_at(when)
        if russian is None:
            raise QuoteError("date", N_("No Russian tariff is in force on that date."))
        target = self.country_named(country) if isinstance(country, str) or country is None else country
        return price(params, russian, self.rules(target, when))


async def load_book(session: AsyncSession) -> TariffBook:
    book = TariffBook()
    for t in (await session.scalars(select(RussianTariff).order_by(RussianTariff.valid_from))).all():
        book.russian.append(_Interval(t.valid_from, t.valid_to, russian_prices(t)))
    for c in (await session.scalars(select(Country))).all():
        book.countries[c.name.casefold()] = c
    rows = (await session.scalars(select(CountryTariff).order_by(CountryTariff.valid_from))).all()
    for ct in rows:
        book.country_prices.setdefault(ct.country_id, []).append(
            _Interval(ct.valid_from, ct.valid_to, (Decimal(ct.word_ordinary), Decimal(ct.word_urgent)))
        )
    return book


async def quote(session: AsyncSession, when: datetime, country: str | None, params: QuoteInput) -> Quote:
    return (await load_book(session)).quote(when, country, params)


# --------------------------------------------------------------------------- reading


async def russian_tariffs(session: AsyncSession) -> list[RussianTariff]:
    return list((await session.scalars(select(RussianTariff).order_by(RussianTariff.valid_from.desc()))).all())


async def countries(session: AsyncSession) -> list[Country]:
    return list((await session.scalars(select(Country).order_by(Country.name))).all())


async def country_tariffs(session: AsyncSession, country_id: int | None = None) -> list[CountryTariff]:
    stmt = select(CountryTariff).order_by(CountryTariff.country_id, CountryTariff.valid_from.desc())
    if country_id is not None:
        stmt = stmt.where(CountryTariff.country_id == country_id)
    return list((await session.scalars(stmt)).all())


@dataclass
class TariffSheet:
    when: datetime
    russian: RussianTariff | None
    countries: list[tuple[Country, CountryTariff | None]]


async def sheet(session: AsyncSession, when: datetime) -> TariffSheet:
    """The Russian tariff and every country's word prices in force at ``when``."""
    russian = await session.scalar(
        select(RussianTariff).where(RussianTariff.valid_from <= when, RussianTariff.valid_to > when)
    )
    in_force = {
        ct.country_id: ct
        for ct in (
            await session.scalars(
                select(CountryTariff).where(CountryTariff.valid_from <= when, CountryTariff.valid_to > when)
            )
        ).all()
    }
    return TariffSheet(when, russian, [(c, in_force.get(c.id)) for c in await countries(session)])


# --------------------------------------------------------------------------- editing


class TariffError(ValueError):
    def __init__(self, errors: FormErrors) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def parse_prices(form: dict[str, str], names: tuple[str, ...], errors: FormErrors) -> dict[str, Decimal]:
    values: dict[str, Decimal] = {}
    for name in names:
        raw = (form.get(name) or "").strip().replace(",", ".").replace("\u00a0", "").replace(" ", "")
        try:
            value = Decimal(raw)
        except InvalidOperation:
            errors.add(name, _("Enter a price like 43.00."))
            continue
        if not value.is_finite() or value >= MAX_PRICE:
            errors.add(name, _("Enter a price like 43.00."))
            continue
        if value < 0:
            errors.add(name, _("A price cannot be negative."))
            continue
        values[name] = value
    return values


async def _overlapping(
    session: AsyncSession,
    model: Any,
    start: datetime,
    end: datetime,
    exclude_id: int | None,
    country_id: int | None = None,
) -> Any:
    stmt = select(model).where(model.valid_from < end, model.valid_to > start)
    if exclude_id is not None:
        stmt = stmt.where(model.id != exclude_id)
    if country_id is not None:
        stmt = stmt.where(model.country_id == country_id)
    return await session.scalar(stmt.limit(1))


def _overlap_message(other: Any) -> str:
    start = other.valid_from.astimezone(local_tz()).strftime("%Y-%m-%d %H:%M")
    end = other.valid_to.astimezone(local_tz()).strftime("%Y-%m-%d %H:%M")
    return f"{start} – {end}"


async def save_russian(
    session: AsyncSession,
    tariff: RussianTariff | None,
    start: datetime,
    end: datetime,
    prices: dict[str, Decimal],
    actor: User | None,
) -> RussianTariff:
    """Create or change a Russian tariff (its interval and prices as the form read them); an interval that
    overlaps another tariff's changes nothing (``TariffError`` with the message under ``valid_from``)."""
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext('telegram_tariffs'))"))
    other = await _overlapping(session, RussianTariff, start, end, tariff.id if tariff else None)
    if other is not None:
        errors = FormErrors()
        errors.add("valid_from", _("The interval overlaps the tariff of %(other)s.", other=_overlap_message(other)))
        raise TariffError(errors)
    return await _apply(session, tariff or RussianTariff(), "telegram_tariff", start, end, prices, actor)


async def save_country_tariff(
    session: AsyncSession,
    tariff: CountryTariff | None,
    country: Country,
    start: datetime,
    end: datetime,
    prices: dict[str, Decimal],
    actor: User | None,
) -> CountryTariff:
    """Create or change a country's tariff; one that overlaps another of the country's changes nothing."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtext('telegram_country_tariffs'), :c)"), {"c": country.id}
    )
    other = await _overlapping(session, CountryTariff, start, end, tariff.id if tariff else None, country.id)
    if other is not None:
        errors = FormErrors()
        errors.add(
            "valid_from",
            _("The interval overlaps this country's tariff of %(other)s.", other=_overlap_message(other)),
        )
        raise TariffError(errors)
    target = tariff or CountryTariff(country_id=country.id)
    return await _apply(session, target, "telegram_country_tariff", start, end, prices, actor)


async def _apply(
    session: AsyncSession,
    target: Any,
    entity: str,
    start: datetime,
    end: datetime,
    prices: dict[str, Decimal],
    actor: User | None,
) -> Any:
    creating = target.id is None
    changes: dict[str, list[Any]] = {}
    for name, value in {"valid_from": start, "valid_to": end, **prices}.items():
        old = getattr(target, name, None)
        if old != value:
            changes[name] = [old, value]
            setattr(target, name, value)
    if creating:
        session.add(target)
    await session.flush()
    if changes:
        await record(session, actor, entity, str(target.id), "create" if creating else "update", changes)
    return target


async def save_country_flags(
    session: AsyncSession, country: Country, flags: dict[str, bool], actor: User | None
) -> None:
    changes = {k: [getattr(country, k), v] for k, v in flags.items() if k in COUNTRY_FLAGS and getattr(country, k) != v}
    for name, (_old, new) in changes.items():
        setattr(country, name, new)
    if changes:
        await record(session, actor, "telegram_country", str(country.id), "update", changes, summary=country.name)


async def delete_tariff(session: AsyncSession, target: Any, actor: User | None) -> None:
    entity = "telegram_tariff" if isinstance(target, RussianTariff) else "telegram_country_tariff"
    await record(session, actor, entity, str(target.id), "delete", {"valid_from": [target.valid_from, None]})
    await session.delete(target)


async def tariff_count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(RussianTariff)) or 0)


def next_day(day: date) -> date:
    return day + timedelta(days=1)


def _flag(raw: str | None, name: str) -> bool:
    value = (raw or "").strip().lower()
    if value in {"", "0", "false", "no", "off"}:
        return False
    if value in {"1", "true", "yes", "on"}:
        return True
    raise QuoteError(name, N_("Expected true or false."))


MAX_WORDS = 100_000  # far above any telegram; keeps amounts inside NUMERIC(14,2)
MAX_PRICE = Decimal("1000000000")


def parse_quote_params(query: Any) -> tuple[datetime, str, QuoteInput]:
    """The calculator's inputs from a query string or form; a bad one raises QuoteError naming it."""
    when = parse_instant(query.get("date") or "")
    raw_words = (query.get("words") or "0").strip()
    try:
        words = int(raw_words)
    except ValueError:
        raise QuoteError("words", N_("The number of words must be a whole number.")) from None
    if words < 0:
        raise QuoteError("words", N_("The number of words cannot be negative."))
    if words > MAX_WORDS:
        raise QuoteError("words", N_("At most 100,000 words."))
    params = QuoteInput(
        words=words,
        category=(query.get("delivery") or "ordinary").strip(),
        notification=(query.get("notification") or "none").strip(),
        blank=(query.get("blank") or "none").strip(),
        deliver_on_date=_flag(query.get("deliver_on_date"), "deliver_on_date"),
        paid_reply=_flag(query.get("paid_reply"), "paid_reply"),
    )
    return when, (query.get("country") or RUSSIA).strip() or RUSSIA, params
