"""The telegram journal: who sees which telegrams, the list filters, and the import of the old tool's CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, false, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts.models import User
from crm.features.tariffs.models import Telegram
from crm.features.tariffs.tariffs import local_midnight
from crm.lib.i18n import local_tz
from crm.lib.lists import ListQuery, contains, escape_like

JOURNAL_SORTS = {
    "time": Telegram.inp_gate_date,
    "inp_chan": Telegram.inp_chan,
    "inp_num": Telegram.inp_num,
    "out_chan": Telegram.out_chan,
    "un_name": Telegram.un_name,
    "categ": Telegram.categ,
}
COLUMNS = (
    "un_name",
    "inp_gate_date",
    "inp_chan",
    "inp_num",
    "inp_prz",
    "ref",
    "kn",
    "categ",
    "fl_uved_bool",
    "fl_urgent_bool",
    "pp",
    "address",
    "subscribe",
    "out_gate_date",
    "out_chan",
    "out_num",
    "out_prz",
)
REQUIRED = ("un_name", "inp_gate_date", "inp_chan")
DATA_FIELDS = (
    "inp_gate_date",
    "inp_chan",
    "inp_num",
    "inp_prz",
    "ref",
    "kn",
    "categ",
    "fl_uved",
    "fl_urgent",
    "pp",
    "address",
    "subscribe",
    "out_gate_date",
    "out_chan",
    "out_num",
    "out_prz",
)
BATCH = 5000
MAX_STORED_ERRORS = 200  # rejected rows kept with their reasons; the rest are only counted


def sees_all_telegrams(user: User) -> bool:
    return user.can("billing.manage") or user.can("tariffs.manage")


def office_of(user: User) -> str | None:
    """The channel prefix whose telegrams the user sees; ``None`` means every telegram."""
    if sees_all_telegrams(user):
        return None
    return user.telegraph_prefix or ""


def _like_prefix(value: str) -> str:
    return escape_like(value) + "%"


@dataclass
class JournalFilter:
    date_from: date | None = None
    date_to: date | None = None
    inp_chan: str = ""
    out_chan: str = ""
    inp_num: int | None = None
    out_num: int | None = None
    q: str = ""


def journal_list(user: User | None, f: JournalFilter) -> ListQuery:
    """The journal of the page, its export and the API: newest first unless sorted otherwise."""
    return ListQuery(journal_query(user, f), JOURNAL_SORTS, "-time", Telegram.id)


def journal_query(user: User | None, f: JournalFilter) -> Select[Any]:
    """Telegrams the user may see (office by channel prefix), filtered; row scope is in the WHERE."""
    stmt = select(Telegram)
    office = office_of(user) if user is not None else None
    if office is not None:
        stmt = stmt.where(Telegram.inp_chan.like(_like_prefix(office)) if office else false())
    if f.date_from:
        stmt = stmt.where(Telegram.inp_gate_date >= local_midnight(f.date_from))
    if f.date_to:
        last = min(f.date_to, date(9998, 12, 31))  # the day after 9999-12-31 does not exist
        stmt = stmt.where(Telegram.inp_gate_date < local_midnight(last + timedelta(days=1)))
    if f.inp_chan:
        stmt = stmt.where(Telegram.inp_chan.like(_like_prefix(f.inp_chan)))
    if f.out_chan:
        stmt = stmt.where(Telegram.out_chan.like(_like_prefix(f.out_chan)))
    if f.inp_num is not None:
        stmt = stmt.where(Telegram.inp_num == f.inp_num)
    if f.out_num is not None:
        stmt = stmt.where(Telegram.out_num == f.out_num)
    if f.q:
        pattern = contains(f.q)
        stmt = stmt.where(
            or_(
                Telegram.address.ilike(pattern),
                Telegram.subscribe.ilike(pattern),
                Telegram.pp.ilike(pattern),
                Telegram.un_name.ilike(pattern),
            )
        )
    return stmt


async def get_visible(session: AsyncSession, user: User, un_name: str) -> Telegram | None:
    stmt = journal_query(user, JournalFilter()).where(Telegram.un_name == un_name)
    return await session.scalar(stmt)


# --------------------------------------------------------------------------- import


class JournalImportError(ValueError):
    """The file cannot be read at all (not CSV, no header, wrong columns)."""


@dataclass
class JournalSummary:
    """The outcome of an import: counts, and the first ``MAX_STORED_ERRORS`` rejected rows with their reasons
    (``rejected`` counts them all, so a file of a million bad rows stores a few kilobytes)."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    rejected: int = 0
    encoding: str = ""
    delimiter: str = ""

    def reject(self, line: int, message: str) -> None:
        self.rejected += 1
        if len(self.errors) < MAX_STORED_ERRORS:
            self.errors.append((line, message[:300]))

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "errors": [{"line": line, "message": message} for line, message in self.errors],
            "encoding": self.encoding,
            "delimiter": self.delimiter,
        }

    def lines(self) -> list[str]:
        head = (
            f"{self.rows} rows ({self.encoding}, '{self.delimiter}'): {self.created} new, "
            f"{self.updated} updated, "
            f"{self.unchanged} unchanged, {self.rejected} rejected"
        )
        more = self.rejected - len(self.errors)
        tail = [f"  … and {more} more rejected rows"] if more > 0 else []
        return [head, *(f"  line {line}: {message}" for line, message in self.errors), *tail]


