"""The clients slice through HTTP: companies list and card, employees tree, pipelines, the Integrations screen,
the API, and row scope (managers see their companies, heads their department subtree)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from crm.features.clients.models import Company, Stage
from crm.features.clients.sync_models import Bitrix24Settings, SyncRun
from crm.features.org.models import Department, Employee
from tests.conftest import DEFAULT_PASSWORD, drain_queue, login, make_user, post_form
from tests.emulators.bitrix24 import Portal, running
from tests.emulators.fixtures import fast_portal


@pytest.fixture
def portal() -> Portal:
    return fast_portal()


@pytest.fixture
def emulator(portal: Portal) -> Iterator[Any]:
    with running(portal) as server:
        yield server


async def loaded(db: Any) -> dict[str, Any]:
    """The demo: departments, users, and the generated portal loaded through the sync's upserts."""
    from crm.demo import load_demo

    await load_demo(db)
    await db.commit()
    return {"companies": await db.scalar(select(func.count()).select_from(Company))}


async def test_the_companies_list_filters_by_title_inn_responsible_industry_and_region(client, db) -> None:
    await loaded(db)
    await login(client, "admin@example.com", "crm-demo-2026")
    page = await client.get("/companies")
    assert page.status_code == 200 and "Companies" in page.text
    company = (
        await db.scalars(
            select(Company).where(Company.inn.is_not(None), Company.region.is_not(None)).order_by(Company.id)
        )
    ).first()
    by_inn = await client.get(f"/companies?inn={company.inn[:6]}", headers={"hx-request": "true", "hx-target": "list"})
    assert company.title in by_inn.text and "<html" not in by_inn.text
    by_all = await client.get(
        "/companies",
        params={
            "q": company.title[4:9],
            "responsible": company.responsible_id,
            "industry": company.industry,
            "region": company.region,
        },
    )
    assert f"/companies/{company.id}" in by_all.text
    nothing = await client.get("/companies?inn=0000000000000")
    assert "No companies match the filter" in nothing.text
    export = await client.get(f"/companies?format=csv&industry={company.industry}")
    assert export.status_code == 200 and company.inn in export.text.splitlines()[1 + 0] + export.text


async def test_the_company_card_shows_requisites_deals_by_pipeline_and_a_timeline(client, db) -> None:
    await loaded(db)
    await login(client, "admin@example.com", "crm-demo-2026")
    company = (await db.scalars(select(Company).where(Company.inn.is_not(None)).order_by(Company.id))).first()
    card = await client.get(f"/companies/{company.id}")
    assert card.status_code == 200
    for text in (company.inn, "Deals by pipeline", "Timeline"):
        assert text in card.text
    assert (await client.get("/companies/999999999")).status_code == 404


async def test_managers_see_only_their_companies_and_heads_their_subtree(client, db) -> None:
    await loaded(db)
    manager = await db.scalar(select(func.count()).select_from(Company))
    assert manager
    from crm.features.accounts.models import User

    user = await db.scalar(select(User).where(User.email == "manager@example.com"))
    assert user.employee_bitrix_id
    own = (await db.scalars(select(Company).where(Company.responsible_id == user.employee_bitrix_id))).all()
    other = (await db.scalars(select(Company).where(Company.responsible_id != user.employee_bitrix_id))).first()
    await login(client, "manager@example.com", "crm-demo-2026")
    listing = await client.get("/api/v1/companies?page_size=500", headers=await bearer(client, "manager@example.com"))
    assert listing.status_code == 200
    assert {r["id"] for r in listing.json()["rows"]} == {c.id for c in own if c.active}
    assert (await client.get(f"/companies/{other.id}")).status_code == 404
    auth = await bearer(client, "manager@example.com")
    assert (await client.get(f"/api/v1/companies/{other.id}", headers=auth)).status_code == 404
    client.cookies.clear()

    head = await db.scalar(select(User).where(User.email == "head@example.com"))
    await login(client, "head@example.com", "crm-demo-2026")
    from crm.features.org.tree import department_subtree_ids

    subtree = await department_subtree_ids(db, head.department_id)
    people = set((await db.scalars(select(Employee.id).where(Employee.department_id.in_(subtree)))).all())
    expected = (
        await db.scalars(
            select(Company.id).where(
                Company.active.is_(True),
                (Company.responsible_id.in_(people) | (Company.responsible_id == head.employee_bitrix_id)),
            )
        )
    ).all()
    seen = (
        await client.get("/api/v1/companies?page_size=500", headers=await bearer(client, "head@example.com"))
    ).json()
    assert seen["total"] == len(expected) and 0 < seen["total"] < (await loaded_count(db))


