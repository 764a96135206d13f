"""CSV and XLSX of any list: exactly the filtered rows, with spreadsheet formulas neutralised."""

from __future__ import annotations

import io
import re
import tempfile
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, BinaryIO

from litestar import Response
from litestar.response import Stream
from openpyxl import Workbook
from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.lib.i18n import get_locale, local_tz

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\0")
XLSX_MEDIA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class ExportColumn:
    label: str
    value: Callable[[Any], Any]


def neutralise(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe (OWASP CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(local_tz()).replace(tzinfo=None)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return ""
    if isinstance(value, (int, float, Decimal, date)):
        return value
    return neutralise(str(value))


def _csv_field(value: Any) -> str:
    """Text is quoted when it holds either separator (``,`` or ``;``), a quote or a line break, whichever the file
    uses: an importer that guesses the separator is not misled by the text."""
    text = str(value)
    if any(ch in text for ch in ',;"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _csv_header(columns: Sequence[ExportColumn], delimiter: str) -> str:
    return delimiter.join(_csv_field(neutralise(c.label)) for c in columns)


def _csv_line(row: Any, columns: Sequence[ExportColumn], delimiter: str, decimal_comma: bool) -> str:
    out = []
    for column in columns:
        value = _cell(column.value(row))
        if isinstance(value, datetime):
            value = value.strftime("%Y-%m-%d %H:%M")
        elif isinstance(value, Decimal | float):  # a number is never quoted: a spreadsheet reads it as a number
            out.append(str(value).replace(".", ",") if decimal_comma else str(value))
            continue
        out.append(_csv_field(value))
    return delimiter.join(out)


def csv_bytes(
    rows: Iterable[Any], columns: Sequence[ExportColumn], *, delimiter: str = ",", decimal_comma: bool = False
) -> bytes:
    """UTF-8 with a byte-order mark (Excel reads it as UTF-8), CRLF line ends."""
    lines = [_csv_header(columns, delimiter)]
    lines += [_csv_line(row, columns, delimiter, decimal_comma) for row in rows]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def csv_dialect() -> dict[str, Any]:
    """The separators a spreadsheet of the user's language expects: ``;`` and a decimal comma in Russian."""
    if get_locale() == "ru":
        return {"delimiter": ";", "decimal_comma": True}
    return {"delimiter": ",", "decimal_comma": False}


def xlsx_bytes(rows: Iterable[Any], columns: Sequence[ExportColumn], title: str = "Sheet") -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_sheet_title(title))
    sheet.append([c.label for c in columns])
    for row in rows:
        sheet.append([_cell(c.value(row)) for c in columns])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sheet_title(title: str) -> str:
    return re.sub(r"[\[\]:*?/\\]", " ", title)[:31] or "Sheet"


def safe_filename(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "export"


def export_response(rows: Iterable[Any], columns: Sequence[ExportColumn], name: str, fmt: str) -> Response[bytes]:
    filename = safe_filename(name)
    if fmt == "xlsx":
        body, media, ext = xlsx_bytes(rows, columns, title=name), XLSX_MEDIA, "xlsx"
    else:
        # Litestar adds "; charset=utf-8" to the media type.
        body, media, ext = csv_bytes(rows, columns, **csv_dialect()), "text/csv", "csv"
    return Response(
        content=body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{filename}.{ext}"'},
    )


# --------------------------------------------------------------------------- streamed exports of whole lists

# Columns, or a function that makes them for one batch of rows (names of linked people, figures...) in one query.
Columns = Sequence[ExportColumn] | Callable[[AsyncSession, Sequence[Any]], Awaitable[Sequence[ExportColumn]]]
BATCH = 2000


Batch = tuple[Sequence[ExportColumn], Sequence[Any]]


class Download(Stream):
    """A streamed file whose own media type wins: Litestar's ``Stream`` lets the handler's default media type
    (JSON for a handler typed ``Any``) override the one given to it."""

    def to_asgi_response(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["media_type"] = self.media_type
        return super().to_asgi_response(*args, **kwargs)


async def _stream(session: AsyncSession, stmt: Select[Any]) -> Any:
    """A server-side cursor over the query: entities when it selects one, Row objects when it selects several."""
    stmt = stmt.execution_options(yield_per=BATCH)
    if len(stmt.column_descriptions) == 1:
        return await session.stream_scalars(stmt)
    return await session.stream(stmt)


async def _open_batches(config: Any, stmt: Select[Any], columns: Columns) -> AsyncGenerator[Batch, None]:
    """The rows of ``stmt`` in batches on a session of their own (the request's is closed when the body streams),
    through a server-side cursor: memory stays flat whatever the number of rows. The query runs and the first
    batch is read before the response starts (``anext`` in ``export_stream``), so bad input still answers 422."""
    async with config.get_session() as session:
        result = await _stream(session, stmt)
        empty = True
        async for part in result.partitions(BATCH):
            empty = False
            yield (await columns(session, part) if callable(columns) else columns), part
        if empty:
            yield (await columns(session, []) if callable(columns) else columns), []


async def _started(config: Any, stmt: Select[Any], columns: Columns) -> AsyncIterator[Batch]:
    """The batches, with the first one already read (errors of the query raise here, in the handler)."""
    batches = _open_batches(config, stmt, columns)
    try:
        first = await anext(batches)
    except BaseException:
        await batches.aclose()
        raise

    async def rest() -> AsyncIterator[Batch]:
        try:
            yield first
            async for batch in batches:
                yield batch
        finally:
            await batches.aclose()

    return rest()


async def export_stream(request: Any, stmt: Select[Any], columns: Columns, name: str, fmt: str) -> Response[Any]:
    """Every row of an ordered query as CSV (streamed line by line) or XLSX (written row by row to a temporary
    file, then sent): no cap on the number of rows and no list of them in memory."""
    config = request.app.state.alchemy
    filename = safe_filename(name)
    if fmt == "xlsx":
        return Download(
            _xlsx_chunks(await _started(config, stmt, columns), name),
            media_type=XLSX_MEDIA,
            headers={"Content-Disposition": f'attachment; filename="{filename}.xlsx"'},
        )
    dialect = csv_dialect()
    batches = await _started(config, stmt, columns)

    async def lines() -> AsyncIterator[bytes]:
        header = True
        async for cols, part in batches:
            chunk = []
            if header:
                chunk.append("\ufeff" + _csv_header(cols, dialect["delimiter"]))
                header = False
            chunk += [_csv_line(row, cols, dialect["delimiter"], dialect["decimal_comma"]) for row in part]
            if chunk:
                yield ("\r\n".join(chunk) + "\r\n").encode("utf-8")

    return Download(
        lines(),
        media_type="text/csv",  # Litestar adds "; charset=utf-8"
        headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'},
    )


async def write_file(
    session: AsyncSession,
    stmt: Select[Any],
    columns: Columns,
    name: str,
    fmt: str,
    out: BinaryIO,
    progress: Callable[[int], Awaitable[None]] | None = None,
) -> int:
    """Every row of an ordered query written to ``out`` as the rows arrive (a server-side cursor in batches; CSV
    in the user's spreadsheet conventions, XLSX in write-only mode): the worker's export of a big list. Calls
    ``progress(rows written)`` after each batch; returns the number of rows."""
    written = 0
    dialect = csv_dialect()
    workbook = sheet = None
    if fmt == "xlsx":
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(title=_sheet_title(name))
    header = True
    result = await _stream(session, stmt)
    async for part in result.partitions(BATCH):
        cols = await columns(session, part) if callable(columns) else columns
        if header:
            _write_header(out, sheet, cols, dialect)
            header = False
        for row in part:
            if sheet is not None:
                sheet.append([_cell(c.value(row)) for c in cols])
            else:
                out.write((_csv_line(row, cols, dialect["delimiter"], dialect["decimal_comma"]) + "\r\n").encode())
        written += len(part)
        if progress is not None:
            await progress(written)
    if header:
        _write_header(out, sheet, await columns(session, []) if callable(columns) else columns, dialect)
    if workbook is not None:
        workbook.save(out)
    return written


def _write_header(out: BinaryIO, sheet: Any, cols: Sequence[ExportColumn], dialect: dict[str, Any]) -> None:
    if sheet is not None:
        sheet.append([c.label for c in cols])
    else:
        out.write(("\ufeff" + _csv_header(cols, dialect["delimiter"]) + "\r\n").encode())


async def _xlsx_chunks(batches: AsyncIterator[Batch], title: str) -> AsyncIterator[bytes]:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_sheet_title(title))
    header = True
    async for cols, part in batches:
        if header:
            sheet.append([c.label for c in cols])
            header = False
        for row in part:
            sheet.append([_cell(c.value(row)) for c in cols])
    with tempfile.TemporaryFile() as out:
        workbook.save(out)
        out.seek(0)
        while chunk := out.read(256 * 1024):
            yield chunk