def decode(content: bytes) -> tuple[str, str]:
    """UTF-8 (with or without BOM) when it decodes, else Windows-1251."""
    if content.startswith(b"\xef\xbb\xbf"):
        return content[3:].decode("utf-8", errors="replace"), "utf-8"
    try:
        return content.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return content.decode("cp1251", errors="replace"), "cp1251"


def _instant(raw: str) -> datetime:
    moment = datetime.fromisoformat(raw.strip())
    return moment if moment.tzinfo else moment.replace(tzinfo=local_tz())


def _int(raw: str | None) -> int | None:
    raw = (raw or "").strip()
    return int(raw) if raw else None


def _bool(raw: str | None) -> bool:
    value = (raw or "").strip().lower()
    if value in {"1", "true", "t", "yes", "да"}:
        return True
    if value in {"", "0", "false", "f", "no", "нет"}:
        return False
    raise ValueError(f"'{raw}' is not a 0/1 flag")


def _check_text(row: dict[Any, Any]) -> None:
    """PostgreSQL cannot store a NUL character, and U+FFFD marks bytes the file's encoding could not read: such a
    row is refused with the field named rather than stored mangled (or failing the whole import)."""
    for name, value in row.items():
        for text_value in value if isinstance(value, list) else [value]:
            if not isinstance(text_value, str):
                continue
            column = name if isinstance(name, str) else "an extra column"
            if "\x00" in text_value:
                raise ValueError(f"{column} contains a NUL character (\\0), which is not text")
            if "\ufffd" in text_value:
                raise ValueError(f"{column} contains bytes that are not text in the file's encoding")


def parse_row(row: dict[str, str]) -> dict[str, Any]:
    """One CSV row as telegram fields; raises ValueError with a reason a person understands."""
    _check_text(row)
    un_name = (row.get("un_name") or "").strip()
    if not un_name or len(un_name) > 64:
        raise ValueError("un_name is empty or longer than 64 characters")
    try:
        inp_gate_date = _instant(row.get("inp_gate_date") or "")
    except ValueError:
        raise ValueError(
            f"inp_gate_date '{row.get('inp_gate_date')}' is not a date-time like 2022-08-01 11:47:34"
        ) from None
    out_raw = (row.get("out_gate_date") or "").strip()
    try:
        out_gate_date = _instant(out_raw) if out_raw else None
    except ValueError:
        raise ValueError(f"out_gate_date '{out_raw}' is not a date-time") from None
    try:
        inp_num, out_num = _int(row.get("inp_num")), _int(row.get("out_num"))
    except ValueError:
        raise ValueError("inp_num and out_num must be whole numbers") from None
    text = {
        k: (row.get(k) or "").strip()
        for k in (
            "inp_chan",
            "inp_prz",
            "ref",
            "kn",
            "categ",
            "pp",
            "address",
            "subscribe",
            "out_chan",
            "out_prz",
        )
    }
    if not text["inp_chan"]:
        raise ValueError("inp_chan is empty")
    for name, limit in (
        ("inp_chan", 32),
        ("out_chan", 32),
        ("kn", 32),
        ("categ", 8),
        ("inp_prz", 120),
        ("out_prz", 120),
        ("ref", 120),
    ):
        if len(text[name]) > limit:
            raise ValueError(f"{name} is longer than {limit} characters")
    return {
        "un_name": un_name,
        "inp_gate_date": inp_gate_date,
        "inp_num": inp_num,
        "out_num": out_num,
        "out_gate_date": out_gate_date,
        "fl_uved": _bool(row.get("fl_uved_bool")),
        "fl_urgent": _bool(row.get("fl_urgent_bool")),
        **text,
    }


