"""The permission matrix, the audit log and the working-day calendar."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from crm.features.accounts.models import AuditEntry, Role
from crm.features.calendar import services as calendar
from crm.features.calendar.models import CalendarDay
from crm.features.org.models import Department
from tests.conftest import login, make_user, post_form, set_cookie


async def test_an_admin_grants_a_permission_and_the_role_gets_it_at_the_next_click(client, db):
    await make_user(db, "admin@example.com", ["admin"])
    await make_user(db, "bob@example.com", ["manager"])
    await login(client, "admin@example.com")
    page = await client.get("/roles")
    assert page.status_code == 200 and 'name="perm:manager"' in page.text
    assert 'name="perm:admin" value="users.manage"' in page.text and " checked disabled>" in page.text

    manager = await db.scalar(select(Role).where(Role.name == "manager"))
    form = {f"perm:{r.name}": list(r.permissions) for r in (await db.scalars(select(Role))).all()}
    form["perm:manager"] = [*manager.permissions, "audit.view"]
    assert (await post_form(client, "/roles", form, follow_redirects=False)).status_code == 303
    entry = await db.scalar(select(AuditEntry).where(AuditEntry.entity == "role"))
    assert entry.entity_id == "manager" and entry.changes["added"] == [None, "audit.view"]

    client.cookies.clear()
    await login(client, "bob@example.com")
    assert (await client.get("/audit")).status_code == 200


async def test_the_admin_role_keeps_the_permissions_to_repair_the_matrix(client, db):
    await make_user(db, "admin@example.com", ["admin"])
    await login(client, "admin@example.com")
    await post_form(client, "/roles", {"perm:admin": ["calendar.manage"]})
    admin = await db.scalar(select(Role).where(Role.name == "admin"))
    await db.refresh(admin)
    assert {"users.manage", "roles.manage"} <= set(admin.permissions)
    assert (await client.get("/roles")).status_code == 200


async def test_an_unknown_permission_code_is_a_422_naming_the_role_and_nothing_changes(client, db):
    await make_user(db, "admin@example.com", ["admin"])
    await login(client, "admin@example.com")
    manager = await db.scalar(select(Role).where(Role.name == "manager"))
    before = sorted(manager.permissions)
    form = {"perm:manager": [*before, "audit.view"], "perm:head": ["everything.please"]}
    reply = await post_form(client, "/roles", form, follow_redirects=False)
    assert reply.status_code == 422 and "perm:head" in reply.text
    await db.refresh(manager)
    assert sorted(manager.permissions) == before
    assert await db.scalar(select(AuditEntry).where(AuditEntry.entity == "role")) is None


async def test_the_audit_log_filters_and_a_head_sees_only_their_departments(client, db):
    sales = Department(name="Продажи")
    db.add(sales)
    await db.flush()
    team = Department(name="Группа 1", parent_id=sales.id)
    other = Department(name="Склад")
    db.add_all([team, other])
    await db.commit()
    await make_user(db, "admin@example.com", ["admin"])
    await make_user(db, "head@example.com", ["head"], department_id=sales.id)
    await make_user(db, "in-team@example.com", ["manager"], department_id=team.id)
    await make_user(db, "outside@example.com", ["manager"], department_id=other.id)
    from crm.features.accounts import services

    for email in ("in-team@example.com", "outside@example.com"):
        user = await db.scalar(select(services.User).where(services.User.email == email))
        await services.record(db, user, "plan", email, "update", {"calls": [1, 2]}, summary=f"plan of {email}")
    await db.commit()

    await login(client, "head@example.com")
    page = await client.get("/audit?entity=plan")
    assert "plan of in-team@example.com" in page.text
    assert "plan of outside@example.com" not in page.text

    client.cookies.clear()
    await login(client, "admin@example.com")
    everything = await client.get("/audit?entity=plan")
    assert "plan of outside@example.com" in everything.text
    by_actor = await client.get("/audit?actor=outside")
    assert "plan of outside@example.com" in by_actor.text and "plan of in-team" not in by_actor.text
    csv_export = await client.get("/audit?entity=plan&format=csv")
    assert csv_export.content.decode("utf-8-sig").count("plan of") == 2


async def test_a_new_year_is_filled_from_the_russian_production_calendar(db, client):
    await calendar.ensure_year(db, 2026)
    await db.commit()
    days = await calendar.working_days(db, date(2026, 1, 1), date(2026, 12, 31))
    assert len(days) == 247  # the official count for 2026
    assert not await calendar.is_working_day(db, date(2026, 1, 7))  # Christmas
    assert not await calendar.is_working_day(db, date(2026, 3, 9))  # 8 March falls on a Sunday: moved to Monday
    assert await calendar.is_working_day(db, date(2026, 3, 11))
    assert not await calendar.is_working_day(db, date(2026, 3, 14))  # a Saturday


async def test_an_admin_toggles_a_day_and_the_change_is_audited_and_kept(client, db):
    await make_user(db, "admin@example.com", ["admin"])
    await login(client, "admin@example.com")
    page = await client.get("/calendar?year=2026")
    assert page.status_code == 200 and 'id="d-2026-03-11"' in page.text
    response = await post_form(client, "/calendar/2026-03-11/toggle", {}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and "<html" not in response.text and 'aria-pressed="true"' in response.text
    day = await db.get(CalendarDay, date(2026, 3, 11))
    assert day.is_working is False and day.edited
    entry = await db.scalar(select(AuditEntry).where(AuditEntry.entity == "calendar"))
    assert entry.entity_id == "2026-03-11" and entry.changes["is_working"] == [True, False]
    await calendar.ensure_year(db, 2026)  # filling again keeps the hand edit
    await db.commit()
    await db.refresh(day)
    assert day.is_working is False


async def test_everyone_may_look_at_the_calendar_but_only_admins_change_it(client, db):
    await make_user(db, "bob@example.com", ["manager"])
    await login(client, "bob@example.com")
    page = await client.get("/calendar?year=2026")
    assert page.status_code == 200 and "hx-post" not in page.text
    assert (await post_form(client, "/calendar/2026-03-11/toggle", {})).status_code == 403
    assert (await client.get("/calendar?year=1800")).status_code == 404
    assert (await client.get("/calendar?year=abc")).status_code == 400


async def test_the_audit_log_reads_in_words_not_codes(client, db):
    from tests.conftest import set_cookie
    from tests.integration.test_leads_fixtures import make_operator, make_source

    admin = await make_user(db, "admin@example.com", ["admin"])
    anna = await make_operator(db, "anna@example.com", max_load=2, name="Анна Операторова")
    await make_source(db, "Сайт", {anna: 1})
    from crm.features.accounts import services

    await services.record(db, admin, "telegram_registry", "7", "form", {"status": ["draft", "formed"]}, summary="R")
    await services.record(db, admin, "calendar", "2026-01-16", "toggle", {"is_working": [False, True]})
    await services.record(db, None, "telegram_detail", "3", "failed", {"status": ["queued", "failed"]},
                          summary="SMTP is not configured (CRM_SMTP_HOST)")  # fmt: skip
    await services.record(db, admin, "lead_operator", str(anna), "update", {"max_load": [2, 5]}, summary="anna")
    await db.commit()
    set_cookie(client, "crm_lang", "ru")
    await login(client, "admin@example.com")
    page = (await client.get("/audit")).text.split('id="list"')[1]  # option values of the filter are codes
    for raw in ("lead_source", "lead_operator", ">weights<", "max_load", ">system<", "True", "False",
                ">draft<", ">formed<", ">queued<", ">failed<", "SMTP is not configured"):  # fmt: skip
        assert raw not in page, raw
    assert "Источник обращений" in page and "веса изменены" in page and "Максимальная нагрузка" in page
    assert "<b>Анна Операторова</b>: <del>∅</del> → <ins>1</ins>" in page  # weights by name, not operator id
    assert "<del>нет</del> → <ins>да</ins>" in page
    assert "<del>черновик</del> → <ins>сформирован</ins>" in page
    await services.record(db, admin, "telegram_registry", "7", "bill", {"status": ["formed", "closed"]}, summary="R")
    await services.record(db, admin, "lead_contact", "8", "close", {"status": ["open", "closed"]}, summary="C")
    await db.commit()
    page = (await client.get("/audit")).text.split('id="list"')[1]
    assert "<del>сформирован</del> → <ins>закрыт</ins>" in page  # a registry (реестр)
    assert "<del>открыто</del> → <ins>закрыто</ins>" in page  # a contact (обращение)
    assert "SMTP не настроен (CRM_SMTP_HOST)" in page and "система" in page


async def test_an_empty_audit_says_there_are_no_changes_yet_unless_a_filter_hides_them(client, db):
    await make_user(db, "head@example.com", ["head"])
    await login(client, "head@example.com")
    page = (await client.get("/audit")).text
    assert "No changes yet." in page and "match the filter" not in page
    filtered = (await client.get("/audit?actor=nobody")).text
    assert "No changes match the filter." in filtered


async def test_holiday_names_on_the_calendar_are_in_the_readers_language(client, db):
    await make_user(db, "admin@example.com", ["admin"])
    await login(client, "admin@example.com")
    english = (await client.get("/calendar?year=2027")).text
    assert "New Year" in english and "Новогодние" not in english
    set_cookie(client, "crm_lang", "ru")
    russian = (await client.get("/calendar?year=2027")).text
    assert "Новогодние каникулы" in russian and "New Year" not in russian
    toggled = await post_form(client, "/calendar/2027-01-01/toggle", {}, headers={"HX-Request": "true"})
    assert "Новогодние каникулы" in toggled.text


async def test_the_matrix_offers_every_built_section_and_saving_it_sets_them(client, db):
    await make_user(db, "admin@example.com", ["admin"])
    await login(client, "admin@example.com")
    page = (await client.get("/roles")).text
    assert 'value="clients.view"' in page and 'value="leads.operate"' in page
    assert 'value="plans.view"' in page and 'value="reports.view"' in page
    for code in ("goals.view", "goals.manage", "strategies.manage", "tasks.work"):  # built this time
        assert f'value="{code}"' in page, code
    manager = await db.scalar(select(Role).where(Role.name == "manager"))
    assert {"tasks.work", "goals.view"} <= set(manager.permissions)
    form = {f"perm:{r.name}": list(r.permissions) for r in (await db.scalars(select(Role))).all()}
    form["perm:manager"] = ["clients.view", "audit.view", "tasks.work"]
    await post_form(client, "/roles", form)
    await db.refresh(manager)
    assert {"clients.view", "audit.view", "tasks.work"} <= set(manager.permissions)
    assert "plans.view" not in manager.permissions and "goals.view" not in manager.permissions


async def test_the_audit_log_names_people_roles_and_permissions(client, db):
    await make_user(db, "admin@example.com", ["admin"], name="Анна Соколова")
    bob = await make_user(db, "bob@example.com", ["manager"], name="Борис")
    await login(client, "admin@example.com")
    form = {f"perm:{r.name}": list(r.permissions) for r in (await db.scalars(select(Role))).all()}
    form["perm:manager"] = [*form["perm:manager"], "audit.view"]
    await post_form(client, "/roles", form)
    await post_form(client, f"/users/{bob.id}", {"name": "Борис", "roles": ["manager", "head"]})
    page = (await client.get("/audit")).text.split('id="list"')[1]
    assert 'title="admin@example.com">Анна Соколова</span>' in page
    assert "Sales manager" in page and "Browse the audit log" in page
    assert "audit.view" not in page and ">manager<" not in page
