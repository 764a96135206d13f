"""The scheduled reports' pages: admins and heads only (a head sees only their own schedules), the form's
validation (messages next to fields, nothing half-saved, everything typed kept), the bot token never shown back,
"run now" and "send me a test" through the real queue and worker, and the archive with its files."""

from __future__ import annotations

from email import message_from_bytes, policy

from sqlalchemy import func, select

from crm.features.accounts.models import AuditEntry
from crm.features.reports import schedules
from crm.features.reports.models import ReportRun, ReportSchedule
from tests.conftest import drain_queue, login, make_user
from tests.conftest import post_form as _post_form
from tests.integration.test_reports_schedules_delivery import TOKEN, arrange_sales


async def post_form(client, url, data):  # type: ignore[no-untyped-def]
    return await _post_form(client, url, data, follow_redirects=False)


FORM = {
    "name": "Morning sales",
    "period": "yesterday",
    "pipeline_id": "",
    "field": "",
    "frequency": "weekly",
    "time": "08:30",
    "weekday": "0",
    "month_day": "1",
    "active": "1",
    "b24_chat": "chat42",
    "b24_stream_dest": "UA",
    "telegram_chat": "-1001234567890",
    "telegram_token": TOKEN,
    "emails": "heads@example.com, Boss@Example.com",
}


async def test_admins_and_heads_open_the_schedules_managers_do_not(client, db) -> None:
    await make_user(db, "boss@example.com", ["admin"])
    await make_user(db, "head@example.com", ["head"])
    await make_user(db, "m1@example.com", ["manager"])
    await login(client, "m1@example.com")
    assert (await client.get("/reports/schedules")).status_code == 403
    client.cookies.clear()
    client.cookies.set("crm_lang", "en", domain="testserver.local")
    await login(client, "head@example.com")
    page = await client.get("/reports/schedules")
    assert page.status_code == 200 and "No scheduled reports yet." in page.text
    sales = await client.get("/reports/sales")
    assert 'href="/reports/schedules"' in sales.text  # reachable from the reports' tabs


async def test_a_role_with_a_department_scope_but_no_reports_may_not_schedule_them(client, db) -> None:
    from crm.features.accounts.models import Role

    db.add(Role(name="scoped", title="Scoped", permissions=["scope.department", "clients.view"]))
    await db.commit()
    await make_user(db, "scoped@example.com", ["scoped"])
    await login(client, "scoped@example.com")
    assert (await client.get("/reports/schedules")).status_code == 403
    assert (await post_form(client, "/reports/schedules/new", FORM)).status_code == 403
    assert await db.scalar(select(func.count()).select_from(ReportSchedule)) == 0


async def test_a_schedule_is_saved_with_its_destinations_and_the_token_sealed_and_never_shown(client, db) -> None:
    await make_user(db, "boss@example.com", ["admin"])
    await login(client, "boss@example.com")
    reply = await post_form(client, "/reports/schedules/new", FORM)
    assert reply.status_code == 303, reply.text
    row = await db.scalar(select(ReportSchedule))
    assert (row.frequency, row.hour, row.minute, row.weekday) == ("weekly", 8, 30, 0)
    assert row.destinations == [
        {"kind": "bitrix24_chat", "target": "chat42"},
        {"kind": "telegram", "target": "-1001234567890"},
        {"kind": "email", "target": "heads@example.com"},
        {"kind": "email", "target": "boss@example.com"},
    ]
    assert row.next_run_at is not None and TOKEN not in row.telegram_token_enc
    assert schedules.token_of(row) == TOKEN
    page = await client.get(reply.headers["location"])
    assert page.status_code == 200
    assert TOKEN not in page.text and TOKEN.split(":")[1] not in page.text
    assert "a token is stored" in page.text and "weekly: Monday at 08:30" in page.text
    # saved again without a token: the stored one stays; then removed on request
    assert (await post_form(client, f"/reports/schedules/{row.id}", {**FORM, "telegram_token": ""})).status_code == 303
    await db.refresh(row)
    assert schedules.token_of(row) == TOKEN
    no_telegram = {**FORM, "telegram_token": "", "telegram_chat": "", "telegram_token_remove": "1"}
    assert (await post_form(client, f"/reports/schedules/{row.id}", no_telegram)).status_code == 303
    await db.refresh(row)
    assert row.telegram_token_enc == "" and all(d["kind"] != "telegram" for d in row.destinations)
    listing = await client.get("/reports/schedules")
    assert "Morning sales" in listing.text and "chat42" in listing.text
    entries = list(await db.scalars(select(AuditEntry).where(AuditEntry.entity == "report_schedule")))
    assert [e.action for e in entries] == ["create", "update"]  # the save without changes wrote nothing
    assert entries[0].changes["bot_token"] == [None, "set"]
    assert entries[1].changes["bot_token"] == ["set", ""]
    assert all(TOKEN not in str(e.changes) for e in entries)