def read_rows(content: bytes, summary: JournalSummary) -> Iterator[tuple[int, dict[str, Any]]]:
    """Valid rows with their line numbers; bad rows go to ``summary.errors``."""
    text, summary.encoding = decode(content)
    first = text.split("\n", 1)[0]
    summary.delimiter = ";" if first.count(";") >= first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=summary.delimiter)
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise JournalImportError(
            f"the header lacks {', '.join(missing)}; expected the journal columns {';'.join(COLUMNS)}"
        )
    reader.fieldnames = header
    seen: dict[str, int] = {}
    line = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:  # a field over the csv module's size limit, a broken quote…
            raise JournalImportError(f"line {reader.line_num}: not readable as CSV ({exc})") from None
        line = reader.line_num
        summary.rows += 1
        try:
            data = parse_row(row)
        except ValueError as exc:
            summary.reject(line, str(exc))
            continue
        if data["un_name"] in seen:
            summary.reject(line, f"un_name {data['un_name']} repeats line {seen[data['un_name']]}")
            continue
        seen[data["un_name"]] = line
        yield line, data


STAGE_COLUMNS = ("un_name", *DATA_FIELDS)
STAGE_TABLE = """CREATE TEMP TABLE IF NOT EXISTS telegram_import_stage (
    un_name varchar(64), inp_gate_date timestamptz, inp_chan varchar(32), inp_num integer, inp_prz varchar(120),
    ref varchar(120), kn varchar(32), categ varchar(8), fl_uved boolean, fl_urgent boolean, pp text, address text,
    subscribe text, out_gate_date timestamptz, out_chan varchar(32), out_num integer, out_prz varchar(120)
) ON COMMIT DROP"""
_cols = ", ".join(STAGE_COLUMNS)
_mine = ", ".join(f"telegrams.{c}" for c in DATA_FIELDS)
_theirs = ", ".join(f"EXCLUDED.{c}" for c in DATA_FIELDS)
# Column names are the constants above, never input: the f-string builds fixed SQL.
MERGE = f"""INSERT INTO telegrams (id, created_at, updated_at, {_cols})
SELECT nextval('telegrams_id_seq'), now(), now(), {_cols} FROM telegram_import_stage
ON CONFLICT (un_name) DO UPDATE SET {", ".join(f"{c} = EXCLUDED.{c}" for c in DATA_FIELDS)}, updated_at = now()
WHERE ({_mine}) IS DISTINCT FROM ({_theirs})
RETURNING (xmax = 0)"""  # noqa: S608


async def _write_batch(session: AsyncSession, batch: list[dict[str, Any]], summary: JournalSummary) -> None:
    """COPY the rows into a temporary stage, then one INSERT … ON CONFLICT: new rows inserted, changed rows
    updated, identical rows left alone (their ``updated_at`` too)."""
    await session.execute(text(STAGE_TABLE))
    await session.execute(text("TRUNCATE telegram_import_stage"))
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    await raw.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
        "telegram_import_stage",
        records=[tuple(row[c] for c in STAGE_COLUMNS) for row in batch],
        columns=list(STAGE_COLUMNS),
    )
    flags = (await session.execute(text(MERGE))).scalars().all()
    created = sum(1 for f in flags if f)
    summary.created += created
    summary.updated += len(flags) - created
    summary.unchanged += len(batch) - len(flags)


async def import_journal(
    session: AsyncSession, content: bytes, progress: Callable[[int], None] | None = None
) -> JournalSummary:
    """Insert new telegrams, update changed ones (by ``un_name``); an identical re-import changes nothing."""
    summary = JournalSummary()
    batch: list[dict[str, Any]] = []
    for _line, data in read_rows(content, summary):
        batch.append(data)
        if len(batch) >= BATCH:
            await _write_batch(session, batch, summary)
            if progress:
                progress(len(batch))
            batch = []
    if batch:
        await _write_batch(session, batch, summary)
        if progress:
            progress(len(batch))
    return summary


# --------------------------------------------------------------------------- API edits

EDITABLE = DATA_FIELDS  # every stored field of a telegram but its name can be corrected through the API


async def un_name_taken(session: AsyncSession, un_name: str) -> bool:
    return bool(await session.scalar(select(func.count()).where(Telegram.un_name == un_name)))
