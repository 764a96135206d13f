"""The client-communication report's page: its rows with per-pipeline cells, the count and totals (cached per
filter, scope, day and data version), built from the query of ``communications``."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from litestar.stores.base import Store
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.clients.models import Company, Deal, Pipeline
from crm.features.clients.sync_models import CompanyPipelineFigure, sync_version
from crm.features.org.models import Employee
from crm.features.org.scope import EmployeeScope
from crm.features.reports.communications import (
    Settings,
    load_settings,
    page_rows,
    parse_sort,
    report_query,
    sorted_query,
    staleness,
)
from crm.features.reports.communications_filters import CommFilter, bad
from crm.features.reports.models import CommunicationReportSettings
from crm.lib.i18n import local_tz
from crm.lib.lists import ListQuery

MAX_PAGED_ROWS = 10_000  # pages reach this far into a filter's rows (OFFSET grows with the page); beyond: refine
CACHE_SECONDS = 300  # counts and totals of a filter; a new sync run or a settings change starts afresh


@dataclass
class Cell:
    active_sum: Decimal = Decimal("0")
    won_sum: Decimal = Decimal("0")
    preparation: bool = False
    lost_recently: bool = False

    @property
    def empty(self) -> bool:
        return not (self.active_sum or self.won_sum or self.preparation or self.lost_recently)


@dataclass
class Row:
    company_id: int
    title: str
    inn: str | None
    responsible_id: int | None
    responsible: str
    last_communication_at: datetime | None
    level: str  # "red", "amber" or ""
    days: int | None
    cells: dict[int, Cell]

    @property
    def stale(self) -> bool:
        return self.level == "red"


@dataclass
class Report:
    pipelines: list[Pipeline]
    rows: list[Row]
    total: int
    page: int
    page_size: int
    totals: dict[int, Cell]
    sort: list[tuple[str, bool]]

    @property
    def pages(self) -> int:
        """The pages that can be opened: those of the first ``MAX_PAGED_ROWS`` rows."""
        return max(1, -(-min(self.total, MAX_PAGED_ROWS) // self.page_size))

    @property
    def capped(self) -> bool:
        """More rows match than the pages reach (the page says so: refine the filter, or export)."""
        return self.total > MAX_PAGED_ROWS


async def pipelines(session: AsyncSession, only: int | None = None) -> list[Pipeline]:
    stmt = select(Pipeline).where(Pipeline.active.is_(True)).order_by(Pipeline.sort, Pipeline.id)
    if only is not None:
        stmt = stmt.where(Pipeline.id == only)
    return list((await session.scalars(stmt)).all())


async def _rows(
    session: AsyncSession, records: Sequence[Any], shown: list[Pipeline], settings: Settings, now: datetime
) -> list[Row]:
    ids = [r.id for r in records]
    pipeline_ids = [p.id for p in shown]
    cells: dict[tuple[int, int], Cell] = {}
    if ids and pipeline_ids:
        figures = await session.execute(
            select(
                CompanyPipelineFigure.company_id,
                CompanyPipelineFigure.pipeline_id,
                CompanyPipelineFigure.active_sum,
                CompanyPipelineFigure.won_sum,
                CompanyPipelineFigure.preparation_count,
            ).where(CompanyPipelineFigure.company_id.in_(ids), CompanyPipelineFigure.pipeline_id.in_(pipeline_ids))
        )
        for cid, pid, active, won, prep in figures.all():
            cells[(cid, pid)] = Cell(active or Decimal("0"), won or Decimal("0"), bool(prep))
        today = now.astimezone(local_tz()).date()
        lost = await session.execute(
            select(Deal.company_id, Deal.pipeline_id)
            .where(
                Deal.company_id.in_(ids),
                Deal.pipeline_id.in_(pipeline_ids),
                Deal.semantic == "F",
                Deal.active.is_(True),
                Deal.close_date >= today - timedelta(days=settings.lost_days),
            )
            .distinct()
        )
        for cid, pid in lost.all():
            cells.setdefault((cid, pid), Cell()).lost_recently = True
    people_ids = {r.responsible_id for r in records if r.responsible_id}
    people = {
        e.id: e.full_name
        for e in (await session.scalars(select(Employee).where(Employee.id.in_(people_ids)))).all()
        if people_ids
    }
    out = []
    for r in records:
        level, days = staleness(r.last_communication_at, now, settings.stale_months)
        out.append(
            Row(
                company_id=r.id,
                title=r.title,
                inn=r.inn,
                responsible_id=r.responsible_id,
                responsible=people.get(r.responsible_id or -1, str(r.responsible_id or "")),
                last_communication_at=r.last_communication_at,
                level=level,
                days=days,
                cells={pid: cells.get((r.id, pid), Cell()) for pid in pipeline_ids},
            )
        )
    return out


async def data_version(session: AsyncSession) -> str | None:
    """What the cached counts and totals depend on: the sync runs (every sync and figures rebuild is one) and the
    settings. ``None`` while a run is under way: the figures are moving, nothing is cached then."""
    version = await sync_version(session)
    if version is None:
        return None
    changed = await session.scalar(select(CommunicationReportSettings.updated_at))
    return f"{version}:{changed}"


def cache_key(prefix: str, version: str, *parts: Any) -> str:
    return f"reports:comm:{prefix}:" + hashlib.sha256(repr((version, parts)).encode()).hexdigest()[:40]


async def _count_and_totals(
    session: AsyncSession, stmt: Select[Any], pipeline_ids: list[int]
) -> tuple[int, dict[int, Cell]]:
    total = await session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    totals: dict[int, Cell] = {pid: Cell() for pid in pipeline_ids}
    if pipeline_ids and total:
        filtered = stmt.with_only_columns(Company.id).subquery()
        figure = CompanyPipelineFigure
        sums = await session.execute(
            select(figure.pipeline_id, func.sum(figure.active_sum), func.sum(figure.won_sum))
            .join(filtered, filtered.c.id == figure.company_id)
            .where(figure.pipeline_id.in_(pipeline_ids))
            .group_by(figure.pipeline_id)
        )
        for pid, active, won in sums.all():
            totals[pid] = Cell(active or Decimal("0"), won or Decimal("0"))
    return total, totals


async def report_list(
    session: AsyncSession, flt: CommFilter, scope: EmployeeScope, sort: str = "", now: datetime | None = None
) -> tuple[ListQuery, Callable[[AsyncSession, Sequence[Any]], Awaitable[list[Row]]], list[Pipeline]]:
    """Every filtered company in the report's order, as a list for an export (no cap: streamed or written by the
    worker), with the function that makes report rows of a batch of them and the pipelines shown."""
    now = now or datetime.now(UTC)
    settings = await load_settings(session)
    shown = await pipelines(session, flt.pipeline_id)
    levels = parse_sort(sort, [p.id for p in await pipelines(session)])
    stmt = await report_query(session, flt, scope, settings, now)

    async def rows(session: AsyncSession, records: Sequence[Any]) -> list[Row]:
        return await _rows(session, records, shown, settings, now)

    return ListQuery(sorted_query(stmt, levels), {}, default="", tiebreak=None), rows, shown


async def build(
    session: AsyncSession,
    flt: CommFilter,
    scope: EmployeeScope,
    *,
    sort: str = "",
    page: int = 1,
    page_size: int | None = None,
    now: datetime | None = None,
    store: Store | None = None,
    strict_page: bool = False,
) -> Report:
    """One page of the report with its totals (an export of every filtered row: ``report_list``).

    With a ``store`` the count and the totals of a filter (the expensive part: every filtered company) are
    cached for ``CACHE_SECONDS``, keyed by the filter, the scope, the day and the data version (a new sync run
    or a settings change starts afresh).

    Pages reach the first ``MAX_PAGED_ROWS`` rows of a filter; a page past them is the last one that can be
    opened, or with ``strict_page`` (the API) a 422 naming ``page``."""
    now = now or datetime.now(UTC)
    settings = await load_settings(session)
    shown = await pipelines(session, flt.pipeline_id)
    levels = parse_sort(sort, [p.id for p in await pipelines(session)])
    size = page_size or settings.page_size
    stmt = await report_query(session, flt, scope, settings, now)
    pipeline_ids = [p.id for p in shown]
    version = await data_version(session) if store is not None else None
    key = cache_key("totals", version or "", flt, scope, settings, now.date(), pipeline_ids)
    cached = await store.get(key) if store is not None and version is not None else None
    if cached is not None:
        data = json.loads(cached)
        total = int(data["total"])
        totals = {int(pid): Cell(Decimal(a), Decimal(w)) for pid, (a, w) in data["totals"].items()}
    else:
        total, totals = await _count_and_totals(session, stmt, pipeline_ids)
        if store is not None and version is not None:
            payload = {
                "total": total,
                "totals": {pid: [str(c.active_sum), str(c.won_sum)] for pid, c in totals.items()},
            }
            await store.set(key, json.dumps(payload), expires_in=CACHE_SECONDS)
    last_page = max(1, -(-min(total, MAX_PAGED_ROWS) // size))
    if strict_page and page > last_page and total > MAX_PAGED_ROWS:
        raise bad("page", f"pages reach the first {MAX_PAGED_ROWS} rows only; refine the filter or export")
    page = max(1, min(page, last_page))
    records = await page_rows(session, stmt, levels, size, (page - 1) * size)
    if page == 1 and len(records) < size:
        total = len(records)  # a cached count a few minutes old never contradicts the rows shown
    rows = await _rows(session, records, shown, settings, now)
    return Report(shown, rows, total, page, size, totals, levels)
