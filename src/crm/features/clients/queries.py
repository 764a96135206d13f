"""Read side of the clients slice: row scope by employee, the companies list, the company card, the employee
and department tree, pipelines with stages, deals."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.clients import figures
from crm.features.clients.connection import resolve
from crm.features.clients.models import (
    Activity,
    Call,
    Company,
    CompanyAddress,
    Deal,
    Pipeline,
    ReferenceValue,
    Requisite,
    Stage,
)
from crm.features.clients.sync_models import CompanyFigure, CompanyPipelineFigure, sync_version
from crm.features.org.models import Department, Employee
from crm.features.org.scope import EmployeeScope, employee_scope  # noqa: F401  (the clients' pages call them from here)
from crm.features.org.tree import effective_heads, indented
from crm.lib.lists import ListQuery, Sort, contains

# --------------------------------------------------------------------------- scope


def scoped(stmt: Select[Any], clause: ColumnElement[bool] | None) -> Select[Any]:
    return stmt if clause is None else stmt.where(clause)


# --------------------------------------------------------------------------- companies


@dataclass
class CompanyFilter:
    q: str = ""
    inn: str = ""
    responsible_ids: list[int] = field(default_factory=list)
    department_id: int | None = None
    industry: str = ""
    region: str = ""
    active: str = "yes"  # yes, no, "" (both)


COMPANY_SORTS: dict[str, Any] = {
    "title": Sort(func.lower(Company.title), nullable=False),  # NOT NULL: the (lower(title), id) index both ways
    "inn": Company.inn,
    "responsible": Company.responsible_id,
    "industry": func.lower(  # by the name shown, the portal's (the code when the portal's list lacks it)
        func.coalesce(
            select(ReferenceValue.name)
            .where(ReferenceValue.entity_id == "INDUSTRY", ReferenceValue.status_id == Company.industry)
            .scalar_subquery(),
            Company.industry,
        )
    ),
    "region": Company.region,
    "revenue": Company.revenue,
    # companies' own copy of the figure, ordered by ix_companies_last_comm_desc / _asc (never contacted: last)
    "last": Company.last_communication_at,
    "modified": Company.bitrix_modified_at,
}


def companies_list(filters: CompanyFilter, scope: EmployeeScope) -> ListQuery:
    """The companies list of the page, its export and the API."""
    return ListQuery(companies_query(filters, scope), COMPANY_SORTS, default="title", tiebreak=Company.id)


def companies_query(filters: CompanyFilter, scope: EmployeeScope) -> Select[Any]:
    stmt = select(Company).outerjoin(Employee, Employee.id == Company.responsible_id)
    stmt = scoped(stmt, scope.clause(Company.responsible_id))
    if filters.q:
        stmt = stmt.where(Company.title.ilike(contains(filters.q)))
    if filters.inn:
        stmt = stmt.where(Company.inn.startswith(filters.inn.strip(), autoescape=True))
    if filters.responsible_ids:
        stmt = stmt.where(Company.responsible_id.in_(filters.responsible_ids))
    if filters.department_id:
        stmt = stmt.where(Employee.department_id == filters.department_id)
    if filters.industry:
        stmt = stmt.where(Company.industry == filters.industry)
    if filters.region:
        stmt = stmt.where(Company.region == filters.region)
    if filters.active in {"yes", "no"}:
        stmt = stmt.where(Company.active.is_(filters.active == "yes"))
    return stmt


async def decorate(session: AsyncSession, companies: Any) -> dict[int, tuple[Any, Employee | None]]:
    """Company id → (last communication, responsible employee) for a page of companies."""
    people = {
        e.id: e
        for e in (
            await session.scalars(
                select(Employee).where(Employee.id.in_({c.responsible_id for c in companies if c.responsible_id}))
            )
        ).all()
    }
    return {c.id: (c.last_communication_at, people.get(c.responsible_id or -1)) for c in companies}


# --------------------------------------------------------------------------- cached figures of the list

CACHE_SECONDS = 300  # a new sync run starts afresh sooner


def _cache_key(prefix: str, version: str, *parts: Any) -> str:
    return f"clients:{prefix}:" + hashlib.sha256(repr((version, parts)).encode()).hexdigest()[:40]


async def companies_count(
    session: AsyncSession, stmt: Select[Any], filters: CompanyFilter, scope: EmployeeScope, store: Any = None
) -> int:
    """The number of companies of a filter, kept for a few minutes per (filter, scope, sync state): paging and
    sorting the same filter does not count 100,000 rows again."""
    version = await sync_version(session) if store is not None else None
    key = _cache_key("count", version or "", asdict(filters), scope)
    if store is not None and version is not None and (raw := await store.get(key)) is not None:
        return int(raw)
    total = await session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    if store is not None and version is not None:
        await store.set(key, str(total), expires_in=CACHE_SECONDS)
    return total


async def company_choices(session: AsyncSession, scope: EmployeeScope, store: Any = None) -> dict[str, Any]:
    """Industries, regions and responsible managers of the active companies in scope (three scans of every
    company), cached like the count."""
    version = await sync_version(session) if store is not None else None
    key = _cache_key("choices", version or "", scope)
    if store is not None and version is not None and (raw := await store.get(key)) is not None:
        cached = json.loads(raw)
        people = {e.id: e for e in (await session.scalars(select(Employee).where(Employee.id.in_(cached["managers"]))))}
        known = [people[i] for i in cached["managers"] if i in people]
        return {"industries": cached["industries"], "regions": cached["regions"], "managers": known}
    base = scoped(select(Company).where(Company.active.is_(True)), scope.clause(Company.responsible_id)).subquery()
    industries = [
        i for (i,) in (await session.execute(select(base.c.industry).distinct().order_by(base.c.industry))) if i
    ]
    regions = [r for (r,) in (await session.execute(select(base.c.region).distinct().order_by(base.c.region))) if r]
    managers = (
        await session.scalars(
            scoped(
                select(Employee).where(Employee.id.in_(select(base.c.responsible_id))),
                scope.clause(Employee.id),
            ).order_by(Employee.last_name, Employee.name)
        )
    ).all()
    if store is not None and version is not None:
        payload = {"industries": industries, "regions": regions, "managers": [e.id for e in managers]}
        await store.set(key, json.dumps(payload), expires_in=CACHE_SECONDS)
    return {"industries": industries, "regions": regions, "managers": list(managers)}


async def get_company(session: AsyncSession, company_id: int, scope: EmployeeScope) -> Company | None:
    stmt = scoped(select(Company).where(Company.id == company_id), scope.clause(Company.responsible_id))
    return (await session.scalars(stmt)).first()


DEALS_PER_PIPELINE = 30  # the card lists a pipeline's newest deals (active first); "show all" lists the rest


async def _card_deals(
    session: AsyncSession, company_id: int, whole_pipeline: int | None
) -> tuple[list[Deal], dict[int, int]]:
    """The deals the card lists (per pipeline the active ones first, then the newest, at most ``DEALS_PER_PIPELINE``
    except in ``whole_pipeline``) and the number of deals of each pipeline. A big client has a thousand deals: the
    card drew them all (330 KB of HTML)."""
    order = (Deal.active.desc(), Deal.bitrix_created_at.desc(), Deal.id.desc())
    rank = func.row_number().over(partition_by=Deal.pipeline_id, order_by=order).label("rank")
    total = func.count().over(partition_by=Deal.pipeline_id).label("total")
    ranked = select(Deal.id, Deal.pipeline_id, rank, total).where(Deal.company_id == company_id).subquery()
    keep = ranked.c.rank <= DEALS_PER_PIPELINE
    if whole_pipeline is not None:
        keep = or_(keep, ranked.c.pipeline_id == whole_pipeline)
    rows = (
        await session.execute(
            select(Deal, ranked.c.total).join(ranked, ranked.c.id == Deal.id).where(keep).order_by(ranked.c.rank)
        )
    ).all()
    return [deal for deal, _total in rows], {deal.pipeline_id: int(n) for deal, n in rows}


async def company_card(session: AsyncSession, company: Company, whole_pipeline: int | None = None) -> dict[str, Any]:
    """What the company card shows; ``whole_pipeline``: the pipeline whose deals are all listed ("show all")."""
    requisites = (
        await session.scalars(
            select(Requisite).where(Requisite.company_id == company.id).order_by(Requisite.active.desc(), Requisite.id)
        )
    ).all()
    address = await session.get(CompanyAddress, company.id)
    pipelines = {p.id: p for p in (await session.scalars(select(Pipeline).order_by(Pipeline.sort))).all()}
    stages = {s.status_id: s for s in (await session.scalars(select(Stage))).all()}
    deals, deal_counts = await _card_deals(session, company.id, whole_pipeline)
    by_pipeline: dict[int, list[Deal]] = {}
    for d in deals:
        by_pipeline.setdefault(d.pipeline_id, []).append(d)
    sums = {
        f.pipeline_id: f
        for f in (
            await session.scalars(select(CompanyPipelineFigure).where(CompanyPipelineFigure.company_id == company.id))
        ).all()
    }
    acts, calls, timeline = await _timeline(session, company.id)
    people = await _people(session, {company.responsible_id} | {d.responsible_id for d in deals}, acts, calls)
    figure = await session.get(CompanyFigure, company.id)
    counting = (await resolve(session)).counting
    last_item, last_call = await _last_communication(session, company.id, counting, people)
    return {
        "requisites": requisites,
        "address": address,
        "pipelines": pipelines,
        "stages": stages,
        "deals_by_pipeline": by_pipeline,
        "deal_counts": deal_counts,
        "sums": sums,
        "timeline": timeline[:150],
        "people": people,
        "last_communication_at": figure.last_communication_at if figure else None,
        # What the date is: the activity or call that counted last (None when nothing counts), and the rule's minimum.
        "last_communication": last_item,
        "last_call": last_call,
        "min_call_seconds": counting.min_seconds,
    }


async def _timeline(
    session: AsyncSession, company_id: int
) -> tuple[Sequence[Activity], Sequence[Call], list[tuple[str, Any, Any, Any]]]:
    """The company's last 100 activities and 100 calls, merged newest first (a call linked to a shown activity
    goes with it, not on its own line)."""
    acts = (
        await session.scalars(
            select(Activity)
            .where(Activity.company_id == company_id, Activity.active.is_(True))
            .order_by(Activity.start_at.desc().nulls_last())
            .limit(100)
        )
    ).all()
    calls = (
        await session.scalars(
            select(Call)
            .where(Call.company_id == company_id, Call.active.is_(True))
            .order_by(Call.start_at.desc().nulls_last())
            .limit(100)
        )
    ).all()
    linked = {c.activity_id: c for c in calls if c.activity_id}
    timeline: list[tuple[str, Any, Any, Any]] = [("activity", a.start_at, a, linked.get(a.id)) for a in acts]
    timeline += [
        ("call", c.start_at, c, None) for c in calls if not c.activity_id or c.activity_id not in {a.id for a in acts}
    ]
    timeline.sort(key=lambda t: (t[1] is not None, t[1]), reverse=True)
    return acts, calls, timeline


async def _people(
    session: AsyncSession, ids: set[int | None], acts: Sequence[Activity], calls: Sequence[Call]
) -> dict[int, Employee]:
    """The employees the card names: the given ones and those responsible for its activities and calls."""
    ids = ids | {a.responsible_id for a in acts} | {c.user_id for c in calls}
    return {e.id: e for e in (await session.scalars(select(Employee).where(Employee.id.in_(ids)))).all()}


async def _last_communication(
    session: AsyncSession, company_id: int, counting: Any, people: dict[int, Employee]
) -> tuple[Any, Call | None]:
    """The activity or call that counted last (None when nothing counts) and, for an activity, its call; its
    employee is added to ``people``."""
    last = await figures.last_communication(session, company_id, counting)
    last_item: Any = None
    last_call: Call | None = None
    if last is not None:
        last_item = await session.get(Activity if last[0] == "activity" else Call, last[1])
    if isinstance(last_item, Activity):
        last_call = (await session.scalars(select(Call).where(Call.activity_id == last_item.id).limit(1))).first()
    who = getattr(last_item, "responsible_id", None) or getattr(last_item, "user_id", None)
    if who and who not in people and (employee := await session.get(Employee, who)) is not None:
        people[who] = employee
    return last_item, last_call


# --------------------------------------------------------------------------- employees and departments


async def department_tree(
    session: AsyncSession, scope: EmployeeScope, with_inactive: bool = False
) -> list[dict[str, Any]]:
    """Nested nodes: department, effective head (own or the nearest parent's), employees, children."""

    departments = list(
        (
            await session.scalars(
                select(Department).where(Department.active.is_(True)).order_by(Department.sort, Department.name)
            )
        ).all()
    )
    heads = effective_heads(departments)
    stmt = scoped(select(Employee), scope.clause(Employee.id)).order_by(Employee.last_name, Employee.name)
    if not with_inactive:
        stmt = stmt.where(Employee.active.is_(True))
    employees = list((await session.scalars(stmt)).all())
    all_people = {e.id: e for e in (await session.scalars(select(Employee))).all()}
    by_department: dict[int | None, list[Employee]] = {}
    for e in employees:
        by_department.setdefault(e.department_id, []).append(e)
    nodes: dict[int, dict[str, Any]] = {}
    roots: list[dict[str, Any]] = []
    for d, depth in indented(departments):
        head_id = heads.get(d.id)
        node = {
            "department": d,
            "depth": depth,
            "head_id": head_id,
            "head": all_people.get(head_id or -1),
            "own_head": bool(d.head_bitrix_id),
            "employees": by_department.get(d.id, []),
            "children": [],
        }
        nodes[d.id] = node
        parent = nodes.get(d.parent_id or -1)
        (parent["children"] if parent else roots).append(node)
    if by_department.get(None):
        roots.append(
            {
                "department": None,
                "depth": 0,
                "head_id": None,
                "head": None,
                "own_head": False,
                "employees": by_department[None],
                "children": [],
            }
        )
    return roots


def prune(nodes: list[dict[str, Any]], keep: frozenset[int]) -> list[dict[str, Any]]:
    """Only branches with visible employees or departments in ``keep``."""
    out = []
    for node in nodes:
        children = prune(node["children"], keep)
        d = node["department"]
        if children or node["employees"] or (d is not None and d.id in keep):
            out.append({**node, "children": children})
    return out


async def pipelines_with_stages(session: AsyncSession) -> list[tuple[Pipeline, list[Stage]]]:
    pipelines = (
        await session.scalars(select(Pipeline).where(Pipeline.active.is_(True)).order_by(Pipeline.sort, Pipeline.id))
    ).all()
    stages = (
        await session.scalars(select(Stage).where(Stage.active.is_(True)).order_by(Stage.pipeline_id, Stage.sort))
    ).all()
    grouped: dict[int, list[Stage]] = {}
    for s in stages:
        grouped.setdefault(s.pipeline_id, []).append(s)
    return [(p, grouped.get(p.id, [])) for p in pipelines]


# --------------------------------------------------------------------------- deals

DEAL_SORTS: dict[str, Any] = {
    "id": Deal.id,
    "amount": Deal.amount,
    "created": Deal.bitrix_created_at,
    "closed": Deal.close_date,
    "title": func.lower(Deal.title),
}


def deals_query(
    scope: EmployeeScope,
    company_id: int | None = None,
    pipeline_id: int | None = None,
    semantic: str = "",
    active: bool | None = True,
) -> Select[Any]:
    stmt = scoped(select(Deal), scope.clause(Deal.responsible_id))
    if company_id is not None:
        stmt = stmt.where(Deal.company_id == company_id)
    if pipeline_id is not None:
        stmt = stmt.where(Deal.pipeline_id == pipeline_id)
    if semantic in {"P", "S", "F"}:
        stmt = stmt.where(Deal.semantic == semantic)
    if active is not None:
        stmt = stmt.where(Deal.active.is_(active))
    return stmt
