"""Import of tariffs: old tool's Django fixture and a CSV/XLSX tariff sheet; a re-import changes nothing."""

from __future__ import annotations

import codecs
import csv
import io
import json
from bisect import bisect_left
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, BinaryIO

import anyio.to_thread
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts.models import User
from crm.features.accounts.services import record
from crm.features.tariffs.models import Country, CountryTariff, RussianTariff
from crm.features.tariffs.pricing import RUSSIA, QuoteError
from crm.features.tariffs.tariffs import COUNTRY_FLAGS, RUSSIAN_PRICE_FIELDS, parse_instant
from crm.lib.i18n import N_
from crm.lib.uploads import UnsafeUpload, check_xlsx

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


def _decimal(value: Any) -> Decimal:
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


class _Writer:
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
    writer = _Writer(session, actor, summary)
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
                prices = {ours: _decimal(fields_[theirs]) for theirs, ours in FIXTURE_RUSSIAN.items()}
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
                prices = {k: _decimal(fields_[k]) for k in ("word_ordinary", "word_urgent")}
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


# --------------------------------------------------------------------------- a CSV or XLSX sheet


SHEET_COLUMNS = ("country", "valid_from", "valid_to", *RUSSIAN_PRICE_FIELDS, *COUNTRY_FLAGS)
Rows = Callable[[], Iterator[list[str]]]


def _stream(content: bytes | BinaryIO) -> BinaryIO:
    return io.BytesIO(content) if isinstance(content, bytes) else content


def _csv_encoding(stream: BinaryIO) -> str:
    """UTF-8 (with or without BOM) or Windows-1251, read through in chunks; binary data is refused."""
    stream.seek(0)
    utf8 = codecs.getincrementaldecoder("utf-8-sig")()
    cp1251 = codecs.getincrementaldecoder("cp1251")()
    ok = {"utf-8-sig": True, "cp1251": True}
    while chunk := stream.read(1 << 16):
        if b"\x00" in chunk:
            raise TariffImportError(N_("The file is not a text CSV: it holds binary data."))
        for name, decoder in (("utf-8-sig", utf8), ("cp1251", cp1251)):
            if ok[name]:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    ok[name] = False
        if not (ok["utf-8-sig"] or ok["cp1251"]):
            break
    stream.seek(0)
    if ok["utf-8-sig"]:
        return "utf-8-sig"
    if ok["cp1251"]:
        return "cp1251"
    raise TariffImportError(N_("The file is not a text CSV: it holds binary data."))


def _csv_rows(stream: BinaryIO) -> Rows:
    encoding = _csv_encoding(stream)

    def lines() -> Iterator[str]:
        stream.seek(0)
        text = io.TextIOWrapper(stream, encoding=encoding, newline="")
        try:
            number = 0
            while line := text.readline(MAX_LINE_CHARS + 1):
                number += 1
                if len(line) > MAX_LINE_CHARS:
                    raise TariffImportError(
                        N_("Line %(line)s is longer than %(limit)s characters: a field is longer than a tariff holds."),
                        line=number,
                        limit=f"{MAX_LINE_CHARS:,}",
                    )
                yield line
        finally:
            text.detach()  # the stream belongs to the caller

    def rows() -> Iterator[list[str]]:
        first = next(lines(), "")
        delimiter = ";" if first.count(";") >= first.count(",") else ","
        reader = csv.reader(lines(), delimiter=delimiter)
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error:
                raise TariffImportError(N_("Line %(line)s is not readable as CSV."), line=reader.line_num) from None
            yield row

    return rows


def _xlsx_rows(stream: BinaryIO) -> Rows:
    content = stream.read(MAX_FILE_BYTES + 1)
    try:
        check_xlsx(content)
    except UnsafeUpload as exc:
        raise TariffImportError(N_("Not a readable XLSX file: %(reason)s."), reason=str(exc)) from None

    def rows() -> Iterator[list[str]]:
        try:
            book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
            sheet = book.active
            if sheet is None:
                return
            for row in sheet.iter_rows(values_only=True):
                yield ["" if v is None else str(v) for v in row]
        except TariffImportError:
            raise
        except Exception as exc:  # openpyxl raises many kinds for a broken file
            raise TariffImportError(N_("Not a readable XLSX file: %(reason)s."), reason=type(exc).__name__) from None

    return rows


