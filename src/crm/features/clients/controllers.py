"""Pages of the clients slice: companies (list, card), employees and departments, pipelines with stages."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts.models import User
from crm.features.accounts.people import resolve
from crm.features.accounts.services import record
from crm.features.clients import figures, queries, references
from crm.features.clients.forms import StagePreparationForm
from crm.features.clients.models import Company, Stage
from crm.features.org.tree import all_departments, indented
from crm.lib.deps import Db, Me
from crm.lib.export_jobs import ListSource, export
from crm.lib.exports import ExportColumn
from crm.lib.i18n import gettext as _
from crm.lib.lists import ListParams, yes_no, yes_no_all
from crm.lib.web import block_only, parse_int, render, toast

VIEW = {"permission": "clients.view"}


def company_filter(params: ListParams) -> queries.CompanyFilter:
    responsible = [n for v in params.query.getall("responsible", []) if (n := parse_int(str(v), 0, 2**62)) is not None]
    department = params.get("department")
    active = {True: "yes", False: "no", None: "all"}[yes_no_all("active", params.get("active", "yes"))]
    return queries.CompanyFilter(
        q=params.get("q"),
        inn="".join(ch for ch in params.get("inn") if ch.isdigit()),
        responsible_ids=responsible,
        department_id=parse_int(department, 1, 2**62),
        industry=params.get("industry"),
        region=params.get("region"),
        active=active,
    )


def _export_columns(info: dict[int, Any], labels: references.Labels) -> list[ExportColumn]:
    return [
        ExportColumn("bitrix_id", lambda c: c.id),
        ExportColumn("title", lambda c: c.title),
        ExportColumn("inn", lambda c: c.inn or ""),
        ExportColumn("responsible", lambda c: info[c.id][1].full_name if info[c.id][1] else c.responsible_id),
        ExportColumn("industry", lambda c: c.industry),
        ExportColumn("industry_name", lambda c: labels.industry(c.industry)),
        ExportColumn("region", lambda c: c.region or ""),
        ExportColumn("city", lambda c: c.city or ""),
        ExportColumn("revenue", lambda c: c.revenue),
        ExportColumn("last_communication_at", lambda c: info[c.id][0]),
        ExportColumn("active", lambda c: c.active),
    ]


async def companies_source(session: AsyncSession, user: Any, params: ListParams) -> ListSource:
    """The companies list as its export (and the worker's) sees it."""
    scope = await queries.employee_scope(session, user)
    labels = await references.load(session)

    async def columns(session: AsyncSession, rows: Sequence[Company]) -> list[ExportColumn]:
        return _export_columns(await queries.decorate(session, rows), labels)

    return ListSource(queries.companies_list(company_filter(params), scope), columns, "companies")


@get("/companies", opt=VIEW, include_in_schema=False)
async def companies_page(request: Request, me: Me, db_session: Db) -> Any:
    params = ListParams.from_request(request, default_sort="title")
    if params.format:
        return await export(request, db_session, companies_source, params)
    scope = await queries.employee_scope(db_session, me)
    filters = company_filter(params)
    picker = await resolve(  # the responsible person's search picker: a typed name is resolved here
        db_session, me, params.get("responsible"), params.get("responsible_q"), kind="employee"
    )
    if params.get("responsible_q") and picker.selected and picker.value.isascii() and picker.value.isdigit():
        filters.responsible_ids = [int(picker.value)]
    companies = queries.companies_list(filters, scope)
    store = request.app.stores.get("cache")
    total = await queries.companies_count(db_session, companies.rows, filters, scope, store)
    page = await companies.page(db_session, params, total=total)
    labels = await references.load(db_session)
    context = {
        "params": params,
        "page": page,
        "flt": filters,
        "info": await queries.decorate(db_session, page.rows),
        "labels": labels,
        "responsible_picker": picker,
    }
    if not block_only(request, "list"):  # the filter's choices are drawn by the whole page only
        choices = await queries.company_choices(db_session, scope, store)
        choices["industries"] = labels.choices(references.INDUSTRY, choices["industries"])
        departments = indented(await all_departments(db_session))
        context |= {"departments": [(d.id, "\u00a0\u00a0" * depth + d.name) for d, depth in departments], **choices}
    return render(request, "clients/companies.html", context, block="list")


@get("/companies/{company_id:int}", opt=VIEW, include_in_schema=False)
async def company_page(request: Request, me: Me, company_id: FromPath[int], db_session: Db) -> Any:
    scope = await queries.employee_scope(db_session, me)
    company = await queries.get_company(db_session, company_id, scope)
    if company is None:
        raise NotFoundException()
    whole = parse_int(request.query_params.get("pipeline"))  # "show all" of one pipeline's deals
    card = await queries.company_card(db_session, company, whole_pipeline=whole)
    labels = await references.load(db_session)
    return render(
        request,
        "clients/company.html",
        {"company": company, "labels": labels, "field_label": references.field_label, **card},
    )


@get("/employees", opt=VIEW, include_in_schema=False)
async def employees_page(request: Request, me: Me, db_session: Db) -> Any:
    scope = await queries.employee_scope(db_session, me)
    inactive = yes_no("inactive", request.query_params.get("inactive"))
    tree = await queries.department_tree(db_session, scope, with_inactive=inactive)
    if not scope.everything:
        tree = queries.prune(tree, scope.department_ids)
    accounts: dict[int, str] = {}
    if me.can("users.manage"):
        rows = await db_session.execute(
            select(User.employee_bitrix_id, User.email).where(User.employee_bitrix_id.is_not(None))
        )
        accounts = {int(e): email for e, email in rows.all()}
    return render(request, "clients/employees.html", {"tree": tree, "inactive": inactive, "accounts": accounts})


@get("/pipelines", opt=VIEW, include_in_schema=False)
async def pipelines_page(request: Request, db_session: Db) -> Any:
    return render(request, "clients/pipelines.html", {"pipelines": await queries.pipelines_with_stages(db_session)})


@post("/pipelines/stages/preparation", opt={"permission": "integrations.manage"}, include_in_schema=False)
async def stage_preparation(request: Request, me: Me, db_session: Db) -> Any:
    form = StagePreparationForm.parse(await request.form())
    stage = await db_session.get(Stage, form.status_id) if form.ok else None
    if stage is None:
        raise NotFoundException()
    value = form.preparation
    if stage.preparation != value:
        await record(
            db_session,
            me,
            "stage",
            stage.status_id,
            "update",
            {"preparation": [stage.preparation, value]},
        )
        stage.preparation = value
        await db_session.flush()
        await figures.pipeline_stage_changed(db_session)
    toast(
        request,
        _("Stage «%(name)s»: preparation %(state)s.", name=stage.name, state=_("on") if value else _("off")),
    )
    return Redirect("/pipelines", status_code=303)


async def _stage_exists(db_session: AsyncSession, status_id: str) -> bool:
    return (await db_session.scalar(select(Stage.status_id).where(Stage.status_id == status_id))) is not None


ROUTES = [companies_page, company_page, employees_page, pipelines_page, stage_preparation]
