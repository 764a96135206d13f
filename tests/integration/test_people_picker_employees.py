"""The companies list's "Responsible" filter is a search picker over the Bitrix24 employees of the user's scope
(/people/search?kind=employee), not a <select> of every manager: a typed name is resolved by the server, the
matches are the employees the user may see only."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select

from crm.features.accounts.models import User
from crm.features.clients.models import Company
from crm.features.org.models import Employee
from tests.conftest import login
from tests.integration.test_clients_screens import loaded

HX = {"HX-Request": "true"}


def radios(html: str) -> list[str]:
    return re.findall(r'type="radio"[^>]*name="responsible" value="([^"]*)"', html)


async def unique_responsible(db: Any) -> Employee:
    """An employee responsible for active companies whose "Last First" name nobody else has."""
    full = func.concat_ws(" ", Employee.last_name, Employee.name)
    single = select(full).group_by(full).having(func.count() == 1)
    stmt = (
        select(Employee)
        .where(Employee.id.in_(select(Company.responsible_id).where(Company.active.is_(True))), full.in_(single))
        .order_by(Employee.id)
    )
    return (await db.scalars(stmt)).first()


async def test_the_companies_list_finds_its_responsible_person_by_name(client, db) -> None:
    await loaded(db)
    employee = await unique_responsible(db)
    full = f"{employee.last_name} {employee.name}"
    await login(client, "admin@example.com", "crm-demo-2026")
    page = await client.get("/companies")
    assert page.status_code == 200 and 'name="responsible_q"' in page.text
    assert '<select id="flt-resp"' not in page.text and '"kind": "employee"' in page.text
    params = {"kind": "employee", "field": "responsible", "qfield": "responsible_q", "dom": "flt-resp"}
    found = await client.get("/people/search", params={**params, "responsible_q": full}, headers=HX)
    assert radios(found.text) == [str(employee.id)]
    listing = await client.get("/companies", params={"responsible_q": full})
    assert listing.status_code == 200
    assert f'name="responsible" value="{employee.id}"' in listing.text and f'value="{full}"' in listing.text
    theirs = (await db.scalars(select(Company.id).where(Company.responsible_id == employee.id))).all()
    other = await db.scalar(select(Company.id).where(Company.responsible_id != employee.id, Company.active.is_(True)))
    assert any(f"/companies/{c}" in listing.text for c in theirs) and f'href="/companies/{other}"' not in listing.text


async def test_a_manager_finds_only_themselves_among_the_employees(client, db) -> None:
    await loaded(db)
    user = await db.scalar(select(User).where(User.email == "manager@example.com"))
    me = await db.get(Employee, user.employee_bitrix_id)
    stranger = await db.scalar(select(Employee).where(Employee.id != me.id, Employee.active.is_(True)))
    await login(client, "manager@example.com", "crm-demo-2026")
    params = {"kind": "employee", "field": "responsible", "qfield": "responsible_q"}
    mine = await client.get("/people/search", params={**params, "responsible_q": me.last_name}, headers=HX)
    assert str(me.id) in radios(mine.text)
    other = await client.get("/people/search", params={**params, "responsible_q": stranger.last_name}, headers=HX)
    assert str(stranger.id) not in radios(other.text)
