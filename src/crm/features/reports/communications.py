"""The client-communication report ("ДПК", spec/reports.md): one row per active company the user may see, with the
last communication, its staleness, and per pipeline the sums of active and won deals; filters, two-level sort,
totals per pipeline of the filtered rows.

Everything is read from the derived figures the sync maintains (``company_figures``,
``company_pipeline_figures``): one count, one page, one totals query and two small look-ups per page, whatever
the page size. The settings (stale months, recently-lost days, page size) are the row of
``CommunicationReportSettings`` an admin edits on the report's page; the defaults below apply without it.
This module holds the settings, staleness and the query with its sorts; ``communications_report`` builds a page.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import BigInteger, ColumnElement, Select, and_, case, cast, exists, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from crm.features.accounts.services import record
from crm.features.clients.models import Company
from crm.features.clients.sync_models import CompanyFigure, CompanyPipelineFigure
from crm.features.org.models import Employee
from crm.features.org.scope import EmployeeScope
from crm.features.org.tree import department_subtree_ids
from crm.features.reports.communications_filters import CommFilter, bad
from crm.features.reports.models import CommunicationReportSettings
from crm.lib.i18n import local_tz
from crm.lib.lists import contains

if TYPE_CHECKING:
    from crm.features.reports.forms import ReportSettingsForm

STALE_MONTHS = 6  # red past this many months without a communication; amber in the month before
LOST_DAYS = 30  # a pipeline cell marks a deal lost within this many days
PAGE_SIZE = 50

# Bitrix24's standard "number of employees" list (companies carry its code): the range each code stands for.
EMPLOYEE_BANDS: dict[str, tuple[int, int]] = {
    "EMPLOYEES_1": (0, 49),
    "EMPLOYEES_2": (50, 250),
    "EMPLOYEES_3": (250, 500),
    "EMPLOYEES_4": (500, 10**9),
}

BASE_SORTS = ("title", "inn", "responsible", "last")
PIPELINE_SORT = re.compile(r"^p(\d{1,18})_(active|won)$")


@dataclass(frozen=True)
class Settings:
    stale_months: int = STALE_MONTHS
    lost_days: int = LOST_DAYS
    page_size: int = PAGE_SIZE


async def load_settings(session: AsyncSession) -> Settings:
    row = await session.get(CommunicationReportSettings, 1)
    if row is None:
        return Settings()
    return Settings(row.stale_months, row.lost_days, row.page_size)


async def save_settings(session: AsyncSession, user: Any, form: ReportSettingsForm) -> None:
    """Store a valid settings form and audit what changed (the defaults above until the first save)."""
    values = {name: form.values[name] for name in ("stale_months", "lost_days", "page_size")}
    row = await session.get(CommunicationReportSettings, 1)
    if row is None:
        row = CommunicationReportSettings(id=1, **Settings().__dict__)
        session.add(row)
    changes = {k: [getattr(row, k), v] for k, v in values.items() if getattr(row, k) != v}
    for k, v in values.items():
        setattr(row, k, v)
    if changes:
        await record(session, user, "report_settings", "communications", "update", changes)


# --------------------------------------------------------------------------- staleness


def stale_limits(now: datetime, months: int) -> tuple[datetime, datetime]:
    """(red before this moment, amber before this one): N months back, and N − 1 months back."""
    return now - relativedelta(months=months), now - relativedelta(months=months - 1)


def staleness(last: datetime | None, now: datetime, months: int) -> tuple[str, int | None]:
    """``("red"|"amber"|"", days without contact)``; no communication at all is red with ``None`` days."""
    if last is None:
        return "red", None
    red, amber = stale_limits(now, months)
    days = max(0, (now - last).days)
    if last < red:
        return "red", days
    if last < amber:
        return "amber", days
    return "", days


# --------------------------------------------------------------------------- the query


def _employee_bounds() -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    digits = Company.employees.op("~")(r"^[0-9]{1,9}$")
    lo = case(
        *((Company.employees == code, literal(band[0])) for code, band in EMPLOYEE_BANDS.items()),
        (digits, cast(Company.employees, BigInteger)),
        else_=None,
    )
    hi = case(
        *((Company.employees == code, literal(band[1])) for code, band in EMPLOYEE_BANDS.items()),
        (digits, cast(Company.employees, BigInteger)),
        else_=None,
    )
    return lo, hi


def _local_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=local_tz())


async def report_query(
    session: AsyncSession, flt: CommFilter, scope: EmployeeScope, settings: Settings, now: datetime
) -> Select[Any]:
    """The filtered rows (id, title, INN, responsible, last communication), unsorted."""
    stmt = (
        select(
            Company.id,
            Company.title,
            Company.inn,
            Company.responsible_id,
            CompanyFigure.last_communication_at,
        )
        .select_from(Company)
        .outerjoin(CompanyFigure, CompanyFigure.company_id == Company.id)
        .where(Company.active.is_(True))
    )
    clause = scope.clause(Company.responsible_id)
    if clause is not None:
        stmt = stmt.where(clause)
    if flt.inn:
        stmt = stmt.where(Company.inn.startswith(flt.inn, autoescape=True))
    if flt.q:
        stmt = stmt.where(Company.title.ilike(contains(flt.q)))
    if flt.responsible_ids:
        stmt = stmt.where(Company.responsible_id.in_(flt.responsible_ids))
    if flt.department_id:
        subtree = await department_subtree_ids(session, flt.department_id)
        stmt = stmt.where(
            Company.responsible_id.in_(select(Employee.id).where(Employee.department_id.in_(subtree or {-1})))
        )
    stmt = _deal_filters(_size_and_place_filters(stmt, flt), flt)
    last = CompanyFigure.last_communication_at
    if flt.last_before:
        stmt = stmt.where(last < _local_midnight(flt.last_before))
    if flt.last_after:
        stmt = stmt.where(last >= _local_midnight(flt.last_after))
    if flt.stale:
        stmt = stmt.where(or_(last.is_(None), last < stale_limits(now, settings.stale_months)[0]))
    return stmt


def _size_and_place_filters(stmt: Select[Any], flt: CommFilter) -> Select[Any]:
    """Turnover, number of employees (Bitrix24's bands), industry and region."""
    if flt.turnover_from is not None:
        stmt = stmt.where(Company.revenue >= flt.turnover_from)
    if flt.turnover_to is not None:
        stmt = stmt.where(Company.revenue <= flt.turnover_to)
    if flt.employees_from is not None or flt.employees_to is not None:
        lo, hi = _employee_bounds()
        if flt.employees_from is not None:
            stmt = stmt.where(hi >= flt.employees_from)
        if flt.employees_to is not None:
            stmt = stmt.where(lo <= flt.employees_to)
    if flt.industry:
        stmt = stmt.where(Company.industry == flt.industry)
    if flt.region:
        stmt = stmt.where(Company.region == flt.region)
    return stmt


def _deal_filters(stmt: Select[Any], flt: CommFilter) -> Select[Any]:
    """Companies with a deal in a pipeline, or with (or without) active deals (in that pipeline)."""
    figure = CompanyPipelineFigure
    if flt.pipeline_id is not None:
        stmt = stmt.where(
            exists().where(
                figure.company_id == Company.id,
                figure.pipeline_id == flt.pipeline_id,
                or_(figure.active_count > 0, figure.won_count > 0),  # a deal in preparation is an active one
            )
        )
    if flt.has_active is not None:
        active = exists().where(
            figure.company_id == Company.id,
            figure.active_count > 0,
            *([figure.pipeline_id == flt.pipeline_id] if flt.pipeline_id is not None else []),
        )
        stmt = stmt.where(active if flt.has_active else ~active)
    return stmt


def parse_sort(raw: str, pipeline_ids: Sequence[int]) -> list[tuple[str, bool]]:
    """``"-p3_active,title"`` → ``[("p3_active", True), ("title", False)]``; at most two levels, known keys only."""
    levels: list[tuple[str, bool]] = []
    for part in [p.strip() for p in (raw or "").split(",") if p.strip()]:
        key, desc = part.lstrip("-"), part.startswith("-")
        match = PIPELINE_SORT.match(key)
        if key not in BASE_SORTS and not (match and int(match.group(1)) in pipeline_ids):
            raise bad("sort", "unknown sort key " + key[:40])
        if any(k == key for k, _ in levels):
            continue
        levels.append((key, desc))
    if len(levels) > 2:
        raise bad("sort", "at most two levels")
    return levels or [("title", False)]


def _direction(column: Any, key: str, desc: bool) -> Any:
    if key == "last":  # never contacted is the stalest: first when the oldest come first
        return column.desc().nulls_last() if desc else column.asc().nulls_first()
    return column.desc().nulls_last() if desc else column.asc().nulls_last()


def _sort_columns(stmt: Select[Any], levels: list[tuple[str, bool]]) -> tuple[Select[Any], list[Any]]:
    """The joins and the column (expression) of each sort level."""
    columns: list[Any] = []
    for key, _desc in levels:
        if key == "title":
            column: Any = func.lower(Company.title)
        elif key == "inn":
            column = Company.inn
        elif key == "last":
            column = CompanyFigure.last_communication_at
        elif key == "responsible":
            person = aliased(Employee)
            stmt = stmt.outerjoin(person, person.id == Company.responsible_id)
            column = func.lower(person.last_name + " " + person.name)
        else:
            match = PIPELINE_SORT.match(key)
            assert match is not None
            alias = aliased(CompanyPipelineFigure)
            stmt = stmt.outerjoin(alias, and_(alias.company_id == Company.id, alias.pipeline_id == int(match.group(1))))
            column = func.coalesce(alias.active_sum if match.group(2) == "active" else alias.won_sum, 0)
        columns.append(column)
    return stmt, columns


def _ordering(stmt: Select[Any], levels: list[tuple[str, bool]]) -> tuple[Select[Any], list[Any]]:
    """The joins and ORDER BY terms of the sort levels (the tiebreak not included)."""
    stmt, columns = _sort_columns(stmt, levels)
    return stmt, [_direction(c, key, desc) for c, (key, desc) in zip(columns, levels, strict=True)]


def sorted_query(stmt: Select[Any], levels: list[tuple[str, bool]]) -> Select[Any]:
    """The rows in the asked order: a pipeline key joins that pipeline's figures (a company without deals there
    counts as 0); the company id breaks ties so pages never overlap."""
    stmt, order = _ordering(stmt, levels)
    return stmt.order_by(*order, Company.id)


def _by_responsible(stmt: Select[Any], levels: list[tuple[str, bool]], need: int) -> list[Select[Any]]:
    """A sort led by the responsible's name: the employees in name order (a few hundred rows), each with their
    first ``need`` companies by the next level (``LATERAL``, the index on companies' responsible), so the page
    stops after the first employees; then the companies without a known responsible."""
    desc = levels[0][1]
    name = func.lower(Employee.last_name + " " + Employee.name)
    people = select(Employee.id, name.label("k")).order_by(name.desc() if desc else name, Employee.id).subquery()
    inner, columns = _sort_columns(stmt.where(Company.responsible_id == people.c.id), levels[1:])
    inner_order = [_direction(c, k, d) for c, (k, d) in zip(columns, levels[1:], strict=True)]
    labelled = [c.label(f"sort_{i}") for i, c in enumerate(columns)]
    lateral = inner.add_columns(*labelled).order_by(*inner_order, Company.id).limit(need).lateral("company")
    outer_order = [_direction(lateral.c[f"sort_{i}"], k, d) for i, (k, d) in enumerate(levels[1:])]
    known = (
        select(*(lateral.c[c.name] for c in stmt.selected_columns))
        .select_from(people)
        .join(lateral, literal(True))
        .order_by(people.c.k.desc() if desc else people.c.k, *outer_order, lateral.c.id)
    )
    unknown, rest = _ordering(stmt.where(~exists().where(Employee.id == Company.responsible_id)), levels[1:])
    return [known, unknown.order_by(*rest, Company.id)]


def sort_groups(stmt: Select[Any], levels: list[tuple[str, bool]], need: int) -> list[Select[Any]]:
    """The same order as ``sorted_query`` as consecutive groups, each a query an index can serve.

    A leading pipeline key splits the rows into companies with a positive sum there (walked in the order of the
    index ``(pipeline_id, <sum> DESC, company_id)`` of that pipeline's figures), those with none or 0 (in the
    order of the next level, or of the company id: the primary key) and the rare negative sums; descending
    they come in this order, ascending in the reverse. Any other leading key is one group."""
    key, desc = levels[0]
    if key == "responsible":
        return _by_responsible(stmt, levels, need)
    match = PIPELINE_SORT.match(key)
    if match is None:
        return [sorted_query(stmt, levels)]
    pipeline_id, which = int(match.group(1)), match.group(2)
    alias = aliased(CompanyPipelineFigure)
    column = alias.active_sum if which == "active" else alias.won_sum

    def signed(positive: bool) -> Select[Any]:
        joined = stmt.join(
            alias,
            and_(
                alias.company_id == Company.id, alias.pipeline_id == pipeline_id, column > 0 if positive else column < 0
            ),
        )
        joined, rest = _ordering(joined, levels[1:])
        return joined.order_by(column.desc() if desc else column.asc(), *rest, Company.id)

    figure = aliased(CompanyPipelineFigure)
    other = figure.active_sum if which == "active" else figure.won_sum
    zero = stmt.where(~exists().where(figure.company_id == Company.id, figure.pipeline_id == pipeline_id, other != 0))
    zero, rest = _ordering(zero, levels[1:])
    groups = [signed(True), zero.order_by(*rest, Company.id), signed(False)]
    return groups if desc else groups[::-1]


async def page_rows(
    session: AsyncSession, stmt: Select[Any], levels: list[tuple[str, bool]], size: int, offset: int
) -> list[Any]:
    """``size`` rows from ``offset`` in the order of ``levels``, read group by group (``sort_groups``): a group is
    counted only when the page starts past its end."""
    out: list[Any] = []
    skip = offset
    for group in sort_groups(stmt, levels, offset + size):
        rows = (await session.execute(group.limit(size - len(out)).offset(skip))).all()
        out.extend(rows)
        if len(out) >= size:
            break
        if rows:
            skip = 0
        elif skip:
            skip -= await session.scalar(select(func.count()).select_from(group.order_by(None).subquery())) or 0
            skip = max(0, skip)
    return out