async def bearer(client: Any, email: str, password: str = "crm-demo-2026") -> dict[str, str]:  # noqa: S107
    reply = await client.post("/api/v1/auth/token", json={"email": email, "password": password})
    return {"Authorization": f"Bearer {reply.json()['access_token']}"}


async def loaded_count(db: Any) -> int:
    return int(await db.scalar(select(func.count()).select_from(Company).where(Company.active.is_(True))) or 0)


async def test_the_api_gives_a_company_with_pipeline_sums_the_department_tree_and_deals(client, db) -> None:
    await loaded(db)
    await make_user(db, "api@example.com", ["admin"])
    token = (
        await client.post("/api/v1/auth/token", json={"email": "api@example.com", "password": "correct-horse-42"})
    ).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    rows = (await client.get("/api/v1/companies?sort=-last&page_size=5", headers=auth)).json()["rows"]
    assert len(rows) == 5 and rows[0]["last_communication_at"]
    detail = (await client.get(f"/api/v1/companies/{rows[0]['id']}", headers=auth)).json()
    assert detail["bitrix_id"] == rows[0]["id"] and isinstance(detail["pipelines"], dict)
    departments = (await client.get("/api/v1/departments?sort=position", headers=auth)).json()["rows"]
    assert departments and all(d["head_id"] for d in departments) and any(d["parent_id"] for d in departments)
    deals = (await client.get(f"/api/v1/deals?company_id={rows[0]['id']}&stage_semantic=S", headers=auth)).json()
    assert all(d["stage_semantic"] == "S" and d["company_id"] == rows[0]["id"] for d in deals["rows"])
    assert (await client.get("/api/v1/companies?page_size=501", headers=auth)).status_code == 422
    employees = (await client.get("/api/v1/employees", headers=auth)).json()
    assert employees["total"] > 0


async def test_the_employees_tree_shows_heads_and_inherits_a_missing_one(client, db) -> None:
    await loaded(db)
    await login(client, "admin@example.com", "crm-demo-2026")
    page = await client.get("/employees")
    assert page.status_code == 200 and "Head" in page.text
    for d in (await db.scalars(select(Department))).all():
        assert d.name in page.text


async def test_an_admin_marks_a_stage_as_preparation_and_a_manager_cannot(client, db) -> None:
    await loaded(db)
    stage = (await db.scalars(select(Stage).where(Stage.semantics == "P").order_by(Stage.status_id))).first()
    await login(client, "manager@example.com", "crm-demo-2026")
    assert (await client.get("/pipelines")).status_code == 200
    denied = await post_form(
        client, "/pipelines/stages/preparation", {"status_id": stage.status_id, "preparation": "true"}
    )
    assert denied.status_code == 403
    client.cookies.clear()
    await login(client, "admin@example.com", "crm-demo-2026")
    done = await post_form(
        client, "/pipelines/stages/preparation", {"status_id": stage.status_id, "preparation": "true"}
    )
    assert done.status_code in (200, 303)
    await db.refresh(stage)
    assert stage.preparation is True


async def test_the_integrations_screen_connects_tests_and_starts_a_sync_without_showing_secrets(
    client, db, emulator, portal
) -> None:
    await make_user(db, "boss@example.com", ["admin"])
    await login(client, "boss@example.com")
    bad = await post_form(
        client,
        "/integrations/bitrix24",
        {"mode": "webhook", "webhook_url": "https://x.example/abc", "rate": "2", "min_call_seconds": "20"},
    )
    assert bad.status_code == 422 and "webhook URL looks like" in bad.text
    bad_map = await post_form(
        client,
        "/integrations/bitrix24",
        {
            "mode": "webhook",
            "webhook_url": emulator.webhook_url,
            "rate": "2",
            "min_call_seconds": "20",
            "field_map": "{not json",
        },
    )
    assert bad_map.status_code == 422 and emulator.webhook_url in bad_map.text  # what was typed is kept
    saved = await post_form(
        client,
        "/integrations/bitrix24",
        {
            "mode": "webhook",
            "webhook_url": emulator.webhook_url,
            "rate": "2",
            "min_call_seconds": "20",
            "field_map": '{"deal": {"contract_type": "UF_CRM_1"}}',
        },
        follow_redirects=True,
    )
    code = next(iter(portal.webhooks.values()))
    assert saved.status_code == 200 and code not in saved.text and "connected" in saved.text
    row = await db.get(Bitrix24Settings, 1)
    await db.refresh(row)
    assert code not in row.webhook_url_enc and row.field_map == {"deal": {"contract_type": "UF_CRM_1"}}
    tested = await post_form(client, "/integrations/bitrix24/test", {})
    assert "Connected to 127.0.0.1" in tested.text and "telephony" in tested.text and code not in tested.text
    started = await post_form(client, "/integrations/bitrix24/sync", {"kind": "full"}, follow_redirects=True)
    assert started.status_code == 200
    run = await db.scalar(select(SyncRun).order_by(SyncRun.id.desc()))
    assert run.kind == "full" and run.status == "queued"
    await drain_queue()  # a real SAQ worker takes the job the button queued
    await db.refresh(run)
    assert run.status == "done", run.error
    page = await client.get("/integrations/bitrix24")
    assert "done" in page.text and "companies" in page.text