async def test_bad_input_is_refused_next_to_each_field_with_nothing_saved_and_nothing_lost(client, db) -> None:
    await make_user(db, "boss@example.com", ["admin"])
    await login(client, "boss@example.com")
    bad = {
        **FORM,
        "name": "",
        "time": "25:99",
        "frequency": "monthly",
        "month_day": "32",
        "b24_chat": "42; drop",
        "telegram_token": "not a token",
        "emails": "ok@example.com, nobody@",
        "pipeline_id": "999999999999999999999",
    }
    reply = await post_form(client, "/reports/schedules/new", bad)
    assert reply.status_code == 422
    for message in (
        "Give the schedule a name.",
        "A time of day like 09:00.",
        "A day of the month from 1 to 31",
        "A chat&#39;s dialog id looks like chat123.",
        "A bot token looks like 123456789:AAF",
        "Not an email address: nobody@",
        "No such pipeline.",
    ):
        assert message in reply.text, message
    assert 'value="42; drop"' in reply.text and "ok@example.com, nobody@" in reply.text
    assert "not a token" not in reply.text  # a token is never echoed, not even a wrong one
    assert await db.scalar(select(func.count()).select_from(ReportSchedule)) == 0
    telegram_without_token = {**FORM, "telegram_token": ""}
    reply = await post_form(client, "/reports/schedules/new", telegram_without_token)
    assert reply.status_code == 422 and "Enter the bot&#39;s token to send to Telegram." in reply.text


async def test_only_the_chosen_frequencys_day_counts_and_a_long_name_is_refused_not_cut(client, db) -> None:
    await make_user(db, "boss@example.com", ["admin"])
    await login(client, "boss@example.com")
    bad = {**FORM, "weekday": "9", "b24_stream": "1", "b24_stream_dest": "everyone", "name": "N" * 121}
    reply = await post_form(client, "/reports/schedules/new", bad)
    assert reply.status_code == 422
    for message in ("Choose a day of the week.", "Recipients like UA (everybody)", "At most 120 characters."):
        assert message in reply.text, message
    assert 'value="everyone"' in reply.text and "N" * 121 in reply.text
    assert await db.scalar(select(func.count()).select_from(ReportSchedule)) == 0
    monthly = {**FORM, "frequency": "monthly", "month_day": "31", "weekday": "9", "b24_stream": "1"}
    reply = await post_form(client, "/reports/schedules/new", monthly)
    assert reply.status_code == 303, reply.text
    saved = (await db.execute(select(ReportSchedule))).scalars().one()
    assert (saved.month_day, saved.weekday) == (31, None)
    assert {"kind": "bitrix24_stream", "target": "UA"} in saved.destinations


async def test_a_head_sees_and_changes_only_their_own_schedules(client, db) -> None:
    await make_user(db, "boss@example.com", ["admin"])
    await make_user(db, "head@example.com", ["head"])
    await make_user(db, "head2@example.com", ["head"])
    await login(client, "head@example.com")
    assert (await post_form(client, "/reports/schedules/new", {**FORM, "name": "Mine"})).status_code == 303
    mine = await db.scalar(select(ReportSchedule))
    client.cookies.clear()
    client.cookies.set("crm_lang", "en", domain="testserver.local")
    await login(client, "head2@example.com")
    assert "Mine" not in (await client.get("/reports/schedules")).text
    assert (await client.get(f"/reports/schedules/{mine.id}")).status_code == 404
    assert (await post_form(client, f"/reports/schedules/{mine.id}/run", {})).status_code == 404
    assert (await post_form(client, f"/reports/schedules/{mine.id}/delete", {})).status_code == 404
    assert (await client.get(f"/reports/schedules/{mine.id}/runs")).status_code == 404
    client.cookies.clear()
    client.cookies.set("crm_lang", "en", domain="testserver.local")
    await login(client, "boss@example.com")
    assert "Mine" in (await client.get("/reports/schedules")).text  # admins see every schedule


async def test_send_me_a_test_mails_only_me_and_run_now_fills_the_archive(client, db, mailbox) -> None:
    await arrange_sales(db)
    await make_user(db, "boss@example.com", ["admin"])
    await login(client, "boss@example.com")
    archive_only = {**FORM, "b24_chat": "", "telegram_chat": "", "telegram_token": "", "emails": "", "period": "month"}
    reply = await post_form(client, "/reports/schedules/new", archive_only)
    schedule_id = int(reply.headers["location"].rsplit("/", 1)[1])
    reply = await post_form(client, f"/reports/schedules/{schedule_id}/test", {})
    assert reply.status_code == 303 and reply.headers["location"] == f"/reports/schedules/{schedule_id}/runs"
    await drain_queue()
    assert len(mailbox) == 1
    mail = message_from_bytes(mailbox[0].as_bytes(), policy=policy.default)
    assert mail["To"] == "boss@example.com"
    assert next(mail.iter_attachments()).get_content().startswith(b"%PDF")
    await post_form(client, f"/reports/schedules/{schedule_id}/run", {})
    await drain_queue()
    runs = list(await db.scalars(select(ReportRun).order_by(ReportRun.id)))
    assert [(r.kind, r.status) for r in runs] == [("test", "done"), ("manual", "done")]
    assert len(mailbox) == 1  # run now: only the archive, no mail
    page = await client.get(f"/reports/schedules/{schedule_id}/runs")
    assert page.status_code == 200 and "run now" in page.text and "test" in page.text
    pdf = await client.get(f"/reports/schedules/runs/{runs[1].id}/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-type"] == "application/pdf"
    png = await client.get(f"/reports/schedules/runs/{runs[1].id}/png")
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    assert (await client.get(f"/reports/schedules/runs/{runs[1].id}/exe")).status_code == 404


