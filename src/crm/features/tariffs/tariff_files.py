"""Importing a tariff file: a CSV or XLSX sheet (its encoding guessed, every row checked before any is written),
or, by its extension, the old tool's JSON fixture (``tariff_import``)."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterator
from decimal import InvalidOperation
from typing import BinaryIO

import anyio.to_thread
from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts.models import User
from crm.features.tariffs.models import CountryTariff, RussianTariff
from crm.features.tariffs.pricing import RUSSIA, QuoteError
from crm.features.tariffs.tariff_import import (
    MAX_FIELD_CHARS,
    MAX_FILE_BYTES,
    MAX_LINE_CHARS,
    MAX_SHEET_ROWS,
    ImportSummary,
    TariffImportError,
    TariffWriter,
    import_fixture,
    sheet_decimal,
)
from crm.features.tariffs.tariffs import COUNTRY_FLAGS, RUSSIAN_PRICE_FIELDS, parse_instant
from crm.lib.i18n import N_
from crm.lib.uploads import UnsafeUpload, check_xlsx

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


async def _sheet_row(writer: TariffWriter, row: dict[str, str], label: str) -> None:
    start, end = parse_instant(row.get("valid_from", "")), parse_instant(row.get("valid_to", ""))
    name = (row.get("country") or "").strip()
    if not name or name.casefold() in {RUSSIA.casefold(), "russia"}:
        prices = {k: sheet_decimal(row[k]) for k in RUSSIAN_PRICE_FIELDS}
        await writer.upsert(RussianTariff, None, start, end, prices, label)
        return
    if len(name) > 80:
        raise ValueError("the country's name is longer than 80 characters")
    flags = {f: row[f].lower() in {"1", "true", "yes", "да"} for f in COUNTRY_FLAGS if row.get(f)}
    country = await writer.country(name, flags or None)
    prices = {k: sheet_decimal(row[k]) for k in ("word_ordinary", "word_urgent")}
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
    writer = TariffWriter(session, actor, summary)
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
