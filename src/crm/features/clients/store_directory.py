"""The sync's directory: departments, employees, pipelines with their stages, and users linked to employees by
e-mail (the rows every other record refers to; ``store`` holds the upserts of companies, deals and activities)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts.models import User
from crm.features.accounts.services import update_user
from crm.features.clients.mapping import (
    _s,
    employee_row,
)
from crm.features.clients.models import (
    Pipeline,
    Stage,
)
from crm.features.clients.store import upsert
from crm.features.org.models import Department, Employee
from crm.integrations.bitrix24 import as_bool, as_int


async def save_departments(session: AsyncSession, raws: list[dict[str, Any]], complete: bool = True) -> int:
    """Upsert by bitrix_id (local ids stay: users point at them), then link parents; with ``complete``,
    departments no longer in Bitrix24 become inactive."""
    rows = [
        {
            "bitrix_id": as_int(r["ID"]),
            "name": _s(r.get("NAME")),
            "sort": as_int(r.get("SORT")) or 500,
            "head_bitrix_id": as_int(r.get("UF_HEAD")) or None,
            "active": True,
        }
        for r in raws
    ]
    rows = [r for r in rows if r["bitrix_id"] is not None]
    if rows:
        stmt = insert(Department).values(rows)
        stmt = stmt.on_conflict_do_update(
            index_elements=["bitrix_id"],
            set_={c: stmt.excluded[c] for c in ("name", "sort", "head_bitrix_id", "active")}
            | {"updated_at": func.now()},
        )
        await session.execute(stmt)
    by_bitrix: dict[int, int] = dict(
        (  # type: ignore[arg-type]
            await session.execute(select(Department.bitrix_id, Department.id).where(Department.bitrix_id.is_not(None)))
        ).all()
    )
    for r in raws:
        own, parent = as_int(r["ID"]), as_int(r.get("PARENT"))
        await session.execute(
            update(Department)
            .where(Department.bitrix_id == own)
            .values(parent_id=by_bitrix.get(parent) if parent else None)
        )
    if complete:
        seen = [r["bitrix_id"] for r in rows]
        await session.execute(
            update(Department)
            .where(Department.bitrix_id.is_not(None), Department.bitrix_id.not_in(seen))
            .values(active=False)
        )
    return len(rows)


async def save_employees(session: AsyncSession, raws: list[dict[str, Any]]) -> int:
    rows = [employee_row(r) for r in raws]
    by_bitrix: dict[int, int] = dict(
        (  # type: ignore[arg-type]
            await session.execute(select(Department.bitrix_id, Department.id).where(Department.bitrix_id.is_not(None)))
        ).all()
    )
    for r in rows:
        r["department_id"] = next((by_bitrix[d] for d in r["department_bitrix_ids"] if d in by_bitrix), None)
    return await upsert(session, Employee, rows)


async def save_pipelines(
    session: AsyncSession, categories: list[dict[str, Any]], statuses: list[dict[str, Any]]
) -> int:
    pipelines = [
        {
            "id": int(c["id"]),
            "name": _s(c.get("name")),
            "sort": as_int(c.get("sort")) or 500,
            "is_default": as_bool(c.get("isDefault")),
            "active": True,
        }
        for c in categories
    ]
    await upsert(session, Pipeline, pipelines)
    stages = []
    for s in statuses:
        entity = str(s.get("ENTITY_ID") or "")
        if not entity.startswith("DEAL_STAGE"):
            continue
        pipeline = int(entity.rsplit("_", 1)[1]) if entity != "DEAL_STAGE" else 0
        sem = s.get("SEMANTICS") or ""
        stages.append(
            {
                "status_id": _s(s.get("STATUS_ID"), 64),
                "bitrix_id": as_int(s.get("ID")),
                "pipeline_id": pipeline,
                "name": _s(s.get("NAME")),
                "sort": as_int(s.get("SORT")) or 0,
                "semantics": sem if sem in {"S", "F"} else "P",
                "color": _s(s.get("COLOR"), 16),
                "active": True,
            }
        )
    await upsert(session, Stage, stages, key=("status_id",), keep=("preparation",))
    if pipelines:
        await session.execute(
            update(Pipeline).where(Pipeline.id.not_in([p["id"] for p in pipelines])).values(active=False)
        )
    if stages:
        await session.execute(
            update(Stage).where(Stage.status_id.not_in([s["status_id"] for s in stages])).values(active=False)
        )
    return len(pipelines)


async def link_users_by_email(session: AsyncSession) -> int:
    """Users not yet linked to a Bitrix24 employee get the active employee with the same email (audited).

    An employee already linked to someone is skipped; one an admin links at this very moment (the partial unique
    index on users.employee_bitrix_id answers when their transaction commits) is skipped too: the admin's link
    stands and the sync goes on."""
    from sqlalchemy.exc import IntegrityError
    from sqlalchemy.orm import aliased

    holder = aliased(User)
    pairs = (
        await session.execute(
            select(User, Employee.id)
            .join(Employee, func.lower(Employee.email) == func.lower(User.email))
            .where(
                User.employee_bitrix_id.is_(None),
                Employee.active.is_(True),
                Employee.email != "",
                ~select(holder.id).where(holder.employee_bitrix_id == Employee.id).exists(),
            )
            .order_by(User.created_at, User.id)
        )
    ).all()
    linked = 0
    taken: set[int] = set()
    for user, employee_id in pairs:
        if employee_id in taken:
            continue
        try:
            async with session.begin_nested():
                await update_user(session, user, None, employee_bitrix_id=employee_id)
        except IntegrityError:
            continue  # linked by someone else meanwhile: the savepoint undid this link and its audit entry
        taken.add(employee_id)
        linked += 1
    return linked
