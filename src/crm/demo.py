"""Demo data for `crm demo load`: every slice adds its own part; running it twice adds nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts import services as accounts
from crm.features.calendar import services as calendar
from crm.features.org.models import Department
from crm.lib.demo import DEMO_PASSWORD

DEMO_DEPARTMENTS = [
    ("Головной офис", None),
    ("Отдел продаж Москва", "Головной офис"),
    ("Группа крупных клиентов", "Отдел продаж Москва"),
    ("Отдел продаж Регионы", "Головной офис"),
    ("Колл-центр", "Головной офис"),
    ("Телеграф", "Головной офис"),
]

# email, name, roles, department, telegraph prefix
DEMO_USERS = [
    ("admin@example.com", "Анна Соколова", ["admin"], "Головной офис", None),
    ("head@example.com", "Олег Егоров", ["head"], "Отдел продаж Москва", None),
    ("manager@example.com", "Мария Алексеева", ["manager"], "Группа крупных клиентов", None),
    ("manager2@example.com", "Иван Петров", ["manager"], "Отдел продаж Регионы", None),
    ("operator@example.com", "Ольга Лебедева", ["operator"], "Колл-центр", None),
    ("telegraph@example.com", "Татьяна Белова", ["telegraph"], "Телеграф", "123002"),
    ("billing@example.com", "Борис Никитин", ["billing"], "Головной офис", None),
]


async def _departments(session: AsyncSession) -> dict[str, int]:
    existing = {d.name: d for d in (await session.scalars(select(Department))).all()}
    for name, parent in DEMO_DEPARTMENTS:
        if name not in existing:
            dep = Department(name=name, parent_id=existing[parent].id if parent else None)
            session.add(dep)
            await session.flush()
            existing[name] = dep
    return {name: d.id for name, d in existing.items()}


async def load_demo(
    session: AsyncSession,
    scale: str = "small",
    factor: float = 1.0,
    progress: Callable[[int], None] | None = None,
    step: Callable[[str], None] | None = None,
) -> list[str]:
    """The small demo of every slice; ``large`` adds the spec's large organisation on top of it (``crm.demo_large``,
    sized by ``factor``, with ``progress`` hearing the rows written and ``step`` each stage)."""
    large = scale == "large"
    scale = "small"  # the slices' own parts stay the small demo; the large organisation is generated apart
    await accounts.ensure_builtin_roles(session)
    departments = await _departments(session)
    created = await _users(session, departments)
    this_year = date.today().year
    for year in (this_year - 1, this_year, this_year + 1):
        await calendar.ensure_year(session, year)
    lines = [
        f"Demo data ({scale}): {created} new users, {len(departments)} departments, "
        f"calendar {this_year - 1}–{this_year + 1}."
    ]
    lines.append(f"Demo accounts (password {DEMO_PASSWORD}):")
    lines += [f"  {email:24} {', '.join(roles)}" for email, _n, roles, _d, _p in DEMO_USERS]
    lines += await _slices(session, scale)
    if large:
        from crm.demo_large import load_large

        lines += await load_large(session, factor=factor, progress=progress, step=step)
    return lines


async def _users(session: AsyncSession, departments: dict[str, int]) -> int:
    """The demo users not there yet; returns how many were created."""
    created = 0
    for email, name, roles, department, prefix in DEMO_USERS:
        if await accounts.email_taken(session, email):
            continue
        await accounts.create_user(
            session,
            email=email,
            password=DEMO_PASSWORD,
            name=name,
            roles=roles,
            department_id=departments[department],
            telegraph_prefix=prefix,
        )
        created += 1
    return created


async def _slices(session: AsyncSession, scale: str) -> list[str]:
    """Each slice's own demo, in this order: later parts build on the earlier ones (tasks on the ERP clients and
    the demo users, goals on the sales)."""
    from crm.features.tariffs.demo import load as load_telegraph

    lines = await load_telegraph(session, scale)
    from crm.features.clients.demo import load as load_clients

    lines += await load_clients(session, scale)
    from crm.features.leads.demo import load as load_leads

    lines += await load_leads(session, scale)
    from crm.features.sales.demo import load as load_sales

    lines += await load_sales(session, scale)
    from crm.features.goals.demo import load as load_goals

    lines += await load_goals(session, scale)
    from crm.features.reports.schedules_demo import load as load_report_schedules

    lines += await load_report_schedules(session, scale)
    from crm.features.tasks.demo import load as load_tasks

    lines += await load_tasks(session, scale)
    return lines
