"""Admins manage users; the users list is the worked example of lists (filters, sort, pages, exports)."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook
from sqlalchemy import select

from crm.features.accounts.models import AuditEntry, User
from crm.features.org.models import Department
from tests.conftest import DEFAULT_PASSWORD, login, make_user, post_form


async def _admin(client, db):
    admin = await make_user(db, "admin@example.com", ["admin"], name="Анна")
    await login(client, "admin@example.com")
    return admin


async def test_an_admin_creates_a_user_who_must_change_the_temporary_password(client, db):
    await _admin(client, db)
    dep = Department(name="Продажи")
    db.add(dep)
    await db.commit()
    response = await post_form(
        client,
        "/users",
        {
            "email": "New.User@Example.com",
            "name": "Новый",
            "roles": ["manager", "head"],
            "department_id": str(dep.id),
            "password": "temp-pass-123",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    user = await db.scalar(select(User).where(User.email == "new.user@example.com"))
    assert user is not None and user.must_change_password
    assert sorted(user.role_names) == ["head", "manager"]
    assert user.department_id == dep.id
    audit = await db.scalar(
        select(AuditEntry).where(AuditEntry.entity_id == str(user.id), AuditEntry.action == "create")
    )
    assert audit is not None and audit.actor_email == "admin@example.com"

    client.cookies.clear()
    first = await post_form(
        client,
        "/login",
        {"email": "new.user@example.com", "password": "temp-pass-123"},
        follow_redirects=False,
    )
    assert first.headers["location"] == "/profile/password"


async def test_a_bad_user_form_shows_messages_next_to_fields_and_keeps_what_was_typed(client, db):
    await _admin(client, db)
    response = await post_form(
        client,
        "/users",
        {"email": "nope", "name": "Иван Петров", "password": "short", "telegraph_prefix": "12a"},
    )
    assert response.status_code == 422
    text = response.text
    assert 'id="e-email"' in text and 'id="e-roles"' in text and 'id="e-password"' in text
    assert 'id="e-telegraph_prefix"' in text
    assert 'value="Иван Петров"' in text
    assert await db.scalar(select(User).where(User.name == "Иван Петров")) is None


async def test_the_same_email_cannot_be_used_twice_even_by_a_double_submit(client, db):
    await _admin(client, db)
    form = {"email": "twice@example.com", "roles": "manager", "password": "temp-pass-123"}
    first = await post_form(client, "/users", form, follow_redirects=False)
    second = await post_form(client, "/users", form)
    assert first.status_code == 303
    assert second.status_code == 422
    assert 'id="e-email"' in second.text
    count = len((await db.scalars(select(User).where(User.email == "twice@example.com"))).all())
    assert count == 1


async def test_editing_roles_is_audited_with_old_and_new_values(client, db):
    await _admin(client, db)
    bob = await make_user(db, "bob@example.com", ["manager"])
    response = await post_form(client, f"/users/{bob.id}", {"name": "Боб", "roles": ["head"]}, follow_redirects=False)
    assert response.status_code == 303
    entry = await db.scalar(
        select(AuditEntry).where(AuditEntry.entity_id == str(bob.id), AuditEntry.action == "update")
    )
    assert entry.changes["roles"] == ["manager", "head"]
    assert entry.changes["name"] == ["", "Боб"]


async def test_an_admin_cannot_take_away_their_own_admin_role_or_deactivate_themselves(client, db):
    admin = await _admin(client, db)
    response = await post_form(client, f"/users/{admin.id}", {"roles": ["manager"]})
    assert response.status_code == 422
    await post_form(client, f"/users/{admin.id}/active", {"active": "false"})
    await db.refresh(admin)
    assert admin.is_active and "admin" in admin.role_names


async def test_a_manager_gets_403_on_admin_screens_and_actions(client, db):
    await make_user(db, "m@example.com", ["manager"])
    other = await make_user(db, "o@example.com", ["manager"])
    await login(client, "m@example.com")
    for url in ("/users", "/users/new", f"/users/{other.id}", "/roles", "/audit"):
        assert (await client.get(url)).status_code == 403, url
    assert (await post_form(client, f"/users/{other.id}/active", {"active": "false"})).status_code == 403
    assert (await post_form(client, "/roles", {"perm:manager": "users.manage"})).status_code == 403
    home = await client.get("/")
    assert 'href="/users"' not in home.text


async def test_the_users_list_filters_sorts_and_pages_on_the_server(client, db):
    await _admin(client, db)
    for i in range(60):
        await make_user(db, f"user{i:02d}@example.com", ["manager" if i % 2 else "operator"], name=f"Имя {i:02d}")
    page1 = await client.get("/users?role=operator&sort=-email")
    assert page1.status_code == 200
    assert page1.text.index("user58@example.com") < page1.text.index("user56@example.com")
    assert "user59@example.com" not in page1.text  # a manager
    many = await client.get("/users?sort=email&page=2")
    assert "user49@example.com" in many.text and "user00@example.com" not in many.text
    search = await client.get("/users?q=имя 07")
    assert "user07@example.com" in search.text and "user08@example.com" not in search.text
    empty = await client.get("/users?q=nobody-like-this")
    assert 'class="empty"' in empty.text
    nonsense = await client.get("/users?page=abc&page_size=100000&sort=password_hash")
    assert nonsense.status_code == 200


async def test_htmx_gets_only_the_list_block(client, db):
    await _admin(client, db)
    full = await client.get("/users")
    partial = await client.get("/users?q=admin", headers={"HX-Request": "true", "HX-Target": "list"})
    assert "<html" in full.text
    assert "<html" not in partial.text and 'id="list"' in partial.text
    assert "admin@example.com" in partial.text
    assert len(partial.content) < 40_000


async def test_exports_hold_exactly_the_filtered_rows_with_formulas_neutralised(client, db):
    await _admin(client, db)
    await make_user(db, "evil@example.com", ["manager"], name="=cmd|' /C calc'!A0")
    await make_user(db, "op@example.com", ["operator"])
    response = await client.get("/users?role=manager&format=csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"  # one charset, not two
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["email", "name"]
    assert [r[0] for r in rows[1:]] == ["evil@example.com"]
    assert rows[1][1] == "'=cmd|' /C calc'!A0"

    xlsx = await client.get("/users?role=manager&format=xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content), read_only=True).active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[1][0] == "evil@example.com" and values[1][1] == "'=cmd|' /C calc'!A0"
    assert len(values) == 2


async def test_an_admin_sets_a_temporary_password_and_old_sessions_end(client, db):
    await _admin(client, db)
    bob = await make_user(db, "bob@example.com", ["manager"])
    response = await post_form(client, f"/users/{bob.id}/password", {}, follow_redirects=False)
    assert response.status_code == 303
    await db.refresh(bob)
    assert bob.must_change_password
    client.cookies.clear()
    refused = await post_form(client, "/login", {"email": "bob@example.com", "password": DEFAULT_PASSWORD})
    assert refused.status_code == 200 and "/profile/password" not in refused.headers.get("location", "")