def _check_sheet(rows: Rows) -> list[str]:
    """The first pass, before anything is written: the header, the size of every cell and the number of rows
    (a file past the cap is refused as soon as the cap is passed, without reading the rest). Returns the header."""
    header: list[str] | None = None
    count = 0
    for number, row in enumerate(rows(), 1):
        for cell in row:
            if len(cell) > MAX_FIELD_CHARS:
                raise TariffImportError(
                    N_("Line %(line)s: a field is longer than %(limit)s characters: not a tariff sheet."),
                    line=number,
                    limit=f"{MAX_FIELD_CHARS:,}",
                )
        if header is None:
            header = [h.strip().lower() for h in row]
            continue
        if any(c.strip() for c in row):
            count += 1
            if count > MAX_SHEET_ROWS:
                raise TariffImportError(
                    N_("The file has more than %(limit)s rows; a tariff file has at most a few thousand."),
                    limit=f"{MAX_SHEET_ROWS:,}",
                )
    if header is None:
        raise TariffImportError(N_("The file is empty."))
    if "valid_from" not in header or "valid_to" not in header:
        raise TariffImportError(N_("The header must name valid_from and valid_to (see the tariff sheet export)."))
    return header


async def _sheet_row(writer: _Writer, row: dict[str, str], label: str) -> None:
    start, end = parse_instant(row.get("valid_from", "")), parse_instant(row.get("valid_to", ""))
    name = (row.get("country") or "").strip()
    if not name or name.casefold() in {RUSSIA.casefold(), "russia"}:
        prices = {k: _decimal(row[k]) for k in RUSSIAN_PRICE_FIELDS}
        await writer.upsert(RussianTariff, None, start, end, prices, label)
        return
    if len(name) > 80:
        raise ValueError("the country's name is longer than 80 characters")
    flags = {f: row[f].lower() in {"1", "true", "yes", "да"} for f in COUNTRY_FLAGS if row.get(f)}
    country = await writer.country(name, flags or None)
    prices = {k: _decimal(row[k]) for k in ("word_ordinary", "word_urgent")}
    await writer.upsert(CountryTariff, country, start, end, prices, label)


async def import_sheet(
    session: AsyncSession, content: bytes | BinaryIO, filename: str, actor: User | None = None
) -> ImportSummary:
    """A CSV/XLSX tariff sheet: a row without country (or Россия) is a Russian tariff, else a country's. The file
    is read as a stream twice: checked whole first (refused before anything is written), then imported in
    batches; the parsing of the check runs off the event loop."""
    stream = _stream(content)
    rows = _xlsx_rows(stream) if filename.lower().endswith(".xlsx") else _csv_rows(stream)
    header = await anyio.to_thread.run_sync(_check_sheet, rows)
    summary = ImportSummary()
    writer = _Writer(session, actor, summary)
    for line, cells in enumerate(rows(), 1):
        if line == 1 or not any(c.strip() for c in cells):
            continue
        row = dict(zip(header, (c.strip() for c in cells), strict=False))
        label = f"line {line}"
        try:
            await _sheet_row(writer, row, label)
        except QuoteError:
            summary.error(f"{label}: dates must be YYYY-MM-DD")
        except (KeyError, InvalidOperation, ValueError) as exc:
            summary.error(f"{label}: missing or bad price ({str(exc)[:120]})")
    await writer.flush()
    return summary


async def import_file(
    session: AsyncSession, content: bytes | BinaryIO, filename: str, actor: User | None = None
) -> ImportSummary:
    if filename.lower().endswith(".json"):
        stream = _stream(content)
        return await import_fixture(session, stream.read(MAX_FILE_BYTES + 1), actor)
    return await import_sheet(session, content, filename, actor)
