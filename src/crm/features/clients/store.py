"""Bitrix24 records → local rows, and idempotent upserts (INSERT … ON CONFLICT DO UPDATE). Every upsert reports
which derived figures it touched (old and new keys), so the figures are brought up to date only for those.
The sync jobs and ``crm demo load`` go through the same functions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, bindparam, func, select, text, true, tuple_, update
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.clients.mapping import (
    activity_row,
    address_row,
    call_row,
    company_row,
    contact_row,
    deal_row,
    lead_row,
    requisite_row,
)
from crm.features.clients.models import (
    Activity,
    Call,
    Company,
    CompanyAddress,
    Contact,
    CrmLead,
    Deal,
    Requisite,
)
from crm.lib.i18n import local_tz

CHUNK = 1000


@dataclass
class Touched:
    """Keys whose derived figures must be recomputed."""

    companies: set[int] = field(default_factory=set)
    manager_days: set[tuple[int, Any]] = field(default_factory=set)  # (employee id, local date)

    def merge(self, other: Touched) -> None:
        self.companies |= other.companies
        self.manager_days |= other.manager_days

    def __bool__(self) -> bool:
        return bool(self.companies or self.manager_days)


def _day(moment: datetime | None) -> date | None:
    return moment.astimezone(local_tz()).date() if moment else None


# --------------------------------------------------------------------------- generic upsert


async def upsert(
    session: AsyncSession,
    model: Any,
    rows: Sequence[dict[str, Any]],
    key: Sequence[str] = ("id",),
    keep: Iterable[str] = (),
) -> int:
    """Insert or update by ``key`` (executemany, batched by the driver); columns in ``keep`` are never
    overwritten (local flags); ``synced_at`` is set to now. Last row wins when a key repeats within ``rows``."""
    if not rows:
        return 0
    unique = list({tuple(r[k] for k in key): r for r in rows if all(r.get(k) is not None for k in key)}.values())
    keep = set(keep) | set(key)
    columns = [c for c in unique[0] if c not in keep]
    stmt = insert(model.__table__)  # Core executemany (insertmanyvalues), not the ORM's per-row bulk path
    set_: dict[str, Any] = {c: stmt.excluded[c] for c in columns}
    if "synced_at" in model.__table__.c:
        set_["synced_at"] = func.now()
    # a row that would not change is left alone (no write, not counted): re-reads of the overlap are free
    table = model.__table__
    compare = [c for c in columns if c != "synced_at"]
    where = tuple_(*[table.c[c] for c in compare]).is_distinct_from(tuple_(*[stmt.excluded[c] for c in compare]))
    stmt = stmt.on_conflict_do_update(index_elements=list(key), set_=set_, where=where)
    if not session.info.get("count_changes", True):  # a full import: everything counts as changed, go faster
        for i in range(0, len(unique), CHUNK * 5):
            await session.execute(stmt, unique[i : i + CHUNK * 5])
        session.info["changed"] = session.info.get("changed", 0) + len(unique)
        return len(unique)
    returning = stmt.returning(table.c[key[0]])
    changed = 0
    for i in range(0, len(unique), CHUNK * 5):
        changed += len((await session.execute(returning, unique[i : i + CHUNK * 5])).all())
    session.info["changed"] = session.info.get("changed", 0) + changed
    return changed


async def _old(session: AsyncSession, columns: Sequence[Any], id_col: Any, ids: list[int]) -> list[Any]:
    out: list[Any] = []
    for i in range(0, len(ids), 5000):
        out.extend((await session.execute(select(*columns).where(id_col.in_(ids[i : i + 5000])))).all())
    return out


# --------------------------------------------------------------------------- per entity


async def save_companies(session: AsyncSession, raws: list[dict[str, Any]], field_map: dict[str, Any]) -> Touched:
    rows = [company_row(r, field_map) for r in raws]
    await upsert(session, Company, rows)
    return Touched(companies={r["id"] for r in rows})


async def save_deals(session: AsyncSession, raws: list[dict[str, Any]], field_map: dict[str, Any]) -> Touched:
    rows = [deal_row(r, field_map) for r in raws]
    return await _save_owner(session, Deal, 2, rows)


async def save_contacts(session: AsyncSession, raws: list[dict[str, Any]]) -> Touched:
    return await _save_owner(session, Contact, 3, [contact_row(r) for r in raws])


async def save_leads(session: AsyncSession, raws: list[dict[str, Any]]) -> Touched:
    return await _save_owner(session, CrmLead, 1, [lead_row(r) for r in raws])


async def _save_owner(session: AsyncSession, model: Any, owner_type: int, rows: list[dict[str, Any]]) -> Touched:
    """Upsert deals, contacts or leads; the companies they left or joined are touched (deal sums), and their
    activities and calls follow them to their company (a communication through them is the company's)."""
    ids = [r["id"] for r in rows]
    old = await _old(session, [model.company_id], model.id, ids)
    await upsert(session, model, rows)
    touched = Touched()
    if owner_type == 2:  # contacts and leads carry no figures of their own, only their activities' company
        touched.companies = {c for (c,) in old if c} | {r["company_id"] for r in rows if r["company_id"]}
    touched.merge(await relink(session, owner_type, ids))
    return touched


# owner type (crm.activity OWNER_TYPE_ID) → its table, and the CRM_ENTITY_TYPE calls use for it
OWNERS: dict[int, tuple[str, str]] = {2: ("deals", "DEAL"), 3: ("contacts", "CONTACT"), 1: ("crm_leads", "LEAD")}


_RELINK_ACTIVITIES = """
WITH changed AS (
    SELECT a.id, a.company_id AS old_company, o.company_id AS new_company
    FROM activities a JOIN {table} o ON a.owner_type_id = {owner_type} AND a.owner_id = o.id
    WHERE {scope} AND a.company_id IS DISTINCT FROM o.company_id)
UPDATE activities SET company_id = changed.new_company FROM changed WHERE activities.id = changed.id
RETURNING changed.old_company, changed.new_company
"""
_RELINK_CALLS = """
WITH changed AS (
    SELECT k.id, k.company_id AS old_company, o.company_id AS new_company
    FROM calls k JOIN {table} o ON k.crm_entity_type = '{entity}' AND k.crm_entity_id = o.id
    WHERE {scope} AND k.company_id IS DISTINCT FROM o.company_id)
UPDATE calls SET company_id = changed.new_company FROM changed WHERE calls.id = changed.id
RETURNING changed.old_company, changed.new_company
"""


async def relink(session: AsyncSession, owner_type: int, owner_ids: list[int] | None = None) -> Touched:
    """Activities (and calls) owned by a deal, contact or lead belong to its company (a contact's primary one):
    follow an owner that changed company or arrived after its activities. ``None``: every owner (after a full
    import, whose streams run side by side)."""
    table, entity = OWNERS[owner_type]
    touched = Touched()
    parts: list[list[int] | None] = (
        [None] if owner_ids is None else [owner_ids[i : i + 5000] for i in range(0, len(owner_ids), 5000)]
    )
    for part in parts:
        scope = "true" if part is None else "o.id = ANY(:ids)"
        statements = [_RELINK_ACTIVITIES.format(table=table, owner_type=owner_type, scope=scope)]
        if owner_type != 2:
            statements.append(_RELINK_CALLS.format(table=table, entity=entity, scope=scope))
        for sql in statements:
            stmt = text(sql)
            if part is not None:
                stmt = stmt.bindparams(bindparam("ids", part, type_=ARRAY(BigInteger)))
            for old_company, new_company in (await session.execute(stmt)).all():
                touched.companies |= {c for c in (old_company, new_company) if c}
    return touched


async def _owner_companies(session: AsyncSession, owner_type: int, ids: Iterable[int]) -> dict[int, int | None]:
    model: Any = {2: Deal, 3: Contact, 1: CrmLead}[owner_type]
    wanted = sorted(set(ids))
    return dict(await _old(session, [model.id, model.company_id], model.id, wanted)) if wanted else {}


def _activity_days(row: Any) -> set[tuple[int, Any]]:
    out = set()
    responsible, kind, end_at, start_at = row
    if responsible and kind == "meeting" and (end_at or start_at):
        out.add((responsible, _day(end_at or start_at)))
    return out


async def save_activities(session: AsyncSession, raws: list[dict[str, Any]]) -> Touched:
    rows = [activity_row(r) for r in raws]
    for owner_type in OWNERS:  # owned by a deal, contact or lead: the company is theirs
        owned = [r for r in rows if r["owner_type_id"] == owner_type and r["owner_id"]]
        if owned:
            company_of = await _owner_companies(session, owner_type, (r["owner_id"] for r in owned))
            for r in owned:
                r["company_id"] = company_of.get(r["owner_id"])
    ids = [r["id"] for r in rows]
    cols = [Activity.company_id, Activity.responsible_id, Activity.kind, Activity.end_at, Activity.start_at]
    old = await _old(session, cols, Activity.id, ids)
    await upsert(session, Activity, rows)
    touched = Touched()
    for o in old:
        if o[0]:
            touched.companies.add(o[0])
        touched.manager_days |= _activity_days(o[1:])
    for r in rows:
        if r["company_id"]:
            touched.companies.add(r["company_id"])
        touched.manager_days |= _activity_days((r["responsible_id"], r["kind"], r["end_at"], r["start_at"]))
    return touched


async def save_calls(session: AsyncSession, raws: list[dict[str, Any]]) -> Touched:
    rows = [call_row(r) for r in raws]
    for owner_type, (_table, entity) in OWNERS.items():  # a call with a contact or lead: its company
        owned = [r for r in rows if owner_type != 2 and r["crm_entity_type"] == entity and r["crm_entity_id"]]
        if owned:
            company_of = await _owner_companies(session, owner_type, (r["crm_entity_id"] for r in owned))
            for r in owned:
                r["company_id"] = company_of.get(r["crm_entity_id"])
    old = await _old(
        session,
        [Call.company_id, Call.user_id, Call.start_at, Call.activity_id],
        Call.id,
        [r["id"] for r in rows],
    )
    await upsert(session, Call, rows)
    touched = Touched()
    for company, user, start, _act in old:
        if company:
            touched.companies.add(company)
        if user and start:
            touched.manager_days.add((user, _day(start)))
    for r in rows:
        if r["company_id"]:
            touched.companies.add(r["company_id"])
        if r["user_id"] and r["start_at"]:
            touched.manager_days.add((r["user_id"], _day(r["start_at"])))
    act_ids = [r["activity_id"] for r in rows if r["activity_id"]]
    if act_ids:  # a call's duration decides whether its activity counts as a communication
        touched.companies |= {c for (c,) in await _old(session, [Activity.company_id], Activity.id, act_ids) if c}
    return touched


async def save_requisites(session: AsyncSession, raws: list[dict[str, Any]]) -> set[int]:
    rows = [requisite_row(r) for r in raws]
    await upsert(session, Requisite, rows)
    return {r["company_id"] for r in rows if r["company_id"]}


async def save_addresses(session: AsyncSession, raws: list[dict[str, Any]]) -> set[int]:
    rows = [address_row(r) for r in raws]
    await upsert(session, CompanyAddress, rows, key=("company_id",))
    return {r["company_id"] for r in rows if r["company_id"]}


async def denormalise_companies(session: AsyncSession, company_ids: Iterable[int] | None = None) -> None:
    """Copy the first active requisite (INN, KPP, legal name) and the address onto the companies."""
    ids = None if company_ids is None else sorted(set(company_ids))
    first = (
        select(Requisite.company_id, Requisite.inn, Requisite.kpp, Requisite.legal_name)
        .where(Requisite.active.is_(True))
        .distinct(Requisite.company_id)
        .order_by(Requisite.company_id, Requisite.id)
        .subquery()
    )
    chunks = [None] if ids is None else [ids[i : i + 5000] for i in range(0, len(ids), 5000)]
    for part in chunks:
        scope = Company.id.in_(part) if part is not None else true()
        await session.execute(
            update(Company)
            .where(scope)
            .values(
                inn=select(first.c.inn).where(first.c.company_id == Company.id).scalar_subquery(),
                kpp=select(first.c.kpp).where(first.c.company_id == Company.id).scalar_subquery(),
                legal_name=select(first.c.legal_name).where(first.c.company_id == Company.id).scalar_subquery(),
                region=select(CompanyAddress.region)
                .where(CompanyAddress.company_id == Company.id, CompanyAddress.active.is_(True))
                .scalar_subquery(),
                city=select(CompanyAddress.city)
                .where(CompanyAddress.company_id == Company.id, CompanyAddress.active.is_(True))
                .scalar_subquery(),
                address=select(CompanyAddress.address)
                .where(CompanyAddress.company_id == Company.id, CompanyAddress.active.is_(True))
                .scalar_subquery(),
            )
            .execution_options(synchronize_session=False)
        )


# --------------------------------------------------------------------------- reference data


# --------------------------------------------------------------------------- deletions

ENTITY_MODELS: dict[str, Any] = {
    "company": Company,
    "deal": Deal,
    "contact": Contact,
    "lead": CrmLead,
    "activity": Activity,
    "call": Call,
    "requisite": Requisite,
}


async def deactivate(session: AsyncSession, entity: str, ids: Iterable[int]) -> Touched:
    """Deleted in Bitrix24 → inactive here (kept for history); returns the figures that change."""
    model = ENTITY_MODELS[entity]
    ids = sorted(set(ids))
    touched = Touched()
    if not ids:
        return touched
    if entity == "company":
        touched.companies |= set(ids)
        await session.execute(update(Requisite).where(Requisite.company_id.in_(ids)).values(active=False))
        await session.execute(update(CompanyAddress).where(CompanyAddress.company_id.in_(ids)).values(active=False))
    elif entity == "deal":
        touched.companies |= {c for (c,) in await _old(session, [Deal.company_id], Deal.id, ids) if c}
    elif entity == "activity":
        for o in await _old(
            session,
            [Activity.company_id, Activity.responsible_id, Activity.kind, Activity.end_at, Activity.start_at],
            Activity.id,
            ids,
        ):
            if o[0]:
                touched.companies.add(o[0])
            touched.manager_days |= _activity_days(o[1:])
    elif entity == "call":
        for company, user, start in await _old(session, [Call.company_id, Call.user_id, Call.start_at], Call.id, ids):
            if company:
                touched.companies.add(company)
            if user and start:
                touched.manager_days.add((user, _day(start)))
    gone = 0
    for i in range(0, len(ids), 5000):
        result = await session.execute(
            update(model)
            .where(model.id.in_(ids[i : i + 5000]), model.active.is_(True))
            .values(active=False, synced_at=func.now())
        )
        gone += result.rowcount or 0  # type: ignore[attr-defined]
    session.info["changed"] = session.info.get("changed", 0) + gone
    return touched


async def missing_ids(session: AsyncSession, model: Any, keep_ids: set[int], where: Any = None) -> list[int]:
    """Local active ids of ``model`` (matching ``where``) that are not in ``keep_ids``."""
    stmt = select(model.id).where(model.active.is_(True))
    if where is not None:
        stmt = stmt.where(where)
    return [i for (i,) in (await session.execute(stmt)).all() if i not in keep_ids]