async def test_heads_may_resync_a_period_but_not_change_the_connection(client, db) -> None:
    await make_user(db, "h@example.com", ["head"])
    await login(client, "h@example.com")
    page = await client.get("/integrations/bitrix24")
    assert page.status_code == 200 and "Refresh data for a period" in page.text and "Webhook URL" not in page.text
    assert (await post_form(client, "/integrations/bitrix24", {"mode": "webhook"})).status_code == 403
    wrong = await post_form(client, "/integrations/bitrix24/period", {"since": "2026-03-10", "until": "2026-03-01"})
    assert wrong.status_code == 422 and "before the start" in wrong.text
    ok = await post_form(client, "/integrations/bitrix24/period", {"since": "2026-03-01", "until": "2026-03-31"})
    assert ok.status_code in (200, 303)
    run = await db.scalar(select(SyncRun).order_by(SyncRun.id.desc()))
    assert run.kind == "period" and run.params == {"since": "2026-03-01", "until": "2026-03-31"}
    await drain_queue()  # the worker knows the job the button queued (no connection here, so it fails readably)
    await db.refresh(run)
    assert run.status == "failed" and run.error


async def test_people_without_clients_view_get_403(client, db) -> None:
    await make_user(db, "op@example.com", ["operator"])
    await login(client, "op@example.com")
    for url in ("/companies", "/employees", "/pipelines", "/integrations/bitrix24"):
        assert (await client.get(url)).status_code == 403, url
    auth = await bearer(client, "op@example.com", "correct-horse-42")
    assert (await client.get("/api/v1/companies", headers=auth)).status_code == 403


async def test_the_local_app_install_handler_stores_only_proven_tokens_of_the_configured_portal(
    client, db, emulator, portal
) -> None:
    from urllib.parse import urlsplit

    from crm.features.clients.connection import decrypt, encrypt, settings_row

    row = await settings_row(db)
    row.mode, row.portal, row.client_id = "app", emulator.base_url, portal.client_id
    row.client_secret_enc = encrypt(portal.client_secret)
    await db.commit()
    tokens = portal.issue_tokens()
    form = {
        "event": "ONAPPINSTALL",
        "auth[access_token]": tokens["access_token"],
        "auth[refresh_token]": tokens["refresh_token"],
        "auth[client_endpoint]": emulator.client_endpoint,
        "auth[domain]": urlsplit(emulator.base_url).netloc,
    }
    stranger = await client.post("/integrations/bitrix24/install", data={**form, "auth[domain]": "evil.example"})
    assert stranger.status_code == 403
    forged = await client.post("/integrations/bitrix24/install", data={**form, "auth[access_token]": "forged"})
    assert forged.status_code == 403
    ok = await client.post("/integrations/bitrix24/install", data=form)
    assert ok.status_code in (200, 201)
    await db.refresh(row)
    assert decrypt(row.access_token_enc) == tokens["access_token"]
    assert tokens["refresh_token"] not in row.refresh_token_enc


async def test_the_runs_block_alone_is_sent_to_htmx_and_the_api_is_documented(client, db) -> None:
    await make_user(db, "boss@example.com", ["admin"])
    await login(client, "boss@example.com")
    partial = await client.get("/integrations/bitrix24", headers={"hx-request": "true", "hx-target": "runs"})
    assert partial.status_code == 200 and 'id="runs"' in partial.text and "<html" not in partial.text
    schema = await client.get("/docs/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in (
        "/api/v1/companies",
        "/api/v1/companies/{company_id}",
        "/api/v1/employees",
        "/api/v1/departments",
        "/api/v1/deals",
    ):
        assert path in paths, path


