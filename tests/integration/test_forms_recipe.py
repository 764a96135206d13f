"""Forms of every area go through crm.lib.forms: a bad value is answered with its message next to the field (422,
what was typed kept, nothing saved), or, for a value no screen sends, a 4xx with the reason; never a 500 and never
a silent default."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from crm.features.clients.sync_models import SyncRun
from crm.features.plans.models import PlanSettings
from crm.features.tariffs.models import DetailSending
from tests.conftest import login, make_user, post_form


def _error_of(html: str, name: str) -> str:
    """The message shown next to a field (the ``field``/``select`` macros' ``<p class="error" id="e-name">``)."""
    found = re.search(rf'<p class="error" id="e-{name}">⚠ ([^<]*)</p>', html)
    return found[1].strip() if found else ""


def _value_of(html: str, name: str) -> str:
    found = re.search(rf'<input id="f-{name}" name="{name}"[^>]*value="([^"]*)"', html)
    return found[1] if found else ""


async def test_sign_in_with_empty_fields_says_what_is_missing_next_to_each(client, db) -> None:
    answer = await post_form(client, "/login", {"email": " ", "password": ""})
    assert answer.status_code == 422
    assert _error_of(answer.text, "email") == "Enter your email."
    assert _error_of(answer.text, "password") == "Enter your password."


async def test_plan_settings_refuse_a_day_past_the_28th_and_keep_what_was_typed(client, db) -> None:
    await make_user(db, "admin@example.com", ["admin"])
    await login(client, "admin@example.com")
    answer = await post_form(client, "/plans/settings", {"edit_deadline_day": "31", "default_department_id": ""})
    assert answer.status_code == 422
    assert _error_of(answer.text, "edit_deadline_day") == "A day of the month from 1 to 28."
    assert _value_of(answer.text, "edit_deadline_day") == "31"
    answer = await post_form(client, "/plans/settings", {"edit_deadline_day": "7", "default_department_id": "999"})
    assert answer.status_code == 422
    assert _error_of(answer.text, "default_department_id") == "Choose a department from the list."
    assert (
        await db.scalar(select(func.count()).select_from(PlanSettings).where(PlanSettings.edit_deadline_day == 7)) == 0
    )


async def test_a_period_refresh_of_a_month_that_does_not_exist_starts_nothing(client, db) -> None:
    """It used to refresh the whole year instead (month=13 was read as "no month")."""
    await make_user(db, "admin@example.com", ["admin"])
    await login(client, "admin@example.com")
    answer = await post_form(client, "/plans/refresh", {"year": "2026", "month": "13"}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/plans"
    assert await db.scalar(select(func.count()).select_from(SyncRun)) == 0
    page = await client.get("/plans")
    assert "Enter a number from 1 to 12." in page.text


async def test_analysis_settings_show_a_bad_threshold_next_to_its_field(client, db) -> None:
    await make_user(db, "admin@example.com", ["admin"])
    await login(client, "admin@example.com")
    form = {"variable": "revenue", "abc_a": "eighty", "abc_b": "95", "i1": "", "i2": "", "i3": "", "i4": ""}
    answer = await post_form(client, "/analysis/settings", form)
    assert answer.status_code == 422
    assert _error_of(answer.text, "abc_a") == "A percentage above 0 and below 100."
    assert _value_of(answer.text, "abc_a") == "eighty"
    assert _error_of(answer.text, "i1") == "Choose a formula from the list."


async def test_a_period_resync_without_dates_says_so(client, db) -> None:
    await make_user(db, "admin@example.com", ["admin"])
    await login(client, "admin@example.com")
    answer = await post_form(client, "/integrations/bitrix24/period", {"since": "yesterday", "until": ""})
    assert answer.status_code == 422
    assert _error_of(answer.text, "since") == "Enter both dates."
    assert await db.scalar(select(func.count()).select_from(SyncRun)) == 0


async def test_the_mailbox_port_out_of_range_is_refused_next_to_the_field(client, db) -> None:
    await make_user(db, "admin@example.com", ["admin"])
    await login(client, "admin@example.com")
    answer = await post_form(client, "/imports/mailbox", {"host": "imap.example.com", "port": "99999"})
    assert answer.status_code == 422
    assert _error_of(answer.text, "port") == "A port number from 1 to 65535."
    assert _value_of(answer.text, "port") == "99999"


async def test_sending_details_of_a_month_that_does_not_exist_is_refused_not_sent_for_this_month(client, db) -> None:
    """It used to send the current month's sheets instead."""
    await make_user(db, "bill@example.com", ["billing"])
    await login(client, "bill@example.com")
    answer = await post_form(client, "/billing/detail/send-all", {"month": "2022-13"}, follow_redirects=False)
    assert answer.status_code == 422
    assert "month: Enter a month as YYYY-MM." in answer.text
    assert await db.scalar(select(func.count()).select_from(DetailSending)) == 0


async def test_an_api_token_without_a_name_is_refused_in_the_tokens_block(client, db) -> None:
    await make_user(db, "anna@example.com", ["manager"])
    await login(client, "anna@example.com")
    answer = await post_form(client, "/profile/tokens", {"name": "  "}, headers={"HX-Request": "true"})
    assert answer.status_code == 422
    assert "Give the token a name of 1 to 100 characters." in answer.text


async def test_an_operator_with_a_negative_maximum_load_is_not_put_on_the_desk(client, db) -> None:
    await make_user(db, "admin@example.com", ["admin"])
    await make_user(db, "olga@example.com", ["operator"])
    await login(client, "admin@example.com")
    answer = await post_form(client, "/leads/operators", {"email": "olga@example.com", "max_load": "-1"})
    assert answer.status_code == 422
    assert _error_of(answer.text, "max_load") == "A whole number from 0 to 100000."
