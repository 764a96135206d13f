"""Call plans (spec/plans.md): plan vs fact statuses, forced completion, the editing deadline, bad input."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from crm.features.plans.models import CallPlan, DayComment
from crm.lib.i18n import local_today
from tests.conftest import login, make_user, post_form
from tests.integration.test_plans_stats import fig, org

YEAR = 2025


async def head_and_team(db: Any) -> dict[str, Any]:
    ids = await org(db)
    await make_user(db, "head@example.com", ["head"], department_id=ids["moscow"], employee_bitrix_id=20)
    await make_user(db, "anna@example.com", ["manager"], department_id=ids["moscow"], employee_bitrix_id=21)
    await make_user(db, "admin@example.com", ["admin"])
    return ids


async def test_plan_10_fact_8_on_a_past_working_day_is_not_fulfilled_and_forced_after_forcing(client, db) -> None:
    await head_and_team(db)
    db.add_all([CallPlan(employee_id=21, day=date(YEAR, 3, 3), calls=10), fig(21, date(YEAR, 3, 3), 8)])
    db.add_all([CallPlan(employee_id=21, day=date(YEAR, 3, 4), calls=5), fig(21, date(YEAR, 3, 4), 6)])
    await db.commit()
    await login(client, "head@example.com")
    page = await client.get(f"/plans/21/day/{YEAR}-03-03")
    assert page.status_code == 200 and "not fulfilled" in page.text and "Force plan completion" in page.text
    grid = (await client.get(f"/plans?year={YEAR}&month=3")).text
    assert "cell st-not_fulfilled" in grid and "cell st-fulfilled" in grid

    refused = await post_form(client, f"/plans/21/day/{YEAR}-03-03/force", {"comment": "  "})
    assert refused.status_code == 422 and 'id="e-comment"' in refused.text
    done = await post_form(client, f"/plans/21/day/{YEAR}-03-03/force", {"comment": "At the exhibition"})
    assert done.status_code in (200, 303)
    page = await client.get(f"/plans/21/day/{YEAR}-03-03")
    assert "forced" in page.text and "At the exhibition" in page.text and "Force plan completion" not in page.text
    grid = (await client.get(f"/plans?year={YEAR}&month=3")).text
    assert "cell st-forced" in grid and "cell st-not_fulfilled" not in grid
    again = await post_form(client, f"/plans/21/day/{YEAR}-03-04/force", {"comment": "why not"})
    assert again.status_code == 422 and 'class="error"' in again.text  # a fulfilled day is not forced

    from crm.features.plans.scope import Selection, Visible
    from crm.features.plans.stats import build_view

    view = await build_view(db, Visible(everything=True), Selection(), YEAR, None, date(YEAR + 1, 1, 1))
    anna = next(r for g in view.groups for r in g.rows if r.employee.id == 21)
    march = anna.cells[3]
    assert (march.plan, march.fulfilled, march.forced, march.not_fulfilled, march.completion) == (15, 1, 1, 0, 100)


async def test_today_and_future_days_are_neither_fulfilled_nor_not(client, db) -> None:
    from crm.features.plans.stats import NONE, day_status

    today = date(2026, 3, 10)
    assert day_status(today, today, 10, 0, False) == NONE
    assert day_status(today + timedelta(days=1), today, 10, 0, False) == NONE
    assert day_status(today - timedelta(days=1), today, None, 0, False) == NONE


async def test_managers_may_not_force_or_set_plans(client, db) -> None:
    await head_and_team(db)
    db.add_all([CallPlan(employee_id=21, day=date(YEAR, 3, 3), calls=10)])
    await db.commit()
    await login(client, "anna@example.com")
    assert (await post_form(client, f"/plans/21/day/{YEAR}-03-03/force", {"comment": "x"})).status_code == 403
    assert (await client.get(f"/plans/21/{YEAR}-03/plan")).status_code == 403


async def test_a_head_sets_a_daily_plan_for_the_month_and_days_past_the_deadline_are_locked(client, db) -> None:
    await head_and_team(db)
    await login(client, "head@example.com")
    today = local_today()
    this_month = f"{today.year}-{today.month:02d}"
    saved = await post_form(client, f"/plans/21/{this_month}/plan", {"daily": "12"})
    assert saved.status_code in (200, 303)
    plans = (await db.scalars(select(CallPlan).where(CallPlan.employee_id == 21))).all()
    assert plans and {p.calls for p in plans} == {12}

    old = f"{YEAR}-03"  # long past the deadline (the 5th of the following month)
    locked = await post_form(client, f"/plans/21/{old}/plan", {f"day-{YEAR}-03-03": "7"})
    assert locked.status_code == 422 and f'id="e-day-{YEAR}-03-03"' in locked.text
    assert await db.get(CallPlan, (21, date(YEAR, 3, 3))) is None

    await client.get("/logout")
    await login(client, "admin@example.com")  # admins may edit past plans
    allowed = await post_form(client, f"/plans/21/{old}/plan", {f"day-{YEAR}-03-03": "7"})
    assert allowed.status_code in (200, 303)
    db.expire_all()
    assert (await db.get(CallPlan, (21, date(YEAR, 3, 3)))).calls == 7


async def test_bad_plan_input_is_a_422_naming_the_field(client, db) -> None:
    await head_and_team(db)
    await login(client, "head@example.com")
    today = local_today()
    ym = f"{today.year}-{today.month:02d}"
    for data, field in (
        ({"daily": "-1"}, "daily"),
        ({"daily": "1e9"}, "daily"),
        ({"daily": "²"}, "daily"),
        ({}, "daily"),
        ({f"day-{today.year}-{today.month:02d}-40": "3"}, f"day-{today.year}-{today.month:02d}-40"),
    ):
        response = await post_form(client, f"/plans/21/{ym}/plan", data)
        assert response.status_code == 422, (data, response.status_code)
        assert f'id="e-{field}"' in response.text, data
    assert (await client.get(f"/plans/21/{today.year}-13/plan")).status_code == 404
    assert (await client.get("/plans/31/2025-03/plan")).status_code == 404  # Regions: not the head's subtree
    for query, field in (("year=abc", "year"), ("year=2025&month=13", "month"), ("department=xyz", "department"),
                         ("scope=employee:1;drop", "scope")):  # fmt: skip
        response = await client.get(f"/plans?{query}")
        assert response.status_code == 422 and f'id="e-{field}"' in response.text, query


async def test_one_bad_day_is_shown_next_to_it_with_every_typed_day_kept_and_no_day_saved(client, db) -> None:
    await head_and_team(db)
    await login(client, "admin@example.com")  # may edit any day: only the typed values decide
    month = f"{YEAR}-03"
    typed = {f"day-{YEAR}-03-03": "25", f"day-{YEAR}-03-04": "lots", f"day-{YEAR}-03-05": "1001"}
    reply = await post_form(client, f"/plans/21/{month}/plan", typed)
    assert reply.status_code == 422
    assert reply.text.count("Enter a whole number from 0 to 1000.") >= 2
    assert f'id="e-day-{YEAR}-03-04"' in reply.text and f'id="e-day-{YEAR}-03-05"' in reply.text
    assert f'id="e-day-{YEAR}-03-03"' not in reply.text
    assert 'value="25"' in reply.text and 'value="lots"' in reply.text and 'value="1001"' in reply.text
    assert (await db.scalars(select(CallPlan).where(CallPlan.employee_id == 21))).all() == []


async def test_scope_per_role_heads_see_their_subtree_managers_themselves_admins_all(client, db) -> None:
    ids = await head_and_team(db)
    await login(client, "anna@example.com")
    own = (await client.get(f"/plans?year={YEAR}")).text
    assert '<span class="name">Alpha Anna' in own and "Beta Boris" not in own
    assert (await client.get(f"/plans?year={YEAR}&department={ids['moscow']}")).status_code == 422
    assert (await client.get(f"/plans/22/day/{YEAR}-03-03")).status_code == 404
    await client.get("/logout")
    await login(client, "head@example.com")
    team = (await client.get(f"/plans?year={YEAR}")).text
    assert "Alpha Anna" in team and "Beta Boris" in team and "Gamma Vera" not in team
    assert (await client.get(f"/plans?year={YEAR}&department={ids['regions']}")).status_code == 422
    chosen = (await client.get(f"/plans?year={YEAR}&employee=22")).text
    assert '<span class="name">Beta Boris' in chosen and '<span class="name">Alpha Anna' not in chosen
    await client.get("/logout")
    await login(client, "admin@example.com")
    everybody = (await client.get(f"/plans?year={YEAR}")).text
    assert "Gamma Vera" in everybody and "Alpha Anna" in everybody


async def test_day_comments_are_written_by_people_in_scope_and_verified_by_heads(client, db) -> None:
    await head_and_team(db)
    await login(client, "anna@example.com")
    assert (await post_form(client, f"/plans/21/day/{YEAR}-03-03/comments", {"body": ""})).status_code == 422
    await post_form(client, f"/plans/21/day/{YEAR}-03-03/comments", {"body": "At the exhibition"})
    comment = await db.scalar(select(DayComment))
    assert comment.body == "At the exhibition" and not comment.verified
    assert (await post_form(client, f"/plans/comments/{comment.id}/verify", {})).status_code == 403
    grid = (await client.get(f"/plans?year={YEAR}&month=3")).text
    assert "1 comment" in grid
    await client.get("/logout")
    await login(client, "head@example.com")
    await post_form(client, f"/plans/comments/{comment.id}/verify", {})
    await db.refresh(comment)
    assert comment.verified
    assert "verified" in (await client.get(f"/plans/21/day/{YEAR}-03-03")).text


async def test_admins_set_the_edit_deadline_and_the_default_department_and_bad_values_are_422(client, db) -> None:
    ids = await head_and_team(db)
    await login(client, "head@example.com")
    assert (await client.get("/plans/settings")).status_code == 403
    await client.get("/logout")
    await login(client, "admin@example.com")
    unknown = {"edit_deadline_day": "5", "default_department_id": "999999"}
    for data, field in (({"edit_deadline_day": "31"}, "edit_deadline_day"), (unknown, "default_department_id")):
        response = await post_form(client, "/plans/settings", data)
        assert response.status_code == 422 and f'id="e-{field}"' in response.text
    saved = await post_form(
        client, "/plans/settings", {"edit_deadline_day": "10", "default_department_id": ids["regions"]}
    )
    assert saved.status_code in (200, 303)
    page = (await client.get(f"/plans?year={YEAR}")).text
    assert '<span class="name">Gamma Vera' in page and '<span class="name">Alpha Anna' not in page
    everybody = (await client.get(f"/plans?year={YEAR}&department=")).text  # "Everybody" chosen in the list
    assert '<span class="name">Alpha Anna' in everybody

    from crm.features.plans.services import edit_deadline, may_edit_day

    assert edit_deadline(date(2025, 12, 15), 10) == date(2026, 1, 10)
    head = type("U", (), {"can": lambda self, p: False})()
    assert may_edit_day(head, date(2025, 3, 3), date(2025, 4, 10), 10)
    assert not may_edit_day(head, date(2025, 3, 3), date(2025, 4, 11), 10)


async def test_a_head_refreshes_the_shown_month_from_bitrix24_and_sees_progress_and_outcome(client, db) -> None:
    from crm.features.clients.sync_models import SyncRun
    from tests.conftest import drain_queue

    ids = await head_and_team(db)
    await login(client, "anna@example.com")  # managers have no sync.period
    assert "Refresh data for the period" not in (await client.get(f"/plans?year={YEAR}&month=3")).text
    assert (await post_form(client, "/plans/refresh", {"year": YEAR, "month": 3})).status_code == 403
    await client.get("/logout")
    await login(client, "head@example.com")
    page = await client.get(f"/plans?year={YEAR}&month=3&department={ids['moscow']}")
    assert "Refresh data for the period" in page.text
    started = await post_form(
        client,
        "/plans/refresh",
        {"year": YEAR, "month": 3, "scope_query": f"department={ids['moscow']}"},
        follow_redirects=False,
    )
    assert started.status_code == 303
    run = await db.scalar(select(SyncRun).order_by(SyncRun.id.desc()))
    assert run.kind == "period" and run.params == {"since": f"{YEAR}-03-01", "until": f"{YEAR}-03-31"}
    assert started.headers["location"] == f"/plans?year={YEAR}&month=3&department={ids['moscow']}&run={run.id}"
    page = await client.get(started.headers["location"])
    assert f'hx-get="/plans/refresh/{run.id}"' in page.text and 'hx-trigger="every 2s"' in page.text

    await drain_queue()  # the worker runs the period job (no connection in tests: it fails readably)
    await db.refresh(run)
    assert run.status == "failed" and run.error
    poll = await client.get(f"/plans/refresh/{run.id}", headers={"HX-Request": "true"})
    assert poll.headers.get("hx-refresh") == "true"  # the page reloads: the grid shows the recounted figures
    page = await client.get(started.headers["location"])
    assert "failed" in page.text and run.error in page.text and 'hx-trigger="every 2s"' not in page.text
    assert (await client.get("/plans/refresh/999999")).status_code == 404
