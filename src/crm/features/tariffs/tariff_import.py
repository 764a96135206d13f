"""Import of tariffs: old tool's Django fixture and a CSV/XLSX tariff sheet; a re-import changes nothing."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts.models import User
from crm.features.accounts.services import record
from crm.features.tariffs.models import Country, CountryTariff, RussianTariff
from crm.features.tariffs.pricing import RUSSIA, QuoteError
from crm.features.tariffs.tariffs import COUNTRY_FLAGS, RUSSIAN_PRICE_FIELDS, parse_instant

FIXTURE_RUSSIAN = {
    "delivery_ordinary": "delivery_ordinary",
    "delivery_urgent": "delivery_urgent",
    "delivery_post": "delivery_post",
    "delivery_box": "delivery_box",
    "word_ordinary": "word_ordinary",
    "word_urgent": "word_urgent",
    "notification_ordinary": "notification_ordinary",
    "notification_urgent": "notification_urgent",
    "lux_ordinary": "lux",
    "lux_visual": "lux_v",
    "todate": "deliver_on_date",
    "nds_percent": "vat_percent",
}
FIXTURE_FLAGS = {
    "delivery_post_bool": "allow_post",
    "delivery_box_bool": "allow_box",
    "notification_ordinary_bool": "allow_notification_ordinary",
    "notification_urgent_bool": "allow_notification_urgent",
    "lux_ordinary_bool": "allow_lux",
    "lux_visual_bool": "allow_lux_v",
    "todate_bool": "allow_deliver_on_date",
}


class TariffImportError(ValueError):
    """The file cannot be read at all."""


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    countries: int = 0
    errors: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        head = (
            f"{self.created} tariffs created, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.countries} countries new or changed, {len(self.errors)} errors"
        )
        return [head, *self.errors]


def _decimal(value: Any) -> Decimal:
    text = str(value).strip().replace(",", ".").replace("\u00a0", "").replace(" ", "")
    result = Decimal(text)
    if not result.is_finite() or result < 0:
        raise InvalidOperation
    return result


def exclusive_end(inclusive: datetime) -> datetime:
    """The old tool stored the last minute or second of an interval (``20:59:59``); ours ends exclusively."""
    return inclusive.replace(second=0, microsecond=0) + timedelta(minutes=1)


def _fixture_instant(raw: str) -> datetime:
    return datetime.fromisoformat(raw.replace("Z", "+00:00"))


async def _country(
    session: AsyncSession,
    name: str,
    flags: dict[str, bool] | None,
    summary: ImportSummary,
    actor: User | None,
) -> Country:
    country = await session.scalar(select(Country).where(Country.name == name))
    if country is None:
        country = Country(name=name, **{f: bool((flags or {}).get(f, False)) for f in COUNTRY_FLAGS})
        session.add(country)
        await session.flush()
        summary.countries += 1
        await record(session, actor, "telegram_country", str(country.id), "import", {"name": [None, name]})
    elif flags is not None:
        changes = {f: [getattr(country, f), v] for f, v in flags.items() if getattr(country, f) != v}
        for name_, (_old, new) in changes.items():
            setattr(country, name_, new)
        if changes:
            summary.countries += 1
            await record(session, actor, "telegram_country", str(country.id), "import", changes)
    return country


async def _upsert(
    session: AsyncSession,
    model: Any,
    where: list[Any],
    start: datetime,
    end: datetime,
    prices: dict[str, Decimal],
    label: str,
    summary: ImportSummary,
    actor: User | None,
    extra: dict[str, Any] | None = None,
) -> None:
    """Same interval: prices updated if they differ; overlapping another: an error, nothing changed."""
    if not start < end:
        summary.errors.append(f"{label}: the interval must end after it starts")
        return
    existing = await session.scalar(select(model).where(*where, model.valid_from == start, model.valid_to == end))
    if existing is None:
        clash = await session.scalar(
            select(model).where(*where, model.valid_from < end, model.valid_to > start).limit(1)
        )
        if clash is not None:
            summary.errors.append(
                f"{label}: overlaps the interval {clash.valid_from:%Y-%m-%d} – {clash.valid_to:%Y-%m-%d}"
            )
            return
        row = model(valid_from=start, valid_to=end, **prices, **(extra or {}))
        session.add(row)
        await session.flush()
        summary.created += 1
        await record(
            session,
            actor,
            model.__tablename__.rstrip("s"),
            str(row.id),
            "import",
            {k: [None, v] for k, v in prices.items()},
        )
        return
    changes = {k: [getattr(existing, k), v] for k, v in prices.items() if Decimal(getattr(existing, k)) != v}
    if not changes:
        summary.unchanged += 1
        return
    for name, (_old, new) in changes.items():
        setattr(existing, name, new)
    summary.updated += 1
    await record(session, actor, model.__tablename__.rstrip("s"), str(existing.id), "import", changes)


async def import_fixture(session: AsyncSession, content: bytes, actor: User | None = None) -> ImportSummary:
    """The old tool's ``tariffs.django-fixture.json`` as it is."""
    try:
        items = json.loads(content.decode("utf-8-sig"))
        if not isinstance(items, list):
            raise TypeError
    except (UnicodeDecodeError, json.JSONDecodeError, TypeError):
        raise TariffImportError("not a Django fixture: expected a JSON list of {model, pk, fields}") from None
    summary = ImportSummary()
    country_by_pk: dict[Any, Country] = {}
    ordered = sorted(items, key=lambda i: {"tlgtarif.country": 0}.get(str(i.get("model")), 1))
    for item in ordered:
        model, fields_ = str(item.get("model", "")), item.get("fields") or {}
        label = f"{model} pk={item.get('pk')}"
        try:
            if model == "tlgtarif.country":
                flags = {ours: bool(fields_.get(theirs)) for theirs, ours in FIXTURE_FLAGS.items()}
                country_by_pk[item.get("pk")] = await _country(
                    session, str(fields_["name_country"]).strip(), flags, summary, actor
                )
            elif model == "tlgtarif.tlgtarif":
                prices = {ours: _decimal(fields_[theirs]) for theirs, ours in FIXTURE_RUSSIAN.items()}
                start, end = (
                    _fixture_instant(fields_["date_begin"]),
                    exclusive_end(_fixture_instant(fields_["date_end"])),
                )
                await _upsert(session, RussianTariff, [], start, end, prices, label, summary, actor)
            elif model == "tlgtarif.tlgtarifcountry":
                country = country_by_pk.get(fields_.get("country"))
                if country is None:
                    summary.errors.append(f"{label}: unknown country {fields_.get('country')}")
                    continue
                prices = {k: _decimal(fields_[k]) for k in ("word_ordinary", "word_urgent")}
                start, end = (
                    _fixture_instant(fields_["date_begin"]),
                    exclusive_end(_fixture_instant(fields_["date_end"])),
                )
                await _upsert(
                    session,
                    CountryTariff,
                    [CountryTariff.country_id == country.id],
                    start,
                    end,
                    prices,
                    label,
                    summary,
                    actor,
                    {"country_id": country.id},
                )
            else:
                summary.errors.append(f"{label}: unknown model")
        except (KeyError, ValueError, InvalidOperation, TypeError) as exc:
            summary.errors.append(f"{label}: bad or missing field ({type(exc).__name__}: {exc})")
    return summary


