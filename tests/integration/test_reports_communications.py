"""The client-communication report (spec/reports.md): scope, filters, staleness, pipeline marks, totals, sorting,
export, saved views, settings and the API contract, on a small organisation arranged in each test."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from crm.features.accounts.models import AuditEntry
from crm.features.clients.models import Company, Deal, Pipeline
from crm.features.clients.sync_models import CompanyFigure, CompanyPipelineFigure
from crm.features.org.models import Department, Employee
from crm.features.reports.models import ReportView
from tests.conftest import DEFAULT_PASSWORD, login, make_user, post_form

NOW = datetime.now(UTC)
LIST = {"hx-request": "true", "hx-target": "list"}


async def organisation(db: Any) -> dict[str, Any]:
    """Sales (head Ivanova) with a sub-department North (manager Petrov); manager Sidorov in Retail; two
    pipelines; six companies with figures; users admin, head, manager (Petrov), other (Sidorov)."""
    sales = Department(name="Sales", bitrix_id=1)
    db.add(sales)
    await db.flush()
    north = Department(name="North", bitrix_id=2, parent_id=sales.id)
    retail = Department(name="Retail", bitrix_id=3)
    db.add_all([north, retail])
    await db.flush()
    db.add_all(
        [
            Employee(id=10, name="Anna", last_name="Ivanova", department_id=sales.id),
            Employee(id=11, name="Pavel", last_name="Petrov", department_id=north.id),
            Employee(id=12, name="Semen", last_name="Sidorov", department_id=retail.id),
            Pipeline(id=0, name="General", sort=100),
            Pipeline(id=3, name="Projects", sort=200),
        ]
    )
    rows = [
        # id, title, inn, responsible, revenue, employees, industry, region, days since last communication
        (101, "Alpha Steel", "7701000001", 10, Decimal("5000000"), "EMPLOYEES_3", "MANUFACTURING", "Moscow", 187),
        (102, "Beta Foods", "7702000002", 11, Decimal("800000"), "EMPLOYEES_1", "FOOD", "Kazan", 170),
        (103, "Gamma Soft", "5003000003", 11, Decimal("120000000"), "EMPLOYEES_4", "IT", "Moscow", 3),
        (104, "Delta Trade", "7704000004", 12, None, "EMPLOYEES_2", "TRADE", "Omsk", None),
        (105, "Epsilon Lab", "7705000005", 12, Decimal("300000"), "", "IT", "Kazan", 150),
        (106, "Zeta Gone", "7706000006", 11, None, "", "IT", "Kazan", 1),
    ]
    for cid, title, inn, resp, revenue, staff, industry, region, days in rows:
        db.add(
            Company(
                id=cid,
                title=title,
                inn=inn,
                responsible_id=resp,
                revenue=revenue,
                employees=staff,
                industry=industry,
                region=region,
                active=cid != 106,
            )
        )
        db.add(
            CompanyFigure(
                company_id=cid, last_communication_at=NOW - timedelta(days=days) if days is not None else None
            )
        )
    figures = [
        # company, pipeline, active, won, preparation
        (101, 0, "50", "100", 0),
        (101, 3, "0", "2000", 0),
        (102, 0, "700", "0", 1),
        (103, 3, "9000", "300", 0),
        (104, 0, "0", "40", 0),
        (105, 3, "10", "0", 0),
    ]
    for cid, pid, active, won, prep in figures:
        db.add(
            CompanyPipelineFigure(
                company_id=cid,
                pipeline_id=pid,
                active_sum=Decimal(active),
                active_count=int(Decimal(active) > 0),
                won_sum=Decimal(won),
                won_count=int(Decimal(won) > 0),
                preparation_count=prep,
            )
        )
    db.add_all(
        [
            Deal(id=1, company_id=101, pipeline_id=0, semantic="F", amount=30, close_date=date.today() - timedelta(5)),
            Deal(id=2, company_id=103, pipeline_id=3, semantic="F", amount=30, close_date=date.today() - timedelta(90)),
        ]
    )
    await db.commit()
    await make_user(db, "admin@x.test", ["admin"])
    await make_user(db, "head@x.test", ["head"], department_id=sales.id, employee_bitrix_id=10)
    await make_user(db, "manager@x.test", ["manager"], department_id=north.id, employee_bitrix_id=11)
    await make_user(db, "other@x.test", ["manager"], department_id=retail.id, employee_bitrix_id=12)
    return {"sales": sales, "north": north, "retail": retail}


AUTH: dict[str, str] = {}


async def signin(client: Any, email: str) -> None:
    """A browser session and a bearer token for the API, both of ``email``."""
    client.cookies.clear()
    client.cookies.set("crm_lang", "en", domain="testserver.local")
    await login(client, email)
    reply = await client.post("/api/v1/auth/token", json={"email": email, "password": DEFAULT_PASSWORD})
    AUTH["Authorization"] = f"Bearer {reply.json()['access_token']}"


async def api(client: Any, query: str = "") -> Any:
    return await client.get(f"/api/v1/reports/communications{query}", headers=AUTH)


def ids(reply: Any) -> list[int]:
    return [r["company_id"] for r in reply.json()["rows"]]


async def test_managers_see_their_own_companies_heads_their_subtree_and_admins_everything(client, db) -> None:
    await organisation(db)
    await signin(client, "manager@x.test")
    assert sorted(ids(await api(client))) == [102, 103]
    await signin(client, "head@x.test")
    assert sorted(ids(await api(client))) == [101, 102, 103]
    await signin(client, "admin@x.test")
    assert sorted(ids(await api(client))) == [101, 102, 103, 104, 105]  # the deleted company is not in it


async def test_the_api_answers_the_contract_of_the_spec(client, db) -> None:
    await organisation(db)
    await signin(client, "admin@x.test")
    body = (await api(client, "?sort=title")).json()
    assert set(body) == {"total", "page", "page_size", "rows", "totals"}
    assert body["total"] == 5 and body["page"] == 1 and body["page_size"] == 50
    row = body["rows"][0]
    assert set(row) == {
        "company_id",
        "bitrix_id",
        "title",
        "inn",
        "responsible",
        "last_communication_at",
        "stale",
        "pipelines",
    }
    assert row["title"] == "Alpha Steel" and row["bitrix_id"] == 101 and row["responsible"] == "Ivanova Anna"
    assert row["stale"] is True
    assert row["pipelines"] == [
        {"id": 0, "name": "General", "active_sum": "50.00", "won_sum": "100.00"},
        {"id": 3, "name": "Projects", "active_sum": "0", "won_sum": "2000.00"},
    ] or [(p["id"], Decimal(p["active_sum"]), Decimal(p["won_sum"])) for p in row["pipelines"]] == [
        (0, Decimal(50), Decimal(100)),
        (3, Decimal(0), Decimal(2000)),
    ]
    assert set(body["totals"][0]) == {"id", "name", "active_sum", "won_sum"}


async def test_stale_is_past_six_months_or_never_and_amber_in_the_month_before(client, db) -> None:
    await organisation(db)
    await signin(client, "admin@x.test")
    stale = {r["company_id"]: r["stale"] for r in (await api(client)).json()["rows"]}
    assert stale == {101: True, 102: False, 103: False, 104: True, 105: False}  # 187 d, 170 d, 3 d, never, 150 d
    page = await client.get("/reports/communications?sort=title")
    text = page.text
    alpha = text[text.index("Alpha Steel") : text.index("Beta Foods")]
    assert "stale-red" in alpha and "no contact for 187 days" in alpha and "⚠" in alpha
    beta = text[text.index("Beta Foods") : text.index("Delta Trade")]
    assert "stale-amber" in beta and "no contact for 170 days" in beta and "◷" in beta
    delta = text[text.index("Delta Trade") : text.index("Epsilon Lab")]
    assert "stale-red" in delta and "no communication recorded" in delta
    epsilon = text[text.index("Epsilon Lab") : text.index("Gamma Soft")]
    assert "stale-" not in epsilon and "no contact for" not in epsilon
    only = await api(client, "?stale=true")
    assert sorted(ids(only)) == [101, 104]


async def test_pipeline_cells_mark_a_deal_in_preparation_and_a_recently_lost_deal(client, db) -> None:
    await organisation(db)
    await signin(client, "admin@x.test")
    text = (await client.get("/reports/communications?sort=title")).text
    alpha = text[text.index("Alpha Steel") : text.index("Beta Foods")]
    beta = text[text.index("Beta Foods") : text.index("Delta Trade")]
    gamma = text[text.index("Gamma Soft") : text.index("Total of")]
    assert "A deal lost in the last 30 days" in alpha and "A deal in preparation" not in alpha
    assert "A deal in preparation" in beta and "A deal lost" not in beta
    assert "A deal lost" not in gamma  # lost 90 days ago


async def test_each_filter_narrows_the_rows(client, db) -> None:
    places = await organisation(db)
    await signin(client, "admin@x.test")
    cases: list[tuple[str, list[int]]] = [
        ("?inn=770", [101, 102, 104, 105]),
        ("?inn=5003", [103]),
        ("?q=ta%20tr", [104]),
        ("?responsible=11&responsible=12", [102, 103, 104, 105]),
        (f"?department={places['sales'].id}", [101, 102, 103]),  # the subtree: Sales and North
        (f"?department={places['north'].id}", [102, 103]),
        ("?turnover_from=500000&turnover_to=6000000", [101, 102]),
        ("?employees_from=300", [101, 103]),
        ("?employees_to=49", [102]),
        ("?industry=IT", [103, 105]),
        ("?region=Kazan", [102, 105]),
        ("?pipeline=3", [101, 103, 105]),
        ("?has_active=true", [101, 102, 103, 105]),
        ("?has_active=false", [104]),
        ("?pipeline=0&has_active=true", [101, 102]),
        (f"?last_before={(NOW - timedelta(days=160)).date()}", [101, 102]),
        (f"?last_after={(NOW - timedelta(days=151)).date()}", [103, 105]),
        ("?stale=yes&region=Moscow", [101]),
    ]
    for query, expected in cases:
        reply = await api(client, query)
        assert reply.status_code == 200, query
        assert sorted(ids(reply)) == expected, query
        page = await client.get("/reports/communications" + query, headers=LIST)
        assert page.status_code == 200 and "<html" not in page.text
        assert f"Total of {len(expected)} companies" in page.text, query


async def test_a_pipeline_filter_shows_only_that_pipelines_columns(client, db) -> None:
    await organisation(db)
    await signin(client, "admin@x.test")
    body = (await api(client, "?pipeline=3")).json()
    assert [p["id"] for p in body["totals"]] == [3]
    assert all([p["id"] for p in r["pipelines"]] == [3] for r in body["rows"])


async def test_totals_are_the_sums_of_the_filtered_rows(client, db) -> None:
    await organisation(db)
    await signin(client, "admin@x.test")
    body = (await api(client, "?region=Moscow")).json()
    totals = {t["id"]: (Decimal(t["active_sum"]), Decimal(t["won_sum"])) for t in body["totals"]}
    assert totals == {0: (Decimal(50), Decimal(100)), 3: (Decimal(9000), Decimal(2300))}
    page = (await client.get("/reports/communications?region=Moscow")).text
    foot = page[page.index("<tfoot>") :]
    assert "9,000" in foot and "2,300" in foot


async def test_sorting_by_a_pipeline_column_and_by_two_levels(client, db) -> None:
    await organisation(db)
    await signin(client, "admin@x.test")
    assert ids(await api(client, "?sort=-p3_active")) == [103, 105, 101, 102, 104]
    assert ids(await api(client, "?sort=p0_won")) == [102, 103, 105, 104, 101]
    # responsible first (Ivanova, Petrov, Sidorov), then the last communication: oldest (never) first, or last
    assert ids(await api(client, "?sort=responsible,last")) == [101, 102, 103, 104, 105]
    assert ids(await api(client, "?sort=responsible,-last")) == [101, 103, 102, 105, 104]
    page = await client.get("/reports/communications?sort=-p3_active,title", headers=LIST)
    assert "Projects: active</b> ▼" in page.text and "then by" in page.text
    # clicking another header makes it the first level and keeps the former first as the second
    assert "sort=last%2C-p3_active" in page.text


async def test_bad_filter_values_are_a_422_naming_the_parameter(client, db) -> None:
    await organisation(db)
    await signin(client, "admin@x.test")
    for query, field in [
        ("?turnover_from=lots", "turnover_from"),
        ("?employees_to=-5", "employees_to"),
        ("?last_before=2026-13-01", "last_before"),
        ("?has_active=maybe", "has_active"),
        ("?stale=perhaps", "stale"),
        ("?sort=price", "sort"),
        ("?sort=title,inn,last", "sort"),
        ("?inn=77x", "inn"),
        ("?turnover_from=10&turnover_to=5", "turnover_to"),
        ("?responsible=abc", "responsible"),
        ("?department=abc", "department"),
        ("?page_size=100000", "page_size"),
    ]:
        reply = await api(client, query)
        assert reply.status_code == 422, query
        assert field in [e["field"] for e in reply.json()["errors"]], query
        page = await client.get("/reports/communications" + query.replace("page_size=100000", "turnover_to=x"))
        assert page.status_code == 422 and "cannot be used" in page.text, query


async def test_the_export_has_exactly_the_filtered_rows(client, db) -> None:
    await organisation(db)
    await signin(client, "admin@x.test")
    reply = await client.get("/reports/communications?format=csv&region=Kazan&page_size=1")
    assert reply.status_code == 200 and "text/csv" in reply.headers["content-type"]
    rows = list(csv.DictReader(io.StringIO(reply.text.lstrip("\ufeff"))))
    assert sorted(r["bitrix_id"] for r in rows) == ["102", "105"]
    assert "General: active" in rows[0] and "Projects: won" in rows[0]
    xlsx = await client.get("/reports/communications?format=xlsx&region=Kazan")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


async def test_a_saved_view_comes_back_with_its_filters(client, db) -> None:
    await organisation(db)
    await signin(client, "head@x.test")
    saved = await post_form(
        client, "/reports/communications/views", {"name": "Stale Moscow", "query": "region=Moscow&stale=true"}
    )
    assert saved.status_code in (200, 303)
    again = await post_form(
        client, "/reports/communications/views", {"name": "Stale Moscow", "query": "region=Moscow&stale=true"}
    )
    assert again.status_code in (200, 303)
    views = (await db.scalars(select(ReportView))).all()
    assert [(v.name, v.query) for v in views] == [("Stale Moscow", "region=Moscow&stale=true")]
    page = await client.get("/reports/communications")
    assert "Stale Moscow" in page.text and "/reports/communications?region=Moscow&amp;stale=true" in page.text
    shown = await client.get("/reports/communications?region=Moscow&stale=true")
    assert "Alpha Steel" in shown.text and "Gamma Soft" not in shown.text
    await signin(client, "manager@x.test")
    assert "Stale Moscow" not in (await client.get("/reports/communications")).text  # views are per user
    await post_form(client, f"/reports/communications/views/{views[0].id}/delete", {})
    assert (await db.scalar(select(ReportView.id))) is not None  # not the manager's to delete
    await signin(client, "head@x.test")
    await post_form(client, f"/reports/communications/views/{views[0].id}/delete", {})
    db.expire_all()
    assert (await db.scalar(select(ReportView.id))) is None


async def test_an_admin_changes_the_stale_limit_and_it_applies(client, db) -> None:
    await organisation(db)
    await signin(client, "head@x.test")
    denied = await post_form(
        client, "/reports/communications/settings", {"stale_months": "1", "lost_days": "30", "page_size": "50"}
    )
    assert denied.status_code == 403
    await signin(client, "admin@x.test")
    await post_form(
        client, "/reports/communications/settings", {"stale_months": "1", "lost_days": "3", "page_size": "10"}
    )
    body = (await api(client)).json()
    assert {r["company_id"] for r in body["rows"] if r["stale"]} == {101, 102, 104, 105}
    assert body["page_size"] == 10
    text = (await client.get("/reports/communications?sort=title")).text
    assert "A deal lost" not in text[text.index("Alpha Steel") : text.index("Beta Foods")]  # 5 days > 3
    assert await db.scalar(select(AuditEntry.entity).where(AuditEntry.entity == "report_settings"))


async def test_heads_and_managers_find_the_report_first_on_home_and_in_the_menu(client, db) -> None:
    await organisation(db)
    await signin(client, "manager@x.test")
    home = (await client.get("/")).text
    assert 'href="/reports/communications"' in home
    assert home.index('class="card" href="/reports/communications"') < home.index('class="card" href="/companies"')
    await make_user(db, "op@x.test", ["operator"])
    await signin(client, "op@x.test")
    assert "/reports/communications" not in (await client.get("/")).text
    assert (await client.get("/reports/communications")).status_code == 403
    assert (await api(client)).status_code == 403


async def test_cached_totals_are_renewed_when_a_sync_run_changes_the_figures(client, db) -> None:
    from crm.features.clients.sync_models import SyncRun

    await organisation(db)
    await signin(client, "admin@x.test")
    before = {t["id"]: Decimal(t["won_sum"]) for t in (await api(client)).json()["totals"]}
    assert before[3] == Decimal(2300)
    figure = await db.get(CompanyPipelineFigure, (103, 3))
    figure.won_sum = Decimal(1300)
    db.add(SyncRun(kind="incremental", status="done", finished_at=NOW))
    await db.commit()
    after = {t["id"]: Decimal(t["won_sum"]) for t in (await api(client)).json()["totals"]}
    assert after[3] == Decimal(3300)


async def test_pages_reach_only_the_first_rows_and_the_page_says_to_refine_the_filter(client, db, monkeypatch) -> None:
    from crm.features.reports import communications_report as comm_report

    await organisation(db)
    monkeypatch.setattr(comm_report, "MAX_PAGED_ROWS", 3)
    await signin(client, "admin@x.test")
    body = (await api(client, "?sort=title&page_size=1&page=3")).json()
    assert body["total"] == 5 and body["page"] == 3 and ids_of(body) == [104]
    reply = await api(client, "?sort=title&page_size=1&page=4")
    assert reply.status_code == 422 and reply.json()["errors"][0]["field"] == "page"
    page = await client.get("/reports/communications?sort=title&page_size=1&page=9", headers=LIST)
    assert page.status_code == 200 and "Page 3 of 3" in page.text and "Delta Trade" in page.text
    assert "Pages reach the first 3 of 5 companies: refine the filter" in page.text
    assert "Total of 5 companies" in page.text and 'rel="next"' not in page.text
    page = await client.get("/reports/communications?sort=title&region=Kazan&page_size=1", headers=LIST)
    assert "Page 1 of 2" in page.text and "refine the filter" not in page.text


def ids_of(body: dict[str, Any]) -> list[int]:
    return [r["company_id"] for r in body["rows"]]


async def test_a_pipeline_or_responsible_sort_read_by_groups_pages_exactly_as_one_sorted_query(db) -> None:
    """Positive, zero, missing and negative sums; responsibles with the same name, unknown or none; each sort
    direction and a second level, every page size and start: the grouped reading (index-served) gives the rows
    of the single ORDER BY, in the same order."""
    from crm.features.org.scope import EmployeeScope
    from crm.features.reports import communications as comm
    from crm.features.reports.communications_filters import CommFilter

    await organisation(db)
    db.add(CompanyPipelineFigure(company_id=104, pipeline_id=3, active_sum=Decimal("-5"), won_sum=Decimal("0")))
    db.add(CompanyPipelineFigure(company_id=102, pipeline_id=3, active_sum=Decimal("10"), won_sum=Decimal("0")))
    db.add(Employee(id=13, name="Pavel", last_name="Petrov"))  # the same name as another employee
    db.add_all(
        [
            Company(id=107, title="Eta Nobody", responsible_id=None, active=True),
            Company(id=108, title="Theta Gone Person", responsible_id=999, active=True),
            Company(id=109, title="Iota Namesake", responsible_id=13, active=True),
        ]
    )
    await db.commit()
    stmt = await comm.report_query(db, CommFilter(), EmployeeScope(everything=True), comm.Settings(), NOW)
    sorts = ("-p3_active", "p3_active", "-p3_won", "p3_won", "-p3_active,title", "p3_active,-last", "-p0_won")
    sorts += ("responsible", "-responsible", "responsible,-last", "-responsible,p3_active", "responsible,inn")
    for sort in sorts:
        levels = comm.parse_sort(sort, [0, 3])
        expected = [r.id for r in (await db.execute(comm.sorted_query(stmt, levels))).all()]
        assert len(expected) == 8
        for size in (1, 2, 3, 5, 8):
            for offset in range(9):
                got = [r.id for r in await comm.page_rows(db, stmt, levels, size, offset)]
                assert got == expected[offset : offset + size], (sort, size, offset)
