"""The department tree: a subtree for a head's scope, every department in tree order for pickers and trees."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.org.models import Department


async def department_subtree_ids(session: AsyncSession, root_id: int) -> frozenset[int]:
    """A department and every department below it (recursive CTE, one query)."""
    tree = select(Department.id).where(Department.id == root_id).cte("tree", recursive=True)
    tree = tree.union_all(select(Department.id).where(Department.parent_id == tree.c.id))
    return frozenset((await session.scalars(select(tree.c.id))).all())


async def all_departments(session: AsyncSession) -> list[Department]:
    return list((await session.scalars(select(Department).order_by(Department.sort, Department.name))).all())


def indented(departments: list[Department]) -> list[tuple[Department, int]]:
    """Departments in tree order with their depth, for select boxes and trees."""
    children: dict[int | None, list[Department]] = {}
    ids = {d.id for d in departments}
    for d in departments:
        children.setdefault(d.parent_id if d.parent_id in ids else None, []).append(d)
    out: list[tuple[Department, int]] = []

    def walk(parent: int | None, depth: int) -> None:
        for d in children.get(parent, []):
            out.append((d, depth))
            walk(d.id, depth + 1)

    walk(None, 0)
    return out


def effective_heads(departments: list[Department]) -> dict[int, int | None]:
    """Department id → head's employee id; a department without a head takes the nearest parent's."""
    by_id = {d.id: d for d in departments}
    out: dict[int, int | None] = {}

    def head(d: Department, depth: int = 0) -> int | None:
        if d.id in out:
            return out[d.id]
        if d.head_bitrix_id:
            value: int | None = d.head_bitrix_id
        elif d.parent_id in by_id and depth < 64:
            value = head(by_id[d.parent_id], depth + 1)
        else:
            value = None
        out[d.id] = value
        return value

    for d in departments:
        head(d)
    return out
