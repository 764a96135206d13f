"""The analysis forms read through declared forms: the inline category of a row and the settings' lists and rules
(a valid save, each bad value → its message or a 422 naming the field, nothing half-saved)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from crm.features.goals.models import AnalysisCategory, AnalysisOverride, AnalysisReason, AnalysisRule
from tests.conftest import login, post_form
from tests.integration.test_goals_analysis_rules import LINES, put_sales
from tests.integration.test_goals_api import team

HX = {"HX-Request": "true"}


async def _client_id(db: Any, code: str) -> int:
    from crm.features.sales.models import ErpClient

    return (await db.scalars(select(ErpClient.id).where(ErpClient.code == code))).one()


async def _count(db: Any, model: Any) -> int:
    return int(await db.scalar(select(func.count()).select_from(model)) or 0)


async def test_the_inline_category_saves_a_valid_choice_and_keeps_a_bad_one_next_to_the_cell(client, db) -> None:
    p = await team(db)
    await put_sales(db, LINES, responsible={"A01": p["maria"].id})
    await login(client, "maria@example.com")
    a01 = await _client_id(db, "A01")
    url = f"/analysis/clients/{a01}/category"
    cell = {"variable": "revenue", "month": "2026-03", "back": "/analysis/clients?variable=revenue"}
    bad = await post_form(client, url, {**cell, "category": "Nonexistent", "reason": "Price"}, headers=HX)
    assert bad.status_code == 422 and "Choose a category from the list of this variable." in bad.text
    assert 'value="Nonexistent"' not in bad.text and await _count(db, AnalysisOverride) == 0  # nothing saved
    too_long = await post_form(client, url, {**cell, "category": "x" * 81}, headers=HX)
    assert too_long.status_code == 422 and "Choose a category from the list of this variable." in too_long.text
    reason_only = await post_form(client, url, {**cell, "reason": "Price"}, headers=HX)
    assert reason_only.status_code == 422 and "Choose a category for the reason." in reason_only.text
    assert await _count(db, AnalysisOverride) == 0
    ok = await post_form(client, url, {**cell, "category": "Falling", "reason": "Price"}, headers=HX)
    assert ok.status_code == 200 and "Falling" in ok.text
    assert (await db.scalars(select(AnalysisOverride.variable))).all() == ["revenue"]
    plain = await post_form(
        client, url, {**cell, "back": "https://evil.example/", "category": ""}, follow_redirects=False
    )
    assert plain.status_code == 303 and plain.headers["location"] == "/analysis/clients"  # only back to the table
    assert await _count(db, AnalysisOverride) == 0  # "automatic" again


async def test_a_hidden_value_no_screen_sends_is_refused_naming_the_field(client, db) -> None:
    p = await team(db)
    await put_sales(db, LINES, responsible={"A01": p["maria"].id})
    await login(client, "maria@example.com")
    a01 = await _client_id(db, "A01")
    url = f"/analysis/clients/{a01}/category"
    for form, field in (
        ({"variable": "nonsense", "category": "Falling"}, "variable"),
        ({"category": "Falling"}, "variable"),
        ({"variable": "revenue", "month": "x" * 21, "category": "Falling"}, "month"),
    ):
        answer = await post_form(client, url, form, headers={"Accept": "application/json"})
        assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == field, (form, answer.text)
    assert await _count(db, AnalysisOverride) == 0


async def test_the_settings_lists_refuse_a_bad_hidden_value_and_keep_a_bad_rule_as_typed(client, db) -> None:
    await team(db)
    await login(client, "admin@example.com")
    assert (await client.get("/analysis/settings?variable=revenue")).status_code == 200  # the default lists
    await db.rollback()
    categories, reasons = await _count(db, AnalysisCategory), await _count(db, AnalysisReason)
    for kind, form, field in (
        ("category", {"variable": "nonsense", "name": "VIP"}, "variable"),
        ("reason", {"variable": "revenue", "remove": "abc"}, "remove"),
        ("rule", {"variable": "revenue", "remove": "-1"}, "remove"),
    ):
        answer = await post_form(client, f"/analysis/settings/{kind}", form, headers={"Accept": "application/json"})
        assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == field, (kind, answer.text)
    assert (await _count(db, AnalysisCategory), await _count(db, AnalysisReason)) == (categories, reasons)
    assert (await post_form(client, "/analysis/settings/nonsense", {"variable": "revenue"})).status_code == 404
    await post_form(client, "/analysis/settings/category", {"variable": "revenue", "name": "VIP"})
    await db.rollback()  # a fresh snapshot: the app added the category (and the default rules, on first use)
    rules = await _count(db, AnalysisRule)
    bad = await post_form(
        client,
        "/analysis/settings/rule",
        {"variable": "revenue", "metric": "i1", "op": "<", "value": "twelve", "category_id": "1"},
    )
    assert bad.status_code == 422 and "A number, e.g. -30 or 12.5." in bad.text and 'value="twelve"' in bad.text
    await db.rollback()
    assert await _count(db, AnalysisRule) == rules
    category = await db.scalar(select(AnalysisCategory.id).where(AnalysisCategory.name == "VIP"))
    good = {"variable": "revenue", "metric": "i1", "op": "<", "value": "-30", "category_id": str(category)}
    ok = await post_form(client, "/analysis/settings/rule", good, follow_redirects=False)
    assert ok.status_code == 303, ok.text
    await db.rollback()
    assert await _count(db, AnalysisRule) == rules + 1
    added = await post_form(client, "/analysis/settings/reason", {"variable": "revenue", "name": " Late  pay "})
    await db.rollback()
    assert added.status_code == 200 and await _count(db, AnalysisReason) == reasons + 1