async def test_the_demo_has_schedules_and_its_first_report_is_made_by_the_worker(client, db) -> None:
    from crm.demo import load_demo
    from crm.features.reports import schedules_delivery
    from tests.integration.test_reports_schedules_delivery import factory

    await load_demo(db)
    await db.commit()
    await load_demo(db)  # a second load adds nothing
    await db.commit()
    assert await db.scalar(select(func.count()).select_from(ReportSchedule)) == 2
    await schedules_delivery.tick(factory(), locale="ru")
    run = await db.scalar(select(ReportRun))
    assert run.status == "done" and run.total_count is not None
    await login(client, "admin@example.com", "crm-demo-2026")
    page = await client.get("/reports/schedules")
    assert "Продажи за вчера" in page.text and "Продажи за неделю — руководителю" in page.text


async def test_run_now_publishes_to_bitrix24_through_the_worker_and_the_configured_connection(
    client, db, monkeypatch
) -> None:
    from tests.emulators.bitrix24 import running
    from tests.emulators.fixtures import fast_portal

    await arrange_sales(db)
    await make_user(db, "boss@example.com", ["admin"])
    await login(client, "boss@example.com")
    form = {**FORM, "telegram_chat": "", "telegram_token": "", "emails": "", "b24_stream": "1", "period": "month"}
    reply = await post_form(client, "/reports/schedules/new", form)
    schedule_id = int(reply.headers["location"].rsplit("/", 1)[1])
    portal = fast_portal()
    with running(portal) as server:
        monkeypatch.setenv("CRM_BITRIX24_WEBHOOK_URL", server.webhook_url)  # the connection the worker uses
        await post_form(client, f"/reports/schedules/{schedule_id}/run", {})
        await drain_queue()
    run = await db.scalar(select(ReportRun))
    assert (run.kind, run.status) == ("manual", "done")
    assert sorted(p["kind"] for p in portal.published) == ["file", "message", "post"]
    assert next(p for p in portal.published if p["kind"] == "message")["dialog"] == "chat42"


async def test_the_archive_gives_our_own_failure_reasons_in_the_users_language(client, db) -> None:
    from datetime import UTC, datetime

    from crm.features.reports.models import ReportDelivery
    from tests.conftest import set_cookie

    await make_user(db, "boss@example.com", ["admin"])
    await login(client, "boss@example.com")
    reply = await post_form(client, "/reports/schedules/new", {**FORM, "b24_chat": "", "telegram_chat": ""})
    schedule_id = int(reply.headers["location"].rsplit("/", 1)[1])
    owner_gone = ReportRun(schedule_id=schedule_id, scheduled_for=datetime.now(UTC), kind="manual", status="failed")
    owner_gone.error = "the schedule's owner is no longer an active user"
    no_mail = ReportRun(schedule_id=schedule_id, scheduled_for=datetime.now(UTC), kind="manual", status="failed")
    db.add_all([owner_gone, no_mail])
    await db.flush()
    remote = "550 5.1.1 mailbox unavailable"
    db.add_all(
        [
            ReportDelivery(
                run_id=no_mail.id,
                destination="email:a@example.com",
                kind="email",
                target="a@example.com",
                state="failed",
                error="email is not configured (SMTP settings)",
            ),
            ReportDelivery(
                run_id=no_mail.id,
                destination="email:b@example.com",
                kind="email",
                target="b@example.com",
                state="failed",
                error=remote,
            ),
        ]
    )
    await db.commit()
    set_cookie(client, "crm_lang", "ru")
    page = (await client.get(f"/reports/schedules/{schedule_id}/runs")).text
    assert "владелец расписания больше не активный пользователь" in page
    assert "почта не настроена (настройки SMTP)" in page
    assert "email is not configured" not in page and "no longer an active user" not in page
    assert remote in page  # a mail server's own answer is shown as it came
    form = (await client.get(f"/reports/schedules/{schedule_id}")).text
    assert "<legend>Битрикс24</legend>" in form  # as the menu names it, not "Bitrix24"
