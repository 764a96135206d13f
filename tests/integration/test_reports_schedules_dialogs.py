"""A scheduled report's Bitrix24 destination may be a group chat (chat123) or a user's private dialog (the user's id,
a numeric DIALOG_ID of ``im.message.add``): the form says clearly what it takes, and a private dialog gets the
message from the Bitrix24 emulator (the chart goes only to group chats, through their Drive folder); an unknown
user is refused by the portal with its error."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from crm.features.reports import schedules
from crm.features.reports.models import ReportSchedule
from crm.lib.i18n import gettext
from tests.conftest import login, make_user
from tests.emulators.bitrix24 import running as b24_running
from tests.emulators.fixtures import fast_portal
from tests.integration.test_reports_schedules_delivery import (
    arrange_sales,
    b24_factory,
    deliveries,
    make_schedule,
    tick,
)
from tests.integration.test_reports_schedules_pages import FORM, post_form

MESSAGE = "A chat's dialog id looks like chat123. A private dialog with a user is the user's id, like 42."


def parse(dialog: str) -> Any:
    return schedules.parse_form({**FORM, "b24_chat": dialog}, set(), ["contract_type"], has_token=False)


def test_a_chat_or_a_users_id_is_taken_and_anything_else_is_refused_with_what_it_takes() -> None:
    for typed, stored in (("chat42", "chat42"), (" Chat 77 ", "chat77"), ("42", "42"), ("1", "1")):
        parsed = parse(typed)
        assert "b24_chat" not in parsed.errors, typed
        assert {"kind": "bitrix24_chat", "target": stored} in parsed.destinations(), typed
    for typed in ("chat", "chat0", "0", "042", "-5", "42; drop", "user42", "sg5", "chat1234567890123456789"):
        assert parse(typed).errors.get("b24_chat") == gettext(MESSAGE), typed  # translated when parsed


async def test_the_form_keeps_a_users_dialog_and_explains_a_bad_one(client, db) -> None:
    await make_user(db, "boss@example.com", ["admin"])
    await login(client, "boss@example.com")
    bad = await post_form(client, "/reports/schedules/new", {**FORM, "b24_chat": "Иван"})
    assert bad.status_code == 422 and "A private dialog with a user is the user&#39;s id, like 42." in bad.text
    good = await post_form(client, "/reports/schedules/new", {**FORM, "b24_chat": "42"})
    assert good.status_code in (302, 303), good.text
    db.expire_all()
    saved = (await db.execute(select(ReportSchedule))).scalars().one()
    assert {"kind": "bitrix24_chat", "target": "42"} in saved.destinations


async def test_a_users_private_dialog_gets_the_message_and_an_unknown_user_fails_with_the_portals_error(
    client, db
) -> None:
    await arrange_sales(db)
    await make_schedule(db, [{"kind": "bitrix24_chat", "target": "42"}])
    portal = fast_portal()
    portal.tables["users"].put({"ID": "42", "NAME": "Анна", "LAST_NAME": "Вторая", "ACTIVE": True})
    with b24_running(portal) as server:
        counts = await tick(b24_factory(server))
    item = (await deliveries(db))["bitrix24_chat"]
    assert (item.state, counts["sent"]) == ("sent", 1), item.error
    assert [(p["kind"], p["dialog"]) for p in portal.published] == [("message", "42")]
    assert "3" in portal.published[0]["text"] and portal.files == []  # the figures; no Drive upload

    await db.execute(delete(ReportSchedule))
    await db.commit()
    await make_schedule(
        db, [{"kind": "bitrix24_chat", "target": "77"}], owner_user=await make_user(db, "h@x.co", ["admin"])
    )
    portal = fast_portal()
    with b24_running(portal) as server:
        await tick(b24_factory(server))
    item = (await deliveries(db))["bitrix24_chat"]
    assert (item.state, item.attempts) == ("failed", 1)
    assert item.error == "im.message.add: USER_NOT_FOUND (HTTP 400) User not found"
    assert portal.published == []
