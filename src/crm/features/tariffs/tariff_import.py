"""Import of tariffs: the writer every import goes through (a re-import changes nothing), its limits and summary,
and the old tool's Django fixture. A CSV/XLSX sheet and the choice by file name: ``tariff_files``."""

from __future__ import annotations

import json
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts.models import User
from crm.features.accounts.services import record
from crm.features.tariffs.models import Country, CountryTariff, RussianTariff
from crm.features.tariffs.tariffs import COUNTRY_FLAGS
from crm.lib.i18n import N_

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


MAX_FILE_BYTES = 10 * 1024 * 1024  # a tariff file is a few kilobytes; the fixture of the old tool 20 KB
MAX_SHEET_ROWS = 20_000  # a tariff sheet has at most a few thousand rows (one per tariff and interval)
MAX_LINE_CHARS = 20_000  # one line of a CSV sheet (about 25 short cells)
MAX_FIELD_CHARS = 1_000  # one cell: a date, a price, a flag or a country's name
MAX_ERRORS = 200  # errors listed; the rest are counted
BATCH = 500  # rows written to the database in one flush


class TariffImportError(ValueError):
    """The file cannot be read at all; ``message`` (with ``params``) is a msgid translated where shown."""

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message % params if params else message)
        self.message, self.params = message, params


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    countries: int = 0
    errors: list[str] = field(default_factory=list)
    failed: int = 0

    def error(self, message: str) -> None:
        self.failed += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(message)

    def lines(self) -> list[str]:
        head = (
            f"{self.created} tariffs created, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.countries} countries new or changed, {self.failed} errors"
        )
        more = [f"… and {self.failed - len(self.errors)} more errors"] if self.failed > len(self.errors) else []
        return [head, *self.errors, *more]


def sheet_decimal(value: Any) -> Decimal:
    text = str(value).strip().replace(",", ".").replace("\u00a0", "").replace(" ", "")
    result = Decimal(text)
    if not result.is_finite() or result < 0 or result >= 10**9:
        raise InvalidOperation
    return result


def exclusive_end(inclusive: datetime) -> datetime:
    """The old tool stored the last minute or second of an interval (``20:59:59``); ours ends exclusively."""
    return inclusive.replace(second=0, microsecond=0) + timedelta(minutes=1)


def _fixture_instant(raw: str) -> datetime:
    return datetime.fromisoformat(raw.replace("Z", "+00:00"))


# --------------------------------------------------------------------------- writing, in batches


class TariffWriter:
    """Tariffs checked against the stored ones and the file's earlier rows in memory (intervals of one tariff are
    kept sorted, so a clash is found by bisection), written and audited ``BATCH`` rows at a time: a sheet of
    thousands of rows costs a few dozen statements, not several a row."""

    def __init__(self, session: AsyncSession, actor: User | None, summary: ImportSummary) -> None:
        self.session, self.actor, self.summary = session, actor, summary
        self.countries: dict[str, Country] | None = None
        self.starts: dict[str, list[datetime]] = {}
        self.rows: dict[str, list[Any]] = {}
        self.audits: list[tuple[str, Any, dict[str, Any]]] = []
        self.pending = 0

    async def country(self, name: str, flags: dict[str, bool] | None) -> Country:
        if self.countries is None:
            self.countries = {c.name: c for c in (await self.session.scalars(select(Country))).all()}
        country = self.countries.get(name)
        if country is None:
            country = Country(name=name[:80], **{f: bool((flags or {}).get(f, False)) for f in COUNTRY_FLAGS})
            self.session.add(country)
            self.countries[name] = country
            self.summary.countries += 1
            self.audits.append(("telegram_country", country, {"name": [None, name]}))
            await self._step()
        elif flags is not None:
            changes = {f: [getattr(country, f), v] for f, v in flags.items() if getattr(country, f) != v}
            for name_, (_old, new) in changes.items():
                setattr(country, name_, new)
            if changes:
                self.summary.countries += 1
                self.audits.append(("telegram_country", country, changes))
                await self._step()
        return country

    async def _intervals(self, model: Any, country: Country | None) -> tuple[list[datetime], list[Any]]:
        key = f"country:{country.name}" if country is not None else "russia"
        if key not in self.rows:
            stored: list[Any] = []
            if model is RussianTariff:
                stored = list((await self.session.scalars(select(RussianTariff))).all())
            elif country is not None and country.id is not None:
                stmt = select(CountryTariff).where(CountryTariff.country_id == country.id)
                stored = list((await self.session.scalars(stmt)).unique().all())
            stored.sort(key=lambda r: r.valid_from)
            self.rows[key], self.starts[key] = stored, [r.valid_from for r in stored]
        return self.starts[key], self.rows[key]

    async def upsert(
        self,
        model: Any,
        country: Country | None,
        start: datetime,
        end: datetime,
        prices: dict[str, Decimal],
        label: str,
    ) -> None:
        """Same interval: prices updated if they differ; overlapping another: an error, nothing changed."""
        if not start < end:
            self.summary.error(f"{label}: the interval must end after it starts")
            return
        starts, rows = await self._intervals(model, country)
        at = bisect_left(starts, start)
        if at < len(rows) and rows[at].valid_from == start and rows[at].valid_to == end:
            existing = rows[at]
            changes = {k: [getattr(existing, k), v] for k, v in prices.items() if Decimal(getattr(existing, k)) != v}
            if not changes:
                self.summary.unchanged += 1
                return
            for name, (_old, new) in changes.items():
                setattr(existing, name, new)
            self.summary.updated += 1
            self.audits.append((model.__tablename__.rstrip("s"), existing, changes))
            await self._step()
            return
        before = bisect_left(starts, end) - 1  # the last interval that starts before this one ends
        for i in (before, at):
            if 0 <= i < len(rows) and rows[i].valid_from < end and rows[i].valid_to > start:
                self.summary.error(
                    f"{label}: overlaps the interval {rows[i].valid_from:%Y-%m-%d} – {rows[i].valid_to:%Y-%m-%d}"
                )
                return
        row = model(valid_from=start, valid_to=end, **prices, **({"country": country} if country else {}))
        self.session.add(row)
        starts.insert(at, start)
        rows.insert(at, row)
        self.summary.created += 1
        self.audits.append((model.__tablename__.rstrip("s"), row, {k: [None, v] for k, v in prices.items()}))
        await self._step()

    async def _step(self) -> None:
        self.pending += 1
        if self.pending >= BATCH:
            await self.flush()

    async def flush(self) -> None:
        """Write what is pending (one INSERT of many rows per table), then audit it with the new ids."""
        await self.session.flush()
        for entity, row, changes in self.audits:
            await record(self.session, self.actor, entity, str(row.id), "import", changes)
        self.audits, self.pending = [], 0


