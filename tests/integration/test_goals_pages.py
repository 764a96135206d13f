"""The goals, analysis, settings and control pages: forms with server-side validation, repeat/grow in the form,
the client table (columns, filters, sort, views, exports, inline category), scope and permissions, sharing by
email (worker, real SMTP) and the "goal_behind" alert."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from crm.features.accounts.models import AuditEntry
from crm.features.goals.models import AnalysisOverride, AnalysisView, Goal, GoalTarget
from tests.conftest import job_functions, login, post_form
from tests.integration.test_goals_analysis_rules import LINES, put_sales
from tests.integration.test_goals_api import team


async def drain_goals_queue() -> None:
    """Run a real SAQ worker (burst) with the platform's jobs and this slice's."""
    from saq import Worker

    from crm.features.goals.jobs import goals_send_dashboard
    from crm.workers import QUEUE_NAME, saq_plugin
    from crm.workers.context import shutdown, startup

    queue = saq_plugin().get_queue(QUEUE_NAME)
    functions = [*job_functions(), goals_send_dashboard]
    worker = Worker(queue, functions=functions, startup=[startup], shutdown=[shutdown], burst=True, dequeue_timeout=1)
    await worker.start()


def month_fields(value: str) -> dict[str, str]:
    return {f"t{m}": value for m in range(1, 13)}


async def test_the_goal_form_saves_twelve_targets_and_is_audited(client, db) -> None:
    p = await team(db)
    await login(client, "head@example.com")
    page = await client.get("/goals/new?year=2026")
    assert page.status_code == 200 and "Monthly targets" in page.text
    form = {
        "variable": "revenue",
        "family": "Paint",
        "responsible_id": str(p["maria"].id),
        "year": "2026",
        **month_fields("1 000,50"),
        "action": "save",
    }
    answer = await post_form(client, "/goals/new", form, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    goal = (await db.scalars(select(Goal))).one()
    targets = (await db.scalars(select(GoalTarget.target).where(GoalTarget.goal_id == goal.id))).all()
    assert targets == [Decimal("1000.50")] * 12
    assert (await db.scalars(select(AuditEntry.action).where(AuditEntry.entity == "goal"))).all() == ["create"]
    listing = await client.get("/goals?year=2026")
    assert "Maria" in listing.text and "Team of Oleg" in listing.text  # Maria is in Oleg's subtree


async def test_repeat_and_grow_fill_the_form_without_saving_and_bad_input_keeps_what_was_typed(client, db) -> None:
    p = await team(db)
    await login(client, "admin@example.com")
    base = {
        "variable": "revenue",
        "family": "",
        "responsible_id": str(p["ivan"].id),
        "year": "2026",
        **month_fields(""),
    }
    answer = await post_form(
        client, "/goals/new", {**base, "t1": "100", "fill_value": "200", "fill_from": "3", "action": "repeat"}
    )
    assert answer.status_code == 200
    assert 'name="t3" type="text" value="200"' in answer.text and 'name="t12" type="text" value="200"' in answer.text
    assert 'name="t2" type="text" value=""' in answer.text
    grown = await post_form(
        client, "/goals/new", {**base, "t1": "100", "grow_percent": "10", "grow_from": "1", "action": "grow"}
    )
    assert 'name="t2" type="text" value="110"' in grown.text and 'name="t3" type="text" value="121"' in grown.text
    assert 'name="t4" type="text" value="133.10"' in grown.text
    bad = await post_form(client, "/goals/new", {**base, "t5": "десять", "year": "1999", "action": "save"})
    assert bad.status_code == 422
    assert "десять" in bad.text and "A year from 2000 to 2100." in bad.text
    assert (await db.scalars(select(Goal))).all() == []


async def test_a_manager_cannot_open_goal_forms_and_another_heads_goal_is_404(client, db) -> None:
    p = await team(db)
    db.add(Goal(variable="revenue", family="", responsible_id=p["ivan"].id, year=2026))
    await db.commit()
    goal_id = (await db.scalars(select(Goal.id))).one()
    await login(client, "maria@example.com")
    assert (await client.get("/goals/new")).status_code == 403
    assert (await client.get("/goals?year=2026")).status_code == 200
    client.cookies.clear()
    await login(client, "head@example.com")
    assert (await client.get(f"/goals/{goal_id}")).status_code == 404


async def test_the_dashboard_shows_target_and_actual_by_month_with_a_table(client, db) -> None:
    p = await team(db)
    await put_sales(
        db, LINES, responsible={c: p["maria"].id for c in ("A01", "B02", "C03", "D04", "E05", "F06", "H07")}
    )
    goal = Goal(variable="revenue", family="", responsible_id=p["maria"].id, year=2026)
    db.add(goal)
    await db.flush()
    db.add_all([GoalTarget(goal_id=goal.id, month=m, target=Decimal(1000)) for m in range(1, 13)])
    await db.commit()
    await login(client, "maria@example.com")
    for variable in ("revenue", "client_count", "new_clients", "non_retained_clients"):
        page = await client.get(f"/analysis?variable={variable}&year=2026&month=2026-03")
        assert page.status_code == 200, page.text
        assert 'class="bars"' in page.text
    page = await client.get("/analysis?variable=revenue&year=2026")
    assert "58,0 %" in page.text or "58.0 %" in page.text  # March: 580 of 1000
    assert "Paint" in page.text and "https://wa.me/?text=" in page.text
    pdf = await client.get("/control/share.pdf?variable=revenue&year=2026")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


async def test_the_client_table_picks_columns_filters_sorts_pages_and_exports(client, db) -> None:
    await team(db)
    await put_sales(db, LINES)
    await login(client, "admin@example.com")
    url = (
        "/analysis/clients?variable=revenue&month=2026-03&cols=revenue&cols=abc&f1_field=revenue&f1_op=gt"
        "&f1_value=0&sort=-revenue&sort2=code&page_size=2"
    )
    page = await client.get(url)
    assert page.status_code == 200, page.text
    assert "Client B02" in page.text and "Client C03" in page.text and "Client A01" not in page.text
    assert "/sales/clients/" in page.text and 'action="/strategies/new"' in page.text
    assert '<th scope="col" class="num">I1</th>' not in page.text  # not chosen
    assert '<th scope="col" >ABC</th>' in page.text
    second = await client.get(url + "&page=2")
    assert "Client A01" in second.text
    csv = await client.get(url + "&format=csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    lines = csv.content.decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 6 and lines[1].startswith("B02")
    xlsx = await client.get(url + "&format=xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert [c.value for c in next(sheet.iter_rows())] == ["Code", "Client", "Revenue", "ABC"]
    assert sheet.max_row == 6
    pdf = await client.get(url + "&format=pdf")
    assert pdf.content.startswith(b"%PDF")
    bad = await client.get("/analysis/clients?month=2026-03&f1_field=revenue&f1_op=gt&f1_value=ten")
    assert bad.status_code == 422 and "Filter 1 (Revenue): enter a number" in bad.text


async def test_a_filter_that_cannot_be_used_is_explained_in_russian_and_the_typed_rows_are_kept(client, db) -> None:
    from tests.conftest import set_cookie

    await team(db)
    await put_sales(db, LINES)
    await login(client, "admin@example.com")
    set_cookie(client, "crm_lang", "ru")
    url = (
        "/analysis/clients?variable=revenue&month=2026-03&f1_field=abc&f1_op=eq&f1_value=A"
        "&f2_field=revenue&f2_op=gt&f2_value=десять&sort=-i1"
    )
    bad = await client.get(url)
    assert bad.status_code == 422
    assert "Фильтр 2 (Выручка): введите число" in bad.text and "a number is expected" not in bad.text
    # what was typed is still in the form, to be corrected
    assert '<option value="abc" selected>' in bad.text and 'value="A"' in bad.text
    assert '<option value="revenue" selected>' in bad.text and 'value="десять"' in bad.text
    assert '<option value="gt" selected>' in bad.text and '<option value="-i1" selected>' in bad.text
    dated = await client.get("/analysis/clients?month=2026-03&f1_field=last_purchase&f1_op=ge&f1_value=01.03.2026")
    assert "введите дату в виде 2026-11-30" in dated.text and 'value="01.03.2026"' in dated.text


async def test_views_are_saved_per_person_and_the_category_is_overridden_inline(client, db) -> None:
    p = await team(db)
    await put_sales(db, LINES, responsible={"A01": p["maria"].id})
    await login(client, "maria@example.com")
    query = "variable=revenue&month=2026-03&cols=revenue&cols=category"
    assert (
        await post_form(client, "/analysis/views", {"name": "Mine", "query": query}, follow_redirects=False)
    ).status_code == 303
    assert (await db.scalars(select(AnalysisView.name))).all() == ["Mine"]
    page = await client.get("/analysis/clients?" + query)
    assert "Mine" in page.text and "Client A01" in page.text and "Client B02" not in page.text
    a01 = (await db.scalars(select(AnalysisView))).one() and await _client_id(db, "A01")
    cell = await post_form(
        client,
        f"/analysis/clients/{a01}/category",
        {"variable": "revenue", "month": "2026-03", "category": "Falling", "reason": "Price"},
        headers={"HX-Request": "true", "HX-Target": f"cat-{a01}"},
    )
    assert cell.status_code == 200, cell.text
    assert "Falling" in cell.text and "manual" in cell.text and "<html" not in cell.text
    override = (await db.scalars(select(AnalysisOverride))).one()
    assert override.variable == "revenue"
    b02 = await _client_id(db, "B02")
    assert (
        await post_form(client, f"/analysis/clients/{b02}/category", {"variable": "revenue", "category": "Falling"})
    ).status_code == 404


async def _client_id(db: Any, code: str) -> int:
    from crm.features.sales.models import ErpClient

    return (await db.scalars(select(ErpClient.id).where(ErpClient.code == code))).one()


async def test_the_settings_page_edits_thresholds_lists_and_rules(client, db) -> None:
    await team(db)
    await login(client, "admin@example.com")
    assert (await client.get("/analysis/settings?variable=non_retained_clients")).status_code == 200
    bad = await post_form(
        client,
        "/analysis/settings",
        {"abc_a": "90", "abc_b": "80", "i1": "mom", "i2": "avg3", "i3": "yoy", "i4": "ytd"},
    )
    assert bad.status_code == 422 and "above the A threshold" in bad.text
    ok = await post_form(
        client,
        "/analysis/settings",
        {"abc_a": "70", "abc_b": "90", "i1": "avg6", "i2": "avg3", "i3": "yoy", "i4": "ytd"},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    added = await post_form(
        client, "/analysis/settings/category", {"variable": "revenue", "name": "VIP"}, follow_redirects=False
    )
    assert added.status_code == 303
    page = await client.get("/analysis/settings?variable=revenue")
    assert "VIP" in page.text
    bad_rule = await post_form(
        client,
        "/analysis/settings/rule",
        {"variable": "revenue", "metric": "i9", "op": "<", "value": "x", "category_id": "1"},
    )
    assert bad_rule.status_code == 422
    client.cookies.clear()
    await login(client, "maria@example.com")
    assert (await client.get("/analysis/settings")).status_code == 403


async def test_control_shows_kpis_and_per_goal_progress(client, db) -> None:
    p = await team(db)
    await put_sales(
        db, LINES, responsible={c: p["maria"].id for c in ("A01", "B02", "C03", "D04", "E05", "F06", "H07")}
    )
    goal = Goal(variable="revenue", family="", responsible_id=p["maria"].id, year=2026)
    db.add(goal)
    await db.flush()
    db.add_all([GoalTarget(goal_id=goal.id, month=m, target=Decimal(1000)) for m in range(1, 13)])
    await db.commit()
    await login(client, "head@example.com")
    page = await client.get("/control?year=2026&from=1&to=3")
    assert page.status_code == 200, page.text
    assert "Maria" in page.text and "Retention" in page.text
    # Jan..Mar: 100 + 600 + 580 = 1280 of 3000 → 42.7 %; March retention: A01, C03 of A01, C03, D04 (66.7 %)
    assert "42,7 %" in page.text or "42.7 %" in page.text
    assert "66,7 %" in page.text or "66.7 %" in page.text


async def test_send_by_email_mails_the_dashboard_pdf_through_the_worker(client, db, mailbox) -> None:
    p = await team(db)
    await put_sales(db, LINES, responsible={"A01": p["maria"].id})
    await login(client, "maria@example.com")
    answer = await post_form(
        client,
        "/control/share",
        {"email": "boss@example.com", "query": "variable=revenue&year=2026"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    await drain_goals_queue()
    assert len(mailbox) == 1
    message = mailbox[0]
    assert message["To"] == "boss@example.com"
    parts = [part for part in message.walk() if part.get_content_type() == "application/pdf"]
    assert parts and parts[0].get_payload(decode=True).startswith(b"%PDF")


@pytest.mark.parametrize("day, expected", [(date(2026, 3, 20), 1), (date(2026, 3, 10), 0)])
async def test_a_goal_behind_pro_rata_with_less_than_15_days_left_raises_an_alert(
    client, db, monkeypatch, day, expected
) -> None:
    from crm.features.goals import alerts as goal_alerts

    p = await team(db)
    await put_sales(db, LINES, responsible={"A01": p["maria"].id})  # Maria: March 150
    goal = Goal(variable="revenue", family="", responsible_id=p["maria"].id, year=2026)
    db.add(goal)
    await db.flush()
    db.add(GoalTarget(goal_id=goal.id, month=3, target=Decimal(1000)))  # by the 20th: 645.16 expected, 70 % = 451.6
    await db.commit()
    monkeypatch.setattr(goal_alerts, "local_today", lambda: day)
    for who, count in (("maria", expected), ("head", expected), ("ivan", 0)):
        user = p[who]
        await db.refresh(user)
        found = await goal_alerts.alerts(db, user)
        assert [a.kind for a in found] == ["goal_behind"] * count, who
    await db.commit()


async def test_demo_goals_are_created_once_for_the_demo_managers(client, db) -> None:
    from crm.features.goals.demo import load
    from tests.conftest import make_user

    await make_user(db, "manager@example.com", ["manager"], name="Мария")
    await make_user(db, "manager2@example.com", ["manager"], name="Иван")
    await put_sales(db, LINES)
    first = await load(db)
    await db.commit()
    again = await load(db)
    assert first[0].startswith("Goals: 8 demo goals") and "already" in again[0]
    assert len((await db.scalars(select(Goal))).all()) == 8


async def test_the_category_edit_form_opens_as_a_cell_or_a_page_and_only_in_scope(client, db) -> None:
    p = await team(db)
    await put_sales(db, LINES, responsible={"A01": p["maria"].id})
    await login(client, "maria@example.com")
    a01, b02 = await _client_id(db, "A01"), await _client_id(db, "B02")
    url = f"/analysis/clients/{a01}/category?variable=revenue&month=2026-03"
    cell = await client.get(url, headers={"HX-Request": "true", "HX-Target": f"cat-{a01}"})
    assert cell.status_code == 200 and cell.text.lstrip().startswith("<td") and 'name="category"' in cell.text
    page = await client.get(url, headers={"Referer": "http://testserver.local/analysis/clients?month=2026-03"})
    assert "<html" in page.text and 'value="/analysis/clients?month=2026-03"' in page.text
    assert (await client.get(f"/analysis/clients/{b02}/category?variable=revenue&month=2026-03")).status_code == 404


async def test_the_goals_list_is_paged_and_offers_every_family_of_the_year(client, db) -> None:
    p = await team(db)
    for i in range(60):  # more than two pages (25 goals a page)
        db.add(Goal(variable="revenue", family=f"F{i:02d}", responsible_id=p["maria"].id, year=2026))
    await db.commit()
    await login(client, "admin@example.com")
    first = (await client.get("/goals?year=2026")).text
    assert "F00" in first and "F24</td>" in first and "F25</td>" not in first
    assert "Page 1 of 3" in first and '<option value="F59">' in first  # the datalist: the year's families
    third = (await client.get("/goals?year=2026&page=3", headers={"hx-request": "true", "hx-target": "list"})).text
    assert "F59</td>" in third and "F00</td>" not in third and "<html" not in third
    wide = (await client.get("/goals?year=2026&page_size=50")).text
    assert "F49</td>" in wide and "F50</td>" not in wide and "Page 1 of 2" in wide