SHEET_COLUMNS = ("country", "valid_from", "valid_to", *RUSSIAN_PRICE_FIELDS, *COUNTRY_FLAGS)


MAX_SHEET_ROWS = 10_000  # a tariff sheet has tens of rows


def _sheet_rows(content: bytes, filename: str) -> list[dict[str, str]]:
    if filename.lower().endswith(".xlsx"):
        from itertools import islice

        from openpyxl import load_workbook

        from crm.lib.uploads import UnsafeUpload, check_xlsx

        try:
            check_xlsx(content)
        except UnsafeUpload as exc:
            raise TariffImportError(str(exc)) from None
        try:
            sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).active
        except Exception as exc:  # openpyxl raises many kinds for a broken file
            raise TariffImportError(f"not a readable XLSX file ({type(exc).__name__})") from None
        rows = [
            ["" if v is None else str(v) for v in row]
            for row in islice(sheet.iter_rows(values_only=True), MAX_SHEET_ROWS)
        ]
    else:
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = content.decode("cp1251")
        first = text.split("\n", 1)[0]
        rows = list(csv.reader(io.StringIO(text), delimiter=";" if first.count(";") >= first.count(",") else ","))
    if not rows:
        raise TariffImportError("the file is empty")
    header = [h.strip().lower() for h in rows[0]]
    if "valid_from" not in header or "valid_to" not in header:
        raise TariffImportError("the header must name valid_from and valid_to (see the tariff sheet export)")
    return [
        dict(zip(header, (c.strip() for c in row), strict=False)) for row in rows[1:] if any(c.strip() for c in row)
    ]


async def import_sheet(
    session: AsyncSession, content: bytes, filename: str, actor: User | None = None
) -> ImportSummary:
    """A CSV/XLSX tariff sheet: a row without country (or Россия) is a Russian tariff, else a country's."""
    summary = ImportSummary()
    for line, row in enumerate(_sheet_rows(content, filename), 2):
        label = f"line {line}"
        try:
            start, end = parse_instant(row.get("valid_from", "")), parse_instant(row.get("valid_to", ""))
            name = (row.get("country") or "").strip()
            if not name or name.casefold() in {RUSSIA.casefold(), "russia"}:
                prices = {k: _decimal(row[k]) for k in RUSSIAN_PRICE_FIELDS}
                await _upsert(session, RussianTariff, [], start, end, prices, label, summary, actor)
            else:
                flags = {f: row[f].lower() in {"1", "true", "yes", "да"} for f in COUNTRY_FLAGS if row.get(f)}
                country = await _country(session, name, flags or None, summary, actor)
                prices = {k: _decimal(row[k]) for k in ("word_ordinary", "word_urgent")}
                await _upsert(
                    session,
                    CountryTariff,
                    [CountryTariff.country_id == country.id],
                    start,
                    end,
                    prices,
                    label,
                    summary,
                    actor,
                    {"country_id": country.id},
                )
        except QuoteError:
            summary.errors.append(f"{label}: dates must be YYYY-MM-DD")
        except (KeyError, InvalidOperation, ValueError) as exc:
            summary.errors.append(f"{label}: missing or bad price ({exc})")
    return summary


async def import_file(session: AsyncSession, content: bytes, filename: str, actor: User | None = None) -> ImportSummary:
    if filename.lower().endswith(".json"):
        return await import_fixture(session, content, actor)
    return await import_sheet(session, content, filename, actor)