# --------------------------------------------------------------------------- the old tool's fixture


def _fixture_items(content: bytes) -> list[dict[str, Any]]:
    """The fixture's items, each checked to be ``{model, pk, fields}`` with plain values before anything is
    written: a file of any other shape is refused as a whole."""
    if len(content) > MAX_FILE_BYTES:
        raise TariffImportError(N_("The file is larger than %(mb)s MB."), mb=MAX_FILE_BYTES // 2**20)
    try:
        items = json.loads(content.decode("utf-8-sig"))
    except RecursionError:
        raise TariffImportError(N_("The JSON is nested too deeply for a tariff fixture.")) from None
    except (UnicodeDecodeError, ValueError):  # not JSON, not UTF-8, a number of thousands of digits
        raise TariffImportError(N_("Not a Django fixture: expected a JSON list of {model, pk, fields}.")) from None
    if not isinstance(items, list):
        raise TariffImportError(N_("Not a Django fixture: expected a JSON list of {model, pk, fields}."))
    if len(items) > MAX_SHEET_ROWS:
        raise TariffImportError(
            N_("The file has more than %(limit)s rows; a tariff file has at most a few thousand."),
            limit=f"{MAX_SHEET_ROWS:,}",
        )
    plain = (str, int, float, bool, type(None))
    for n, item in enumerate(items, 1):
        fields_ = item.get("fields") if isinstance(item, dict) else None
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("model"), str)
            or not isinstance(item.get("pk"), plain)
            or not isinstance(fields_, dict)
            or not all(isinstance(v, plain) for v in fields_.values())
        ):
            raise TariffImportError(
                N_("Item %(n)s of the fixture is not an object {model, pk, fields} of plain values."), n=n
            )
    return items


async def import_fixture(session: AsyncSession, content: bytes, actor: User | None = None) -> ImportSummary:
    """The old tool's ``tariffs.django-fixture.json`` as it is."""
    items = _fixture_items(content if isinstance(content, bytes) else content.read(MAX_FILE_BYTES + 1))
    summary = ImportSummary()
    writer = TariffWriter(session, actor, summary)
    country_by_pk: dict[Any, Country] = {}
    ordered = sorted(items, key=lambda i: {"tlgtarif.country": 0}.get(str(i.get("model")), 1))
    for item in ordered:
        model, fields_ = str(item.get("model", "")), item.get("fields") or {}
        label = f"{model} pk={item.get('pk')}"[:120]
        try:
            if model == "tlgtarif.country":
                flags = {ours: bool(fields_.get(theirs)) for theirs, ours in FIXTURE_FLAGS.items()}
                name = str(fields_["name_country"]).strip()
                if not name or len(name) > 80:
                    raise ValueError("name_country is empty or longer than 80 characters")
                country_by_pk[item.get("pk")] = await writer.country(name, flags)
            elif model == "tlgtarif.tlgtarif":
                prices = {ours: sheet_decimal(fields_[theirs]) for theirs, ours in FIXTURE_RUSSIAN.items()}
                start, end = (
                    _fixture_instant(str(fields_["date_begin"])),
                    exclusive_end(_fixture_instant(str(fields_["date_end"]))),
                )
                await writer.upsert(RussianTariff, None, start, end, prices, label)
            elif model == "tlgtarif.tlgtarifcountry":
                country = country_by_pk.get(fields_.get("country"))
                if country is None:
                    summary.error(f"{label}: unknown country {fields_.get('country')}")
                    continue
                prices = {k: sheet_decimal(fields_[k]) for k in ("word_ordinary", "word_urgent")}
                start, end = (
                    _fixture_instant(str(fields_["date_begin"])),
                    exclusive_end(_fixture_instant(str(fields_["date_end"]))),
                )
                await writer.upsert(CountryTariff, country, start, end, prices, label)
            else:
                summary.error(f"{label}: unknown model")
        except (KeyError, ValueError, InvalidOperation, TypeError, OverflowError) as exc:
            summary.error(f"{label}: bad or missing field ({type(exc).__name__}: {str(exc)[:120]})")
    await writer.flush()
    return summary