async def test_testing_an_app_connection_with_an_expired_token_keeps_the_rotated_refresh_token(
    client, db, emulator, portal
) -> None:
    from crm.features.clients.connection import decrypt, encrypt, settings_row

    tokens = portal.issue_tokens()
    row = await settings_row(db)
    row.mode, row.portal, row.client_id = "app", emulator.base_url, portal.client_id
    row.client_secret_enc, row.client_endpoint, row.oauth_url = (
        encrypt(portal.client_secret),
        emulator.client_endpoint,
        emulator.oauth_url,
    )
    row.access_token_enc, row.refresh_token_enc = encrypt(tokens["access_token"]), encrypt(tokens["refresh_token"])
    await make_user(db, "boss@example.com", ["admin"])
    await db.commit()
    portal.expire_tokens()
    await login(client, "boss@example.com")
    tested = await post_form(client, "/integrations/bitrix24/test", {})
    assert "Connected to" in tested.text and portal.refreshes == 1
    await db.refresh(row)
    assert decrypt(row.refresh_token_enc) in portal.refresh_tokens  # the new one, usable next time


async def test_companies_show_the_portals_names_of_industries_and_sizes_and_standard_names_as_fallback(
    client, db
) -> None:
    from sqlalchemy import delete

    from crm.features.clients.models import ReferenceValue

    await loaded(db)
    await login(client, "admin@example.com", "crm-demo-2026")
    listing = await client.get("/companies?industry=ENERGY")
    assert listing.status_code == 200
    assert '<option value="ENERGY" selected>Энергетика</option>' in listing.text  # the filter offers names
    assert "<td>Энергетика</td>" in listing.text and "<td>ENERGY</td>" not in listing.text
    by_name = await client.get("/companies?sort=industry&page_size=10")  # by the names shown, not the codes
    assert by_name.text.count("<td>Здравоохранение</td>") == 10, "AGRICULTURE would come first by code"
    assert "Энергетика" in (await client.get("/companies?industry=ENERGY&format=csv")).text
    company = (
        await db.scalars(
            select(Company).where(Company.employees == "EMPLOYEES_3", Company.fields["segment"].astext != "")
        )
    ).first()
    card = await client.get(f"/companies/{company.id}")
    assert "Number of employees</dt><dd>250-500" in card.text and "EMPLOYEES_3" not in card.text
    assert "Company type</dt><dd>Клиент" in card.text and "<dt>Segment</dt>" in card.text
    assert "<dt>segment</dt>" not in card.text
    # a portal whose lists lack the codes (never synced, or items removed): Bitrix24's standard names, translated
    await db.execute(delete(ReferenceValue))
    company.industry, company.employees = "TELECOM", "EMPLOYEES_1"
    await db.commit()
    card = await client.get(f"/companies/{company.id}")
    assert "Industry</dt><dd>Telecommunications" in card.text and "fewer than 50" in card.text
    client.cookies.set("crm_lang", "ru", domain="testserver.local")
    card = await client.get(f"/companies/{company.id}")
    assert "Телекоммуникации и связь" in card.text and "менее 50" in card.text and "Сегмент" in card.text


async def test_secondary_company_filters_are_behind_a_disclosure_that_opens_while_one_is_in_use(client, db) -> None:
    import re

    await loaded(db)
    await login(client, "manager@example.com", "crm-demo-2026")
    disclosure = re.compile(r'<details class="co-more-filters"\s*(open)?>\s*<summary>([^<]*)</summary>')
    plain = disclosure.search((await client.get("/companies")).text)
    assert plain is not None and plain.group(1) is None and plain.group(2).strip() == "Filters"
    page = await client.get("/companies?active=all&region=Москва")
    used = disclosure.search(page.text)
    assert used is not None and used.group(1) == "open" and used.group(2).strip() == "Filters (2)"
    assert '<option value="all" selected>' in page.text  # the status filter shows what is in use


async def test_the_webhook_hint_shows_its_placeholders_in_both_languages(client, db) -> None:
    await make_user(db, "boss@example.com", ["admin"])
    await login(client, "boss@example.com")
    page = await client.get("/integrations/bitrix24")
    assert "https://&lt;portal&gt;/rest/&lt;user id&gt;/&lt;code&gt;/" in page.text
    client.cookies.set("crm_lang", "ru", domain="testserver.local")
    page = await client.get("/integrations/bitrix24")
    assert "https://&lt;портал&gt;/rest/&lt;id пользователя&gt;/&lt;код&gt;/" in page.text


