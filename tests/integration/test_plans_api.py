"""The plans JSON API (spec/plans.md, "API"): stats, a month's plan, forcing, day comments; scope; bad input."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from crm.features.clients import figures
from crm.features.clients.models import Call
from crm.features.plans.models import CallPlan
from crm.lib.i18n import local_today, local_tz
from tests.conftest import DEFAULT_PASSWORD
from tests.integration.test_plans_plans import head_and_team
from tests.integration.test_plans_stats import fig

YEAR = 2025


async def bearer(client: Any, email: str) -> dict[str, str]:
    answer = await client.post("/api/v1/auth/token", json={"email": email, "password": DEFAULT_PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def call(call_id: int, user: int, company: int | None, day: date, seconds: int = 30, kind: int = 1) -> Call:
    at = datetime.combine(day, time(10, call_id % 60), local_tz())
    return Call(id=call_id, user_id=user, company_id=company, duration=seconds, call_type=kind, start_at=at)


async def test_month_stats_answer_working_days_with_calls_plan_status_companies_and_comments(client, db) -> None:
    ids = await head_and_team(db)
    db.add_all(
        [
            call(1, 21, 500, date(YEAR, 3, 3)),
            call(2, 21, 500, date(YEAR, 3, 3)),
            call(3, 21, 501, date(YEAR, 3, 3)),
            call(4, 21, 502, date(YEAR, 3, 3), seconds=19),  # too short
            call(5, 21, 503, date(YEAR, 3, 3), kind=2),  # incoming
            call(6, 21, 500, date(YEAR, 3, 4)),
            CallPlan(employee_id=21, day=date(YEAR, 3, 3), calls=10),
            CallPlan(employee_id=21, day=date(YEAR, 3, 4), calls=5),
        ]
    )
    await db.flush()
    await figures.rebuild(db)  # what a sync does with the calls it stored; then the day figures set by hand
    for figure in (fig(21, date(YEAR, 3, 3), 8, 1), fig(21, date(YEAR, 3, 4), 6)):
        await db.merge(figure)
    await db.commit()
    headers = await bearer(client, "head@example.com")
    answer = await client.get(
        f"/api/v1/plans/stats?scope=department:{ids['moscow']}&year={YEAR}&month=3", headers=headers
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["year"], body["month"]) == (YEAR, 3)
    assert {r["employee_id"] for r in body["rows"]} == {20, 21, 22}
    anna = next(r for r in body["rows"] if r["employee_id"] == 21)
    assert anna["department_id"] == ids["moscow"] and anna["name"] == "Alpha Anna"
    days = {p["period"]: p for p in anna["periods"]}
    assert f"{YEAR}-03-08" not in days and f"{YEAR}-03-01" not in days  # a holiday and a Saturday
    third = days[f"{YEAR}-03-03"]
    assert (third["calls"], third["meetings"], third["plan"], third["status"]) == (8, 1, 10, "not_fulfilled")
    assert third["companies_called"] == 2 and third["comments"] == 0
    assert days[f"{YEAR}-03-04"]["status"] == "fulfilled" and days[f"{YEAR}-03-05"]["status"] == "none"

    year = (await client.get(f"/api/v1/plans/stats?year={YEAR}&scope=employee:21", headers=headers)).json()
    march = next(p for p in year["rows"][0]["periods"] if p["period"] == f"{YEAR}-03")
    assert march["plan"] == 15 and march["calls"] == 14 and march["companies_called"] == 2
    assert march["status"] == {"fulfilled": 1, "not_fulfilled": 1, "forced": 0}
    assert year["month"] is None and len(year["rows"][0]["periods"]) == 12


async def test_a_manager_gets_only_their_own_row_and_others_are_404(client, db) -> None:
    ids = await head_and_team(db)
    headers = await bearer(client, "anna@example.com")
    mine = (await client.get(f"/api/v1/plans/stats?year={YEAR}", headers=headers)).json()
    assert [r["employee_id"] for r in mine["rows"]] == [21]
    for url in (
        f"/api/v1/plans/stats?year={YEAR}&scope=employee:22",
        f"/api/v1/plans/stats?year={YEAR}&scope=department:{ids['moscow']}",
        f"/api/v1/plans/22/{YEAR}-03-03/comments",
    ):
        answer = await client.get(url, headers=headers)
        assert answer.status_code == 404, (url, answer.text)
    head = await bearer(client, "head@example.com")  # Moscow's head does not see Regions
    assert (await client.put(f"/api/v1/plans/31/{YEAR}-03", json={"daily": 5}, headers=head)).status_code == 404
    assert (await client.put(f"/api/v1/plans/21/{YEAR}-03", json={"daily": 5}, headers=headers)).status_code == 403


async def test_bad_stats_input_is_422_or_404_naming_the_field(client, db) -> None:
    await head_and_team(db)
    headers = await bearer(client, "admin@example.com")
    for query, field in (
        ("year=1999", "year"),
        ("year=2025&month=13", "month"),
        ("year=x", "year"),
        ("month=0", "month"),
    ):
        answer = await client.get(f"/api/v1/plans/stats?{query}", headers=headers)
        assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == field, (query, answer.text)
    this_year = await client.get("/api/v1/plans/stats", headers=headers)
    assert this_year.status_code == 200 and this_year.json()["year"] == local_today().year
    bad = await client.get("/api/v1/plans/stats?year=2025&scope=team:1", headers=headers)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "scope"
    unknown = await client.get("/api/v1/plans/stats?year=2025&scope=department:999999", headers=headers)
    assert unknown.status_code == 404 and "scope" in unknown.json()["detail"]


async def test_a_head_puts_a_daily_or_per_day_plan_and_bad_plans_are_422_naming_the_field(client, db) -> None:
    await head_and_team(db)
    headers = await bearer(client, "admin@example.com")  # an admin may edit past plans
    daily = await client.put(f"/api/v1/plans/21/{YEAR}-03", json={"daily": 30}, headers=headers)
    assert daily.status_code == 200, daily.text
    body = daily.json()
    assert body["month"] == f"{YEAR}-03" and body["days"][f"{YEAR}-03-03"] == 30 and f"{YEAR}-03-08" not in body["days"]
    assert body["changed"] == len(body["days"])
    per_day = await client.put(
        f"/api/v1/plans/21/{YEAR}-03", json={"days": {f"{YEAR}-03-03": 25, f"{YEAR}-03-04": None}}, headers=headers
    )
    assert per_day.status_code == 200 and per_day.json()["changed"] == 2
    assert per_day.json()["days"][f"{YEAR}-03-03"] == 25 and f"{YEAR}-03-04" not in per_day.json()["days"]
    for payload, field in (
        ({"daily": -1}, "daily"),
        ({"daily": "ten"}, "daily"),
        ({}, "daily"),
        ({"days": {f"{YEAR}-03-08": 5}}, f"days.{YEAR}-03-08"),
    ):
        answer = await client.put(f"/api/v1/plans/21/{YEAR}-03", json=payload, headers=headers)
        assert answer.status_code == 422, (payload, answer.text)
        assert field in [e["field"] for e in answer.json()["errors"]], (payload, answer.text)
    for month in ("2025-13", "25-03", "1999-01"):
        assert (await client.put(f"/api/v1/plans/21/{month}", json={"daily": 1}, headers=headers)).status_code == 404
    assert (await client.put(f"/api/v1/plans/4242/{YEAR}-03", json={"daily": 1}, headers=headers)).status_code == 404

    head = await bearer(client, "head@example.com")  # a head is held to the deadline for last year's plans
    late = await client.put(f"/api/v1/plans/21/{YEAR}-03", json={"days": {f"{YEAR}-03-05": 7}}, headers=head)
    assert late.status_code == 422 and late.json()["errors"][0]["field"] == f"days.{YEAR}-03-05"


async def test_forcing_a_not_fulfilled_day_by_api_and_refusing_other_days_with_a_reason(client, db) -> None:
    await head_and_team(db)
    db.add_all([CallPlan(employee_id=21, day=date(YEAR, 3, 3), calls=10), fig(21, date(YEAR, 3, 3), 8)])
    db.add_all([CallPlan(employee_id=21, day=date(YEAR, 3, 4), calls=5), fig(21, date(YEAR, 3, 4), 6)])
    await db.commit()
    headers = await bearer(client, "head@example.com")
    empty = await client.post(f"/api/v1/plans/21/{YEAR}-03-03/force", json={"comment": " "}, headers=headers)
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "comment"
    missing = await client.post(f"/api/v1/plans/21/{YEAR}-03-03/force", json={}, headers=headers)
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "comment"
    done = await client.post(f"/api/v1/plans/21/{YEAR}-03-03/force", json={"comment": "Exhibition"}, headers=headers)
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["plan"], done.json()["calls"]) == ("forced", 10, 8)
    for day in (f"{YEAR}-03-03", f"{YEAR}-03-04", "2099-03-03"):  # forced already, fulfilled, future
        again = await client.post(f"/api/v1/plans/21/{day}/force", json={"comment": "x"}, headers=headers)
        assert again.status_code == 422 and again.json()["errors"][0]["field"] == "day", (day, again.text)
    stats = (await client.get(f"/api/v1/plans/stats?year={YEAR}&month=3&scope=employee:21", headers=headers)).json()
    assert next(p for p in stats["rows"][0]["periods"] if p["period"] == f"{YEAR}-03-03")["status"] == "forced"
    manager = await bearer(client, "anna@example.com")
    refused = await client.post(f"/api/v1/plans/21/{YEAR}-03-04/force", json={"comment": "x"}, headers=manager)
    assert refused.status_code == 403


async def test_day_comments_by_api_are_listed_and_counted_in_the_stats(client, db) -> None:
    await head_and_team(db)
    headers = await bearer(client, "anna@example.com")
    url = f"/api/v1/plans/21/{YEAR}-03-03/comments"
    assert (await client.get(url, headers=headers)).json() == []
    added = await client.post(url, json={"body": "At the exhibition"}, headers=headers)
    assert added.status_code == 201, added.text
    thread = (await client.get(url, headers=headers)).json()
    assert [c["body"] for c in thread] == ["At the exhibition"] and thread[0]["verified"] is False
    assert thread[0]["author"]
    blank = await client.post(url, json={"body": ""}, headers=headers)
    assert blank.status_code == 422 and blank.json()["errors"][0]["field"] == "body"
    stats = (await client.get(f"/api/v1/plans/stats?year={YEAR}&month=3", headers=headers)).json()
    assert next(p for p in stats["rows"][0]["periods"] if p["period"] == f"{YEAR}-03-03")["comments"] == 1
    assert (await client.get("/api/v1/plans/21/1999-03-03/comments", headers=headers)).status_code == 404
