"""``crm demo load`` for the clients slice: the emulator's generated portal, loaded without a network through
the same upserts the sync uses, around the demo departments; demo users are linked to employees."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts.models import User
from crm.features.clients import figures, references, store, store_directory
from crm.features.clients.connection import DEFAULT_FIELD_MAP
from crm.features.clients.models import Company
from crm.features.org.models import Department, Employee
from crm.integrations.bitrix24.dataset import generate

SIZES = {"small": 300, "large": 3000}
BITRIX_ID_BASE = 9000
# demo user → (department name, head of it?)
LINKS = {
    "head@example.com": ("Отдел продаж Москва", True),
    "manager@example.com": ("Группа крупных клиентов", False),
    "manager2@example.com": ("Отдел продаж Регионы", False),
    "admin@example.com": ("Головной офис", True),
}


async def load(session: AsyncSession, scale: str = "small") -> list[str]:
    if await session.scalar(select(func.count()).select_from(Company)):
        return ["Clients: already loaded."]
    departments = list((await session.scalars(select(Department).order_by(Department.id))).all())
    for d in departments:
        if d.bitrix_id is None:
            d.bitrix_id = BITRIX_ID_BASE + d.id
    await session.flush()
    by_id = {d.id: d for d in departments}
    raw_departments = []
    for i, d in enumerate(departments):
        row = {"ID": str(d.bitrix_id), "NAME": d.name, "SORT": d.sort, "UF_HEAD": str(100 + i)}
        if d.parent_id in by_id:
            row["PARENT"] = str(by_id[d.parent_id].bitrix_id)
        raw_departments.append(row)
    ds = generate(1, companies=SIZES.get(scale, 300), departments=raw_departments, now=datetime.now(UTC))
    await store_directory.save_departments(session, ds.departments, complete=False)
    await store_directory.save_employees(session, ds.users)
    await store_directory.save_pipelines(session, ds.categories, ds.statuses)
    await references.save(session, ds.statuses)
    await store.save_companies(session, ds.companies, DEFAULT_FIELD_MAP)
    await store.save_requisites(session, ds.requisites)
    await store.save_addresses(session, ds.addresses)
    await store.save_contacts(session, ds.contacts)  # the generated rows carry their COMPANY_IDS links
    await store.save_leads(session, ds.leads)
    await store.save_deals(session, ds.deals, DEFAULT_FIELD_MAP)
    for i in range(0, len(ds.activities), 5000):
        await store.save_activities(session, ds.activities[i : i + 5000])
    for i in range(0, len(ds.calls), 5000):
        await store.save_calls(session, ds.calls[i : i + 5000])
    await store.denormalise_companies(session)
    await figures.rebuild(session)
    linked = await _link_users(session)
    return [
        f"Clients: {len(ds.companies)} companies, {len(ds.contacts)} contacts, {len(ds.leads)} leads, "
        f"{len(ds.deals)} deals, {len(ds.activities)} activities, "
        f"{len(ds.calls)} calls, {len(ds.users)} employees; {linked} demo users linked to employees."
    ]


async def _link_users(session: AsyncSession) -> int:
    linked = 0
    for email, (department_name, head) in LINKS.items():
        user = await session.scalar(select(User).where(User.email == email))
        department = await session.scalar(select(Department).where(Department.name == department_name))
        if user is None or department is None or user.employee_bitrix_id:
            continue
        employee_id: int | None
        if head and department.head_bitrix_id:
            employee_id = department.head_bitrix_id
        else:
            employee_id = await session.scalar(
                select(Employee.id)
                .where(
                    Employee.department_id == department.id,
                    Employee.active.is_(True),
                    Employee.id != (department.head_bitrix_id or 0),
                )
                .order_by(Employee.id)
            )
        employee = await session.get(Employee, employee_id) if employee_id else None
        if employee is not None:
            user.employee_bitrix_id = employee.id
            # One person, one name: the portal's employee is the demo user (the sync would bring the same name).
            employee.name, _, employee.last_name = (user.name or employee.name).partition(" ")
            employee.second_name = ""
            linked += 1
    await session.flush()
    return linked
