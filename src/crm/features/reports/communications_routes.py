"""Routes of the communications report (pages, partials, exports and the API)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import urlencode

import msgspec
from litestar import Request, get, post
from litestar.exceptions import ValidationException
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.clients.models import Company, ReferenceValue
from crm.features.org.models import Employee
from crm.features.org.scope import EmployeeScope, employee_scope
from crm.features.org.tree import all_departments, indented
from crm.features.reports import communications as comm
from crm.features.reports import communications_filters as cf
from crm.features.reports import communications_report as comm_report
from crm.features.reports.forms import ReportSettingsForm, ViewForm
from crm.features.reports.models import ReportView
from crm.lib.deps import Db, Me
from crm.lib.export_jobs import ListSource, export
from crm.lib.exports import ExportColumn
from crm.lib.i18n import gettext as _
from crm.lib.lists import ListParams
from crm.lib.web import FormErrors, render, toast

VIEW = {"permission": "reports.view"}
PATH = "/reports/communications"
REPORT = "communications"
NUMERIC_FIRST_DESC = ("active", "won")


# --------------------------------------------------------------------------- sorting links


def sort_link(params: ListParams, levels: list[tuple[str, bool]], key: str) -> tuple[str, str, int]:
    """A header's link, its state ("asc"/"desc"/"") and level (1, 2 or 0). Clicking the first key turns its
    direction; clicking another makes it the first and the former first the second (two-level sort)."""
    current = dict(levels)
    level = next((i + 1 for i, (k, _d) in enumerate(levels) if k == key), 0)
    state = ("desc" if current[key] else "asc") if key in current else ""
    if level == 1:
        new = [(key, not current[key]), *levels[1:]]
    else:
        first_desc = key.endswith(NUMERIC_FIRST_DESC)  # sums: the biggest first
        new = [(key, first_desc), levels[0]] if levels[0][0] != key else [(key, first_desc)]
    text = ",".join(("-" if d else "") + k for k, d in new)
    return params.url(PATH, sort=text, page=None, format=None), state, level


def _pipeline_sum(pipeline_id: int, name: str) -> Any:
    """An export column's value: one pipeline's sum of a row."""
    return lambda row: getattr(row.cells[pipeline_id], name)


def sort_names(report: comm_report.Report) -> dict[str, str]:
    names = {
        "title": _("Company"),
        "inn": _("INN"),
        "responsible": _("Responsible"),
        "last": _("Last communication"),
    }
    for p in report.pipelines:
        names[f"p{p.id}_active"] = _("%(pipeline)s: active", pipeline=p.name)
        names[f"p{p.id}_won"] = _("%(pipeline)s: won", pipeline=p.name)
    return names


# --------------------------------------------------------------------------- choices for the filter bar


async def choices(session: AsyncSession, scope: EmployeeScope, store: Any = None) -> dict[str, Any]:
    """Managers, industries and regions of the companies in the user's scope (cached like the totals: three
    scans of every company in scope); departments; pipelines."""
    version = await comm_report.data_version(session) if store is not None else None
    key = comm_report.cache_key("choices", version or "", scope)
    raw = await store.get(key) if store is not None and version is not None else None
    if raw is not None:
        heavy = json.loads(raw)
    else:
        clause = scope.clause(Company.responsible_id)
        base = select(Company).where(Company.active.is_(True))
        if clause is not None:
            base = base.where(clause)
        sub = base.subquery()
        codes = [i for (i,) in await session.execute(select(sub.c.industry).distinct()) if i]
        found = await session.execute(
            select(ReferenceValue.status_id, ReferenceValue.name).where(ReferenceValue.entity_id == "INDUSTRY")
        )
        names: dict[str, str] = {row[0]: row[1] for row in found}
        people = await session.scalars(
            select(Employee)
            .where(Employee.id.in_(select(sub.c.responsible_id)))
            .order_by(Employee.last_name, Employee.name)
        )
        heavy = {
            "industries": sorted(([c, names.get(c) or c] for c in codes), key=lambda item: item[1].lower()),
            "regions": sorted(r for (r,) in await session.execute(select(sub.c.region).distinct()) if r),
            "managers": [{"id": e.id, "full_name": e.full_name} for e in people.all()],
        }
        if store is not None and version is not None:
            await store.set(key, json.dumps(heavy), expires_in=comm_report.CACHE_SECONDS)
    departments = [(d.id, "\u00a0\u00a0" * depth + d.name) for d, depth in indented(await all_departments(session))]
    return {**heavy, "departments": departments, "all_pipelines": await comm_report.pipelines(session)}


# --------------------------------------------------------------------------- the page


async def communications_source(session: AsyncSession, user: Any, params: ListParams) -> ListSource:
    """Every company of the filter in the report's order; each batch's report rows made in one go."""
    scope = await employee_scope(session, user)
    query, rows_of, shown = await comm_report.report_list(
        session, cf.parse_filter(params.query), scope, params.get("sort")
    )

    async def columns(session: AsyncSession, records: Sequence[Any]) -> list[ExportColumn]:
        by_id = {row.company_id: row for row in await rows_of(session, records)}

        def of_record(value: Callable[[Any], Any]) -> Callable[[Any], Any]:
            return lambda record: value(by_id[record.id])

        return [ExportColumn(c.label, of_record(c.value)) for c in _export_columns(shown)]

    return ListSource(query, columns, "client-communications")


def _export_columns(shown: list[Any]) -> list[ExportColumn]:
    columns = [
        ExportColumn("bitrix_id", lambda r: r.company_id),
        ExportColumn("title", lambda r: r.title),
        ExportColumn("inn", lambda r: r.inn or ""),
        ExportColumn("responsible", lambda r: r.responsible),
        ExportColumn("last_communication_at", lambda r: r.last_communication_at),
        ExportColumn("days_without_contact", lambda r: r.days),
        ExportColumn("stale", lambda r: r.stale),
    ]
    for p in shown:
        columns.append(ExportColumn(f"{p.name}: active", _pipeline_sum(p.id, "active_sum")))
        columns.append(ExportColumn(f"{p.name}: won", _pipeline_sum(p.id, "won_sum")))
    return columns


async def _views(session: AsyncSession, user: Any) -> list[ReportView]:
    stmt = select(ReportView).where(ReportView.user_id == user.id, ReportView.report == REPORT)
    return list((await session.scalars(stmt.order_by(ReportView.name))).all())


def _view_query(params: ListParams) -> str:
    """The query string a saved view keeps: the filters and sort, not the page or an export format."""
    items = [(k, v) for k, v in params.query.multi_items() if k in cf.PARAMS and str(v).strip()]
    return urlencode(items)


@get(PATH, opt=VIEW, include_in_schema=False)
async def communications_page(request: Request, me: Me, db_session: Db) -> Any:
    params = ListParams.from_request(request)
    if params.format:
        return await export(request, db_session, communications_source, params)
    scope = await employee_scope(db_session, me)
    cfg = await comm.load_settings(db_session)
    error: tuple[str, str] | None = None
    try:
        flt = cf.parse_filter(params.query)
        size = params.page_size if params.get("page_size") else cfg.page_size
        report = await comm_report.build(
            db_session,
            flt,
            scope,
            sort=params.get("sort"),
            page=params.page,
            page_size=size,
            store=request.app.stores.get("cache"),
        )
    except ValidationException as exc:
        extra: Any = exc.extra or [{}]
        item: Any = extra[0]
        error = (str(item.get("key", "")), str(item.get("message", exc.detail)))
        flt = cf.CommFilter()
        report = comm_report.Report(
            await comm_report.pipelines(db_session), [], 0, 1, cfg.page_size, {}, [("title", False)]
        )
    context = {
        "params": params,
        "flt": flt,
        "report": report,
        "cfg": cfg,
        "error": error,
        "path": PATH,
        "max_paged": comm_report.MAX_PAGED_ROWS,
        "sort_link": lambda key: sort_link(params, report.sort, key),
        "sort_names": sort_names(report),
        "views": await _views(db_session, me),
        "view_query": _view_query(params),
        "form_errors": FormErrors(),
        **await choices(db_session, scope, request.app.stores.get("cache")),
    }
    return render(request, "reports/communications.html", context, block="list", status_code=422 if error else 200)


# --------------------------------------------------------------------------- saved views and settings


@post(f"{PATH}/views", opt=VIEW, include_in_schema=False)
async def save_view(request: Request, me: Me, db_session: Db) -> Any:
    """Save the current filters under a name; saving the same name again replaces it (double submits harmless)."""
    form = ViewForm.parse(await request.form())
    name, query = form.name, form.raw("query").strip()[:4000]
    if not form.ok:
        toast(request, "; ".join(form.errors.values()), "error")
        return Redirect(f"{PATH}?{query}" if query else PATH, status_code=303)
    stmt = insert(ReportView).values(user_id=me.id, report=REPORT, name=name, query=query)
    stmt = stmt.on_conflict_do_update(
        constraint="uq_report_views_user_report_name",
        set_={"query": stmt.excluded.query, "updated_at": stmt.excluded.updated_at},
    )
    await db_session.execute(stmt)
    toast(request, _("View «%(name)s» saved.", name=name))
    return Redirect(f"{PATH}?{query}" if query else PATH, status_code=303)


@post(f"{PATH}/views/{{view_id:int}}/delete", opt=VIEW, include_in_schema=False)
async def delete_view(request: Request, me: Me, view_id: FromPath[int], db_session: Db) -> Any:
    await db_session.execute(delete(ReportView).where(ReportView.id == view_id, ReportView.user_id == me.id))
    toast(request, _("View deleted."))
    return Redirect(PATH, status_code=303)


@post(f"{PATH}/settings", opt={"permission": "integrations.manage"}, include_in_schema=False)
async def save_settings(request: Request, me: Me, db_session: Db) -> Any:
    form = ReportSettingsForm.parse(await request.form())
    if not form.ok:  # the settings sit in a dialog over the report: the reasons as toasts, nothing saved
        for message in form.errors.values():
            toast(request, message, "error")
        return Redirect(PATH, status_code=303)
    await comm.save_settings(db_session, me, form)
    toast(request, _("Report settings saved."))
    return Redirect(PATH, status_code=303)


# --------------------------------------------------------------------------- API


class PipelineSums(msgspec.Struct):
    id: int
    name: str
    active_sum: Decimal
    won_sum: Decimal


class CommunicationRow(msgspec.Struct):
    company_id: int
    bitrix_id: int
    title: str
    inn: str | None
    responsible: str
    last_communication_at: datetime | None
    stale: bool
    pipelines: list[PipelineSums]


class CommunicationReport(msgspec.Struct):
    total: int
    page: int
    page_size: int
    rows: list[CommunicationRow]
    totals: list[PipelineSums]


@get(
    "/api/v1/reports/communications",
    opt=VIEW,
    tags=["reports"],
    summary="Client-communication report: companies in the caller's scope with the last communication and "
    "active/won sums per pipeline",
    description="Filters as in the page's URL; `sort` takes up to two keys separated by a comma (title, inn, "
    "responsible, last, p<pipeline id>_active, p<pipeline id>_won; `-` for descending). A value that makes no "
    "sense is a 422 naming the parameter.",
)
async def api_communications(
    request: Request,
    me: Me,
    db_session: Db,
    page: Annotated[int, QueryParameter(ge=1, le=10**6, description="page number")] = 1,
    page_size: Annotated[int | None, QueryParameter(ge=1, le=500, description="rows per page (≤ 500)")] = None,
    sort: Annotated[str, QueryParameter(description="e.g. -p3_active,title")] = "title",
    inn: Annotated[str, QueryParameter(description="INN prefix (digits)")] = "",
    q: Annotated[str, QueryParameter(description="part of the title")] = "",
    responsible: Annotated[list[int] | None, QueryParameter(description="employee ids (several)")] = None,
    department: Annotated[int | None, QueryParameter(description="department id (its subtree)")] = None,
    turnover_from: Annotated[str, QueryParameter(description="company turnover from")] = "",
    turnover_to: Annotated[str, QueryParameter(description="company turnover to")] = "",
    employees_from: Annotated[str, QueryParameter(description="number of employees from")] = "",
    employees_to: Annotated[str, QueryParameter(description="number of employees to")] = "",
    industry: Annotated[str, QueryParameter(description="industry code")] = "",
    region: Annotated[str, QueryParameter(description="region")] = "",
    pipeline: Annotated[int | None, QueryParameter(description="pipeline id: companies with deals in it")] = None,
    has_active: Annotated[str, QueryParameter(description="true, false or all")] = "",
    last_before: Annotated[str, QueryParameter(description="last communication before YYYY-MM-DD")] = "",
    last_after: Annotated[str, QueryParameter(description="last communication on or after YYYY-MM-DD")] = "",
    stale: Annotated[str, QueryParameter(description="true: only companies past the stale limit")] = "",
) -> CommunicationReport:
    scope = await employee_scope(db_session, me)
    flt = cf.parse_filter(request.query_params)
    report = await comm_report.build(
        db_session,
        flt,
        scope,
        sort=sort,
        page=page,
        page_size=page_size,
        store=request.app.stores.get("cache"),
        strict_page=True,
    )

    def sums(cells: dict[int, comm_report.Cell]) -> list[PipelineSums]:
        return [PipelineSums(p.id, p.name, cells[p.id].active_sum, cells[p.id].won_sum) for p in report.pipelines]

    rows = [
        CommunicationRow(
            company_id=r.company_id,
            bitrix_id=r.company_id,
            title=r.title,
            inn=r.inn,
            responsible=r.responsible,
            last_communication_at=r.last_communication_at,
            stale=r.stale,
            pipelines=sums(r.cells),
        )
        for r in report.rows
    ]
    return CommunicationReport(report.total, report.page, report.page_size, rows, sums(report.totals))


ROUTES: list[Any] = [communications_page, save_view, delete_view, save_settings, api_communications]
