"""The sales report through HTTP: the API's contract, row scope (managers their own figures, heads their department
subtree), the screen with its charts and tables, exports, and the demo's last month."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from crm.features.clients.models import Deal, Pipeline
from crm.features.org.models import Department, Employee
from tests.conftest import DEFAULT_PASSWORD, login, make_user

NOV = date(2026, 11, 10)


async def arrange(db: Any) -> dict[str, Any]:
    """Two departments (Sales → Sales East), three managers; won deals of the acceptance case and others."""
    top = Department(name="Sales")
    db.add(top)
    await db.flush()
    east = Department(name="Sales East", parent_id=top.id)
    db.add(east)
    await db.flush()
    db.add_all(
        [
            Employee(id=1, name="Иван", last_name="Первый", department_id=top.id),
            Employee(id=2, name="Анна", last_name="Вторая", department_id=east.id),
            Employee(id=3, name="Олег", last_name="Третий", department_id=None),
            Pipeline(id=0, name="General"),
            Pipeline(id=2, name="Safety"),
        ]
    )
    deals = [
        # id, manager, amount, utm, source, contract type, closed, semantic, pipeline
        (1, 1, "1000", "google", "CALL", "A", NOV, "S", 0),
        (2, 1, "500", "fb", "CALL", "B", NOV, "S", 0),
        (3, 2, "2000", "google", "", "A", NOV, "S", 0),
        (4, 99, "700", "", "WEB", "", NOV, "S", 2),  # an employee the copy does not know
        (5, None, "300", "", "", "A", NOV, "S", 2),  # no manager at all
        (6, 3, "10000", "google", "", "A", NOV, "F", 0),  # lost: not counted
        (7, 3, "900", "vk", "", "C", NOV - timedelta(days=1), "S", 0),  # the day before
        (8, 2, "50", "vk", "", "C", NOV + timedelta(days=1), "S", 0),  # the day after
    ]
    for i, who, amount, utm, source, kind, closed, semantic, pipeline in deals:
        db.add(
            Deal(
                id=i,
                responsible_id=who,
                amount=Decimal(amount),
                utm_source=utm,
                source_id=source,
                fields={"contract_type": kind} if kind else {},
                close_date=closed,
                semantic=semantic,
                pipeline_id=pipeline,
                closed=True,
            )
        )
    await make_user(db, "boss@example.com", ["admin"])
    await make_user(db, "head@example.com", ["head"], department_id=east.id, employee_bitrix_id=2)
    await make_user(db, "m1@example.com", ["manager"], employee_bitrix_id=1)
    await make_user(db, "op@example.com", ["operator"])
    await db.commit()
    return {"top": top, "east": east}


async def bearer(client: Any, email: str, password: str = DEFAULT_PASSWORD) -> dict[str, str]:
    reply = await client.post("/api/v1/auth/token", json={"email": email, "password": password})
    assert reply.status_code in (200, 201), reply.text
    return {"Authorization": f"Bearer {reply.json()['access_token']}"}


async def test_the_api_answers_the_contract_with_every_list_sorted_by_sum(client, db) -> None:
    await arrange(db)
    auth = await bearer(client, "boss@example.com")
    r = await client.get("/api/v1/reports/sales", params={"from": "2026-11-10", "to": "2026-11-10"}, headers=auth)
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"from", "to", "total", "by_manager", "by_source", "by_type", "by_day"}
    assert (body["from"], body["to"]) == ("2026-11-10", "2026-11-10")
    assert body["total"] == {"sum": 4500.0, "count": 5}
    assert body["by_manager"] == [
        {"id": 2, "name": "Вторая Анна", "sum": 2000.0, "count": 1},
        {"id": 1, "name": "Первый Иван", "sum": 1500.0, "count": 2},
        {"id": None, "name": "unknown", "sum": 1000.0, "count": 2},
    ]
    assert body["by_source"] == [
        {"name": "google", "sum": 3000.0, "count": 2},
        {"name": "WEB", "sum": 700.0, "count": 1},
        {"name": "fb", "sum": 500.0, "count": 1},
        {"name": "unknown", "sum": 300.0, "count": 1},
    ]
    assert body["by_type"][0] == {"name": "A", "sum": 3300.0, "count": 3}
    assert body["by_day"] == [{"date": "2026-11-10", "sum": 4500.0, "count": 5}]

    week = (
        await client.get("/api/v1/reports/sales", params={"from": "2026-11-09", "to": "2026-11-11"}, headers=auth)
    ).json()
    assert [d["date"] for d in week["by_day"]] == ["2026-11-10", "2026-11-09", "2026-11-11"]
    assert week["total"]["sum"] == 5450.0
    safety = await client.get(
        "/api/v1/reports/sales", params={"from": "2026-11-10", "to": "2026-11-10", "pipeline_id": 2}, headers=auth
    )
    assert safety.json()["total"] == {"sum": 1000.0, "count": 2}


async def test_bad_dates_are_refused_with_422_naming_the_parameter(client, db) -> None:
    await arrange(db)
    auth = await bearer(client, "boss@example.com")
    for params, field in (
        ({"from": "10.11.2026", "to": "2026-11-10"}, "from"),
        ({"from": "2026-11-10", "to": "2026-13-01"}, "to"),
        ({"from": "2026-11-11", "to": "2026-11-10"}, "from"),
        ({"to": "2026-11-10"}, "from"),
    ):
        r = await client.get("/api/v1/reports/sales", params=params, headers=auth)
        assert r.status_code == 422, (params, r.text)
        assert field in r.text


async def test_managers_see_their_own_figures_and_heads_their_department_subtree(client, db) -> None:
    await arrange(db)
    params = {"from": "2026-11-10", "to": "2026-11-10"}
    mine = (
        await client.get("/api/v1/reports/sales", params=params, headers=await bearer(client, "m1@example.com"))
    ).json()
    assert [m["id"] for m in mine["by_manager"]] == [1] and mine["total"]["sum"] == 1500.0
    east = (
        await client.get("/api/v1/reports/sales", params=params, headers=await bearer(client, "head@example.com"))
    ).json()
    assert [m["id"] for m in east["by_manager"]] == [2] and east["total"]["sum"] == 2000.0
    op = await bearer(client, "op@example.com")
    assert (await client.get("/api/v1/reports/sales", params=params, headers=op)).status_code == 403
    await login(client, "op@example.com")
    assert (await client.get("/reports/sales")).status_code == 403


async def test_the_screen_shows_tables_charts_and_the_comparison_and_exports_them(client, db) -> None:
    await arrange(db)
    await login(client, "boss@example.com")
    page = await client.get("/reports/sales", params={"period": "day", "date": "2026-11-10"})
    assert page.status_code == 200, page.text
    text = page.text
    for part in (
        "Sales report",
        "Вторая Анна",
        "Первый Иван",
        "unknown",
        "google",
        "WEB",
        "Contract type",
        'data-chart="sales-managers-2026-11-10-2026-11-10-all-contract_type-data"',
        'data-chart="sales-sources-2026-11-10',
        "Previous period",
    ):
        assert part in text, part
    assert "sales-trend" not in text  # one day: no trend line
    assert text.index("Вторая Анна") < text.index("Первый Иван")
    month = await client.get("/reports/sales", params={"period": "month", "date": "2026-11-10"})
    assert 'data-chart="sales-trend-' in month.text
    partial = await client.get(
        "/reports/sales",
        params={"period": "custom", "from": "2026-11-09", "to": "2026-11-11"},
        headers={"hx-request": "true", "hx-target": "report"},
    )
    assert partial.status_code == 200 and "<html" not in partial.text and "Первый Иван" in partial.text
    for fmt, media, magic in (
        ("csv", "text/csv", b"\xef\xbb\xbf"),
        ("xlsx", "spreadsheetml", b"PK"),
        ("pdf", "application/pdf", b"%PDF"),
    ):
        r = await client.get("/reports/sales", params={"period": "day", "date": "2026-11-10", "format": fmt})
        assert r.status_code == 200 and media in r.headers["content-type"] and r.content.startswith(magic), fmt
    csv_text = (
        await client.get("/reports/sales", params={"period": "day", "date": "2026-11-10", "format": "csv"})
    ).content.decode("utf-8-sig")
    assert "Вторая Анна" in csv_text and "2000" in csv_text
    bad = await client.get("/reports/sales", params={"period": "custom", "from": "x", "to": "2026-11-10"})
    assert bad.status_code == 200 and "Dates look like" in bad.text


async def test_the_demo_shows_meaningful_figures_for_its_last_month(client, db) -> None:
    from crm.demo import load_demo
    from crm.features.reports.sales import parse_period
    from crm.lib.i18n import local_today

    await load_demo(db)
    await db.commit()
    await login(client, "admin@example.com", "crm-demo-2026")
    auth = await bearer(client, "admin@example.com", "crm-demo-2026")
    day_from, day_to = parse_period("last-month", local_today())
    body = (
        await client.get(
            "/api/v1/reports/sales", params={"from": day_from.isoformat(), "to": day_to.isoformat()}, headers=auth
        )
    ).json()
    assert body["total"]["count"] >= 10, body["total"]
    assert len(body["by_manager"]) >= 3 and len(body["by_source"]) >= 3 and len(body["by_type"]) >= 2
    page = await client.get("/reports/sales", params={"period": "month", "date": day_from.isoformat()})
    assert page.status_code == 200 and "sales-trend" in page.text
