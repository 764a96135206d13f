"""An admin links a user to their Bitrix24 employee on the user form and through the API; row scope follows it."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from sqlalchemy import select

from crm.features.accounts import employees, services
from crm.features.accounts.models import AuditEntry, User
from crm.features.clients.models import Company
from crm.features.org.models import Department, Employee
from tests.conftest import login, make_user, post_form


async def _people(db: Any) -> dict[str, Any]:
    """Two active employees with companies, an inactive one, and an admin signed in elsewhere."""
    sales = Department(name="Продажи")
    db.add(sales)
    await db.flush()
    db.add_all(
        [
            Employee(
                id=101,
                name="Иван",
                last_name="Петров",
                email="petrov@portal.ru",
                position="Менеджер",
                department_id=sales.id,
            ),
            Employee(id=102, name="Ольга", last_name="Сидорова", email="sidorova@portal.ru", department_id=sales.id),
            Employee(id=103, name="Пётр", last_name="Петровский", email="old@portal.ru", active=False),
            Company(id=1, title="ООО Ромашка", responsible_id=101),
            Company(id=2, title="АО Василёк", responsible_id=101),
            Company(id=3, title="ИП Лютик", responsible_id=102),
        ]
    )
    await db.commit()
    admin = await make_user(db, "admin@example.com", ["admin"], name="Анна")
    manager = await make_user(db, "manager@example.com", ["manager"], name="Мария")
    return {"admin": admin, "manager": manager, "sales": sales}


def _form(user: User, **extra: Any) -> dict[str, Any]:
    return {"name": user.name, "roles": user.role_names, **extra}


async def _reload(db: Any, user: User) -> User:
    await db.refresh(user)
    return user


async def test_an_admin_links_a_user_to_an_employee_found_by_name_and_the_change_is_audited(client, db) -> None:
    people = await _people(db)
    manager = people["manager"]
    await login(client, "admin@example.com")

    found = await client.get("/users/employees", params={"employee_q": "петров", "user": str(manager.id)})
    assert found.status_code == 200 and "<html" not in found.text
    assert 'value="101"' in found.text and "Петров Иван" in found.text and "petrov@portal.ru" in found.text
    assert 'value="103"' not in found.text  # inactive employees are not offered
    assert 'value="102"' not in found.text
    by_email = await client.get("/users/employees", params={"employee_q": "SIDOROVA@"})
    assert 'value="102"' in by_email.text and 'value="101"' not in by_email.text
    nothing = await client.get("/users/employees", params={"employee_q": "%"})
    assert 'name="employee_bitrix_id" value="1' not in nothing.text and "No active employee matches" in nothing.text
    # Without JavaScript the search box submits to the page itself, which lists the matches.
    plain = await client.get(f"/users/{manager.id}", params={"employee_q": "петров иван"})
    assert 'value="101"' in plain.text and 'value="103"' not in plain.text

    saved = await post_form(
        client, f"/users/{manager.id}", _form(manager, employee_bitrix_id="101"), follow_redirects=False
    )
    assert saved.status_code == 303
    assert (await _reload(db, manager)).employee_bitrix_id == 101
    page = await client.get(f"/users/{manager.id}")
    assert re.search(r'value="101"\s+checked', page.text) and "Петров Иван" in page.text
    listing = await client.get("/users")
    assert "Петров Иван" in listing.text and "#101" in listing.text
    export = await client.get("/users?format=csv")
    assert "Петров Иван" in export.text

    audit = (
        await db.scalars(
            select(AuditEntry).where(AuditEntry.entity_id == str(manager.id), AuditEntry.action == "update")
        )
    ).all()
    assert [a.changes["employee_bitrix_id"] for a in audit] == [[None, "Петров Иван (#101)"]]
    log = await client.get("/audit")
    assert "Bitrix24 employee" in log.text and "Петров Иван (#101)" in log.text


async def test_an_admin_clears_the_link_and_saving_other_fields_leaves_it_alone(client, db) -> None:
    people = await _people(db)
    manager = people["manager"]
    manager.employee_bitrix_id = 101
    await db.commit()
    await login(client, "admin@example.com")

    renamed = await post_form(
        client, f"/users/{manager.id}", {"name": "Мария И.", "roles": ["manager"]}, follow_redirects=False
    )
    assert renamed.status_code == 303
    assert (await _reload(db, manager)).employee_bitrix_id == 101

    cleared = await post_form(
        client, f"/users/{manager.id}", _form(manager, employee_bitrix_id=""), follow_redirects=False
    )
    assert cleared.status_code == 303
    assert (await _reload(db, manager)).employee_bitrix_id is None
    last = await db.scalar(
        select(AuditEntry).where(AuditEntry.entity_id == str(manager.id)).order_by(AuditEntry.id.desc())
    )
    assert last.changes == {"employee_bitrix_id": ["Петров Иван (#101)", None]}


async def test_an_employee_linked_to_another_user_is_refused_with_that_users_name_and_nothing_typed_is_lost(
    client, db
) -> None:
    people = await _people(db)
    manager = people["manager"]
    other = await make_user(db, "other@example.com", ["manager"], name="Олег", employee_bitrix_id=101)
    await login(client, "admin@example.com")

    response = await post_form(
        client,
        f"/users/{manager.id}",
        {"name": "Мария Новая", "roles": ["manager"], "employee_bitrix_id": "101", "employee_q": "петр"},
    )
    assert response.status_code == 422
    error = re.search(r'<p class="error" id="e-employee_bitrix_id">(.*?)</p>', response.text, re.S)
    assert error and "Олег" in error.group(1) and "other@example.com" in error.group(1)
    assert 'value="Мария Новая"' in response.text
    assert re.search(r'value="101"\s+checked', response.text)
    assert 'id="f-employee_q"' in response.text and 'value="петр"' in response.text
    assert (await _reload(db, manager)).employee_bitrix_id is None and manager.name == "Мария"

    created = await post_form(
        client,
        "/users",
        {"email": "new@example.com", "roles": "manager", "password": "temp-pass-123", "employee_bitrix_id": "101"},
    )
    assert created.status_code == 422 and "other@example.com" in created.text
    assert await db.scalar(select(User).where(User.email == "new@example.com")) is None
    assert (await _reload(db, other)).employee_bitrix_id == 101


async def test_unknown_inactive_or_malformed_employees_are_refused_next_to_the_field(client, db) -> None:
    people = await _people(db)
    manager = people["manager"]
    await login(client, "admin@example.com")
    for value, message in (
        ("999", "There is no Bitrix24 employee with id 999"),
        ("103", "inactive in Bitrix24"),
        ("1e9", "Choose an employee from the list"),
        ("99999999999999999999", "Choose an employee from the list"),
    ):
        response = await post_form(client, f"/users/{manager.id}", _form(manager, employee_bitrix_id=value))
        assert response.status_code == 422, value
        assert 'id="e-employee_bitrix_id"' in response.text and message in response.text, value
    assert (await _reload(db, manager)).employee_bitrix_id is None

    created = await post_form(
        client,
        "/users",
        {"email": "new@example.com", "roles": "manager", "password": "temp-pass-123", "employee_bitrix_id": "102"},
        follow_redirects=False,
    )
    assert created.status_code == 303
    new = await db.scalar(select(User).where(User.email == "new@example.com"))
    assert new.employee_bitrix_id == 102


async def test_only_users_with_the_users_permission_can_search_or_link_employees(client, db) -> None:
    people = await _people(db)
    manager = people["manager"]
    await make_user(db, "head@example.com", ["head"])
    await login(client, "head@example.com")
    assert (await client.get("/users/employees", params={"employee_q": "петров"})).status_code == 403
    refused = await post_form(client, f"/users/{manager.id}", _form(manager, employee_bitrix_id="101"))
    assert refused.status_code == 403
    token = (
        await client.post("/api/v1/auth/token", json={"email": "head@example.com", "password": "correct-horse-42"})
    ).json()
    api = await client.patch(
        f"/api/v1/users/{manager.id}",
        json={"employee_bitrix_id": 101},
        headers={"Authorization": f"Bearer {token['access_token']}"},
    )
    assert api.status_code == 403
    assert (await _reload(db, manager)).employee_bitrix_id is None


async def test_the_api_shows_links_and_changes_them_with_field_errors(client, db) -> None:
    people = await _people(db)
    manager = people["manager"]
    await make_user(db, "other@example.com", ["manager"], name="Олег", employee_bitrix_id=102)
    token = (
        await client.post("/api/v1/auth/token", json={"email": "admin@example.com", "password": "correct-horse-42"})
    ).json()
    auth = {"Authorization": f"Bearer {token['access_token']}"}
    url = f"/api/v1/users/{manager.id}"

    linked = await client.patch(url, json={"employee_bitrix_id": 101}, headers=auth)
    assert linked.status_code == 200 and linked.json()["employee_bitrix_id"] == 101
    assert (await client.get(url, headers=auth)).json()["employee_bitrix_id"] == 101
    rows = (await client.get("/api/v1/users?q=manager@", headers=auth)).json()["rows"]
    assert [r["employee_bitrix_id"] for r in rows] == [101]

    renamed = await client.patch(url, json={"name": "Мария П."}, headers=auth)
    assert renamed.status_code == 200 and renamed.json()["employee_bitrix_id"] == 101

    for body, needle in (
        ({"employee_bitrix_id": 102}, "other@example.com"),
        ({"employee_bitrix_id": 999}, "999"),
        ({"employee_bitrix_id": 103}, "inactive"),
        ({"employee_bitrix_id": 0}, ""),
        ({"employee_bitrix_id": "abc"}, ""),
        ({"employee_bitrix_id": 2**63}, ""),
    ):
        refused = await client.patch(url, json=body, headers=auth)
        assert refused.status_code == 422, body
        errors = refused.json()["errors"]
        assert errors and errors[0]["field"] == "employee_bitrix_id", refused.json()
        assert needle in errors[0]["message"], refused.json()
    assert (await _reload(db, manager)).employee_bitrix_id == 101

    cleared = await client.patch(url, json={"employee_bitrix_id": None}, headers=auth)
    assert cleared.status_code == 200 and cleared.json()["employee_bitrix_id"] is None
    changes = [
        e.changes
        for e in (
            await db.scalars(select(AuditEntry).where(AuditEntry.entity_id == str(manager.id)).order_by(AuditEntry.id))
        ).all()
    ]
    assert {"employee_bitrix_id": ["Петров Иван (#101)", None]} in changes
    assert (
        await client.patch("/api/v1/users/00000000-0000-0000-0000-000000000000", json={}, headers=auth)
    ).status_code == 404


async def test_a_manager_linked_on_the_form_then_sees_exactly_the_companies_of_that_employee(client, db) -> None:
    people = await _people(db)
    manager = people["manager"]
    await login(client, "manager@example.com")
    assert not re.findall(r'href="/companies/(\d+)"', (await client.get("/companies")).text)
    client.cookies.clear()

    await login(client, "admin@example.com")
    saved = await post_form(
        client, f"/users/{manager.id}", _form(manager, employee_bitrix_id="101"), follow_redirects=False
    )
    assert saved.status_code == 303
    client.cookies.clear()

    await login(client, "manager@example.com")
    seen = {int(i) for i in re.findall(r'href="/companies/(\d+)"', (await client.get("/companies")).text)}
    assert seen == {1, 2}
    assert (await client.get("/companies/3")).status_code == 404


async def test_two_admins_linking_one_employee_at_once_cannot_both_succeed(client, db) -> None:
    people = await _people(db)
    other = await make_user(db, "other@example.com", ["manager"])
    from crm.lib.db import alchemy_config

    config = alchemy_config()
    async with config.get_session() as first, config.get_session() as second:
        a = await first.get(User, people["manager"].id)
        assert await employees.link_problem(first, 101, user_id=a.id, current_id=None) is None
        await services.update_user(first, a, None, employee_bitrix_id=101)
        await first.flush()
        b = await second.get(User, other.id)
        waiting = asyncio.create_task(employees.link_problem(second, 101, user_id=b.id, current_id=None))
        await asyncio.sleep(0.3)
        assert not waiting.done()  # the first admin's transaction holds the employee
        await first.commit()
        problem = await asyncio.wait_for(waiting, 5)
        await second.rollback()
    assert problem is not None and "manager@example.com" in problem


async def test_the_openapi_document_describes_the_user_update(client, db) -> None:
    schema = (await client.get("/docs/openapi.json")).json()
    operation = schema["paths"]["/api/v1/users/{user_id}"]["patch"]
    assert operation["tags"] == ["users"] and "employee_bitrix_id" in operation["description"]


async def test_one_employee_cannot_be_linked_to_two_users_even_without_the_form(client, db) -> None:
    from sqlalchemy.exc import IntegrityError

    people = await _people(db)
    other = await make_user(db, "other@example.com", ["manager"])
    people["manager"].employee_bitrix_id = 101
    await db.commit()
    other.employee_bitrix_id = 101
    try:
        await db.commit()
    except IntegrityError:
        await db.rollback()
    else:
        raise AssertionError("two users were linked to employee 101")


async def test_the_sync_link_by_email_skips_an_employee_an_admin_links_at_the_same_moment(client, db) -> None:
    from crm.features.clients.store_directory import link_users_by_email
    from crm.lib.db import alchemy_config

    people = await _people(db)
    namesake = await make_user(db, "PETROV@portal.ru", ["manager"])  # the email of employee 101
    await make_user(db, "sidorova@portal.ru", ["manager"])  # employee 102: linked by the sync as usual
    config = alchemy_config()
    async with config.get_session() as admin, config.get_session() as sync:
        manager = await admin.get(User, people["manager"].id)
        await services.update_user(admin, manager, None, employee_bitrix_id=101)
        await admin.flush()  # the admin's link is written, not yet committed
        running = asyncio.create_task(link_users_by_email(sync))
        await asyncio.sleep(0.5)
        assert not running.done()  # the sync waits on the unique index for the admin's transaction
        await admin.commit()
        linked = await asyncio.wait_for(running, 10)
        await sync.commit()  # no error: the sync goes on
    assert linked == 1
    rows = (await db.execute(select(User.email, User.employee_bitrix_id).order_by(User.email))).all()
    assert dict(rows)["manager@example.com"] == 101 and dict(rows)["sidorova@portal.ru"] == 102
    assert dict(rows)[namesake.email] is None
    audit = (await db.scalars(select(AuditEntry).where(AuditEntry.entity_id == str(namesake.id)))).all()
    assert not [e for e in audit if "employee_bitrix_id" in e.changes]  # the undone link left no audit entry

    async with config.get_session() as later:  # a later sync sees the link and does not even try
        assert await link_users_by_email(later) == 0