async def test_the_employees_tree_counts_people_with_plural_forms(client, db) -> None:
    import re

    await loaded(db)
    await login(client, "admin@example.com", "crm-demo-2026")
    english = re.findall(r"· (\d+) (employees?)</span>", (await client.get("/employees")).text)
    assert english and any(n == "1" for n, _ in english)
    assert all((word == "employee") == (n == "1") for n, word in english), english
    client.cookies.set("crm_lang", "ru", domain="testserver.local")
    russian = re.findall(r"· (\d+) (сотрудник\w*)</span>", (await client.get("/employees")).text)
    assert len(russian) == len(english)

    def form(n: int) -> str:
        if n % 10 == 1 and n % 100 != 11:
            return "сотрудник"
        return "сотрудника" if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14 else "сотрудников"

    assert all(word == form(int(n)) for n, word in russian), russian


async def test_the_demo_tells_one_story_linked_people_share_a_name_and_companies_have_plausible_names(client, db):
    import re

    from crm.features.accounts.models import User

    await loaded(db)
    for email in ("head@example.com", "manager@example.com", "manager2@example.com"):
        user = await db.scalar(select(User).where(User.email == email))
        employee = await db.get(Employee, user.employee_bitrix_id)
        assert f"{employee.name} {employee.last_name}" == user.name, email
    titles = (await db.scalars(select(Company.title))).all()
    for title in titles:
        assert not re.search(r"[A-Za-z]", title), title
        if title.startswith("ИП "):
            assert re.fullmatch(r"ИП [А-ЯЁ][а-яё]+ [А-ЯЁ]\. [А-ЯЁ]\.", title), title
        else:
            first, second = re.fullmatch(r"(?:ООО|АО|ПАО|ЗАО) «([А-ЯЁ][а-яё]+)([А-ЯЁ][а-яё]+)»", title).groups()
            assert first != second, title


async def test_the_active_filter_of_the_api_reads_true_false_yes_no_1_0_all_and_refuses_anything_else(client, db):
    db.add_all([Company(id=1, title="Open", active=True), Company(id=2, title="Gone", active=False)])
    await db.commit()
    await make_user(db, "admin@example.com", ["admin"])
    auth = await bearer(client, "admin@example.com", DEFAULT_PASSWORD)

    async def titles(value: str) -> list[str]:
        answer = await client.get(f"/api/v1/companies?active={value}", headers=auth)
        assert answer.status_code == 200, answer.text
        return sorted(r["title"] for r in answer.json()["rows"])

    for value in ("true", "yes", "1", "TRUE"):
        assert await titles(value) == ["Open"], value
    for value in ("false", "no", "0"):
        assert await titles(value) == ["Gone"], value
    assert await titles("all") == ["Gone", "Open"]
    refused = await client.get("/api/v1/companies?active=maybe", headers=auth)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "active"


async def test_a_big_clients_card_lists_a_pipelines_newest_deals_and_shows_all_on_request(client, db) -> None:
    from datetime import UTC, datetime, timedelta
    from decimal import Decimal

    from crm.features.clients.models import Deal
    from crm.features.clients.queries import DEALS_PER_PIPELINE

    await loaded(db)
    company = (await db.scalars(select(Company).order_by(Company.id))).first()
    await db.execute(Deal.__table__.delete().where(Deal.company_id == company.id))
    start = datetime(2026, 1, 1, tzinfo=UTC)
    extra = 5
    for i in range(DEALS_PER_PIPELINE + extra):  # deal 0 is the oldest, the last one the newest
        db.add(
            Deal(
                id=900_000 + i,
                title=f"Big deal {i:03d}",
                pipeline_id=0,
                company_id=company.id,
                amount=Decimal("10.00"),
                bitrix_created_at=start + timedelta(days=i),
                semantic="P",
            )
        )
    await db.commit()
    await login(client, "admin@example.com", "crm-demo-2026")
    card = (await client.get(f"/companies/{company.id}")).text
    total = DEALS_PER_PIPELINE + extra
    assert f"Big deal {total - 1:03d}" in card and f"Big deal {extra:03d}" in card  # the newest 30
    assert f"Big deal {extra - 1:03d}" not in card and "Big deal 000" not in card
    assert f"The newest {DEALS_PER_PIPELINE} of {total} deals." in card and "?pipeline=0#deals-0" in card
    whole = (await client.get(f"/companies/{company.id}?pipeline=0")).text
    assert all(f"Big deal {i:03d}" in whole for i in range(total)) and "The newest" not in whole
    assert (await client.get(f"/companies/{company.id}?pipeline=x")).status_code == 200  # a bad value: the card
