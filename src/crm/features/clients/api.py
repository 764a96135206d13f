"""JSON API of the clients slice: companies, employees, departments (with parents and heads), deals."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

import msgspec
from litestar import get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, QueryParameter
from sqlalchemy import func, select

from crm.features.clients import deals, queries
from crm.features.clients.models import Company, Deal, Pipeline
from crm.features.clients.sync_models import CompanyPipelineFigure
from crm.features.org import tree as org_tree
from crm.features.org.models import Department, Employee
from crm.lib.deps import Db, Me
from crm.lib.lists import ApiPage, ListQuery, PageNo, PageSize, api_page, sort_param, yes_no_all

VIEW = {"permission": "clients.view"}
TAGS = ["clients"]


class CompanyOut(msgspec.Struct):
    id: int
    bitrix_id: int
    title: str
    inn: str | None
    responsible_id: int | None
    industry: str
    revenue: Decimal | None
    employees: str
    region: str | None
    city: str | None
    last_communication_at: datetime | None
    active: bool


class PipelineFigures(msgspec.Struct):
    name: str
    active_sum: Decimal
    won_sum: Decimal
    active_count: int
    won_count: int


class CompanyDetail(CompanyOut):
    kpp: str | None = None
    legal_name: str | None = None
    address: str | None = None
    fields: dict[str, Any] = {}
    pipelines: dict[str, PipelineFigures] = {}


class EmployeeOut(msgspec.Struct):
    id: int
    name: str
    last_name: str
    email: str
    position: str
    department_id: int | None
    department_bitrix_ids: list[int]
    active: bool


class DepartmentOut(msgspec.Struct):
    id: int
    bitrix_id: int | None
    name: str
    parent_id: int | None
    head_id: int | None
    head_inherited: bool


class DealOut(msgspec.Struct):
    id: int
    title: str
    pipeline_id: int
    stage_id: str
    stage_semantic: str
    amount: Decimal
    currency: str
    company_id: int | None
    responsible_id: int | None
    source: str
    fields: dict[str, Any]
    created_at: datetime | None
    closed_on: date | None
    active: bool


def _company(c: Company, last: datetime | None) -> dict[str, Any]:
    return {
        "id": c.id,
        "bitrix_id": c.id,
        "title": c.title,
        "inn": c.inn,
        "responsible_id": c.responsible_id,
        "industry": c.industry,
        "revenue": c.revenue,
        "employees": c.employees,
        "region": c.region,
        "city": c.city,
        "last_communication_at": last,
        "active": c.active,
    }


EMPLOYEE_SORTS = {"name": Employee.last_name, "id": Employee.id}
DEPARTMENT_SORTS = {"name": func.lower(Department.name), "position": Department.sort, "id": Department.id}


@get("/api/v1/companies", opt=VIEW, tags=TAGS, summary="Companies in the caller's scope, filtered and paged")
async def api_companies(
    me: Me,
    db_session: Db,
    page: PageNo = 1,
    page_size: PageSize = 50,
    sort: Annotated[str, sort_param(queries.COMPANY_SORTS)] = "title",
    q: Annotated[str, QueryParameter(description="part of the title")] = "",
    inn: Annotated[str, QueryParameter(description="INN prefix")] = "",
    responsible_id: Annotated[list[int] | None, QueryParameter(description="employee ids (Bitrix24 user ids)")] = None,
    department_id: Annotated[int | None, QueryParameter(description="local department id")] = None,
    industry: FromQuery[str] = "",
    region: FromQuery[str] = "",
    active: Annotated[str, QueryParameter(description="true (default), false or all; also yes/no, 1/0")] = "true",
) -> ApiPage[CompanyOut]:
    scope = await queries.employee_scope(db_session, me)
    flt = queries.CompanyFilter(
        q=q,
        inn=inn.strip(),
        responsible_ids=responsible_id or [],
        department_id=department_id,
        industry=industry,
        region=region,
        active={True: "yes", False: "no", None: ""}[yes_no_all("active", active)],
    )
    shown = await queries.companies_list(flt, scope).api_fetch(db_session, page, page_size, sort)
    info = await queries.decorate(db_session, shown.rows)
    return api_page(shown, [CompanyOut(**_company(c, info[c.id][0])) for c in shown.rows])


@get(
    "/api/v1/companies/{company_id:int}",
    opt=VIEW,
    tags=TAGS,
    summary="One company with its requisites and active/won sums per pipeline",
)
async def api_company(me: Me, company_id: FromPath[int], db_session: Db) -> CompanyDetail:
    scope = await queries.employee_scope(db_session, me)
    company = await queries.get_company(db_session, company_id, scope)
    if company is None:
        raise NotFoundException(detail="No such company in your scope")
    info = await queries.decorate(db_session, [company])
    names = {pid: name for pid, name in (await db_session.execute(select(Pipeline.id, Pipeline.name))).all()}
    sums = (
        await db_session.scalars(select(CompanyPipelineFigure).where(CompanyPipelineFigure.company_id == company.id))
    ).all()
    return CompanyDetail(
        **_company(company, info[company.id][0]),
        kpp=company.kpp,
        legal_name=company.legal_name,
        address=company.address,
        fields=company.fields or {},
        pipelines={
            str(f.pipeline_id): PipelineFigures(
                name=names.get(f.pipeline_id, str(f.pipeline_id)),
                active_sum=f.active_sum,
                won_sum=f.won_sum,
                active_count=f.active_count,
                won_count=f.won_count,
            )
            for f in sums
        },
    )


@get("/api/v1/employees", opt=VIEW, tags=TAGS, summary="Bitrix24 employees in the caller's scope")
async def api_employees(
    me: Me,
    db_session: Db,
    page: PageNo = 1,
    page_size: PageSize = 50,
    sort: Annotated[str, sort_param(EMPLOYEE_SORTS)] = "name",
    department_id: Annotated[int | None, QueryParameter(description="local department id")] = None,
    active: Annotated[str, QueryParameter(description="true (default), false or all; also yes/no, 1/0")] = "true",
) -> ApiPage[EmployeeOut]:
    scope = await queries.employee_scope(db_session, me)
    stmt = queries.scoped(select(Employee), scope.clause(Employee.id))
    if department_id is not None:
        stmt = stmt.where(Employee.department_id == department_id)
    wanted = yes_no_all("active", active)
    if wanted is not None:
        stmt = stmt.where(Employee.active.is_(wanted))
    employees = ListQuery(stmt, EMPLOYEE_SORTS, "name", Employee.id)
    return await employees.api(db_session, page, page_size, sort, _employee)


def _employee(e: Employee) -> EmployeeOut:
    return EmployeeOut(
        id=e.id,
        name=e.name,
        last_name=e.last_name,
        email=e.email,
        position=e.position,
        department_id=e.department_id,
        department_bitrix_ids=list(e.department_bitrix_ids or []),
        active=e.active,
    )


@get(
    "/api/v1/departments",
    opt=VIEW,
    tags=TAGS,
    summary="Departments with their parent and head (a department without a head inherits its parent's), paged",
    description="A flat list; `parent_id` gives the tree. `head_inherited`: the head is the nearest parent's.",
)
async def api_departments(
    db_session: Db,
    page: PageNo = 1,
    page_size: PageSize = 50,
    sort: Annotated[str, sort_param(DEPARTMENT_SORTS)] = "name",
    parent_id: Annotated[int | None, QueryParameter(description="only the direct children of this department")] = None,
) -> ApiPage[DepartmentOut]:
    stmt = select(Department).where(Department.active.is_(True))
    if parent_id is not None:
        stmt = stmt.where(Department.parent_id == parent_id)
    shown = await ListQuery(stmt, DEPARTMENT_SORTS, "name", Department.id).api_fetch(db_session, page, page_size, sort)
    heads = org_tree.effective_heads(await org_tree.all_departments(db_session))
    rows = [
        DepartmentOut(
            id=d.id,
            bitrix_id=d.bitrix_id,
            name=d.name,
            parent_id=d.parent_id,
            head_id=heads.get(d.id),
            head_inherited=heads.get(d.id) is not None and not d.head_bitrix_id,
        )
        for d in shown.rows
    ]
    return api_page(shown, rows)


@get("/api/v1/deals", opt=VIEW, tags=TAGS, summary="Deals in the caller's scope")
async def api_deals(
    me: Me,
    db_session: Db,
    page: PageNo = 1,
    page_size: PageSize = 50,
    sort: Annotated[str, sort_param(queries.DEAL_SORTS)] = "id",
    company_id: FromQuery[int | None] = None,
    pipeline_id: FromQuery[int | None] = None,
    stage_semantic: Annotated[str, QueryParameter(description="P in progress, S won, F lost")] = "",
) -> ApiPage[DealOut]:
    scope = await queries.employee_scope(db_session, me)
    stmt = await deals.visible_deals(db_session, scope, company_id, pipeline_id, stage_semantic)
    return await ListQuery(stmt, queries.DEAL_SORTS, "id", Deal.id).api(db_session, page, page_size, sort, _deal)


def _deal(d: Deal) -> DealOut:
    return DealOut(
        id=d.id,
        title=d.title,
        pipeline_id=d.pipeline_id,
        stage_id=d.stage_id,
        stage_semantic=d.semantic,
        amount=d.amount,
        currency=d.currency,
        company_id=d.company_id,
        responsible_id=d.responsible_id,
        source=d.utm_source or d.source_id,
        fields=d.fields or {},
        created_at=d.bitrix_created_at,
        closed_on=d.close_date,
        active=d.active,
    )


ROUTES: list[Any] = [api_companies, api_company, api_employees, api_departments, api_deals]
