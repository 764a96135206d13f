"""Scheduled reports end to end against real servers: the Bitrix24 emulator, the Telegram Bot API emulator and the
tests' SMTP server. A due schedule is rendered once, archived, delivered once per destination even when the job runs
twice; faults are retried with back-off (Telegram's retry_after honoured, Bitrix24's limits waited out by its
client), then failed with the reason; a period without sales says so; the bot token appears in no log."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from email import message_from_bytes, policy
from typing import Any

import pytest
from sqlalchemy import select, update

from crm.features.clients.models import Deal, Pipeline
from crm.features.org.models import Employee
from crm.features.reports import schedules, schedules_delivery
from crm.features.reports.models import ReportDelivery, ReportRun, ReportSchedule
from crm.integrations.bitrix24.auth import WebhookAuth
from crm.integrations.bitrix24.client import Bitrix24Client
from crm.integrations.bitrix24.limits import LeakyBucket
from crm.lib.i18n import local_tz
from tests.conftest import ARTIFACTS, login, make_user
from tests.emulators.bitrix24 import running as b24_running
from tests.emulators.fixtures import fast_portal
from tests.emulators.telegram import Bot
from tests.emulators.telegram import running as tg_running

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
CHAT = "-1001234567890"
DAY = date(2026, 11, 10)
DUE = datetime(2026, 11, 11, 6, 0, tzinfo=UTC)  # 09:00 in Moscow, the day after DAY
SHOTS = ARTIFACTS / "reports_schedules"


def factory() -> Any:
    from crm.lib.db import alchemy_config

    return alchemy_config().get_session


async def arrange_sales(db: Any) -> None:
    """The acceptance case: (u1, 1000, google, A), (u1, 500, fb, B), (u2, 2000, google, A) on DAY."""
    db.add_all(
        [
            Employee(id=1, name="Иван", last_name="Первый"),
            Employee(id=2, name="Анна", last_name="Вторая"),
            Pipeline(id=0, name="General"),
        ]
    )
    for i, who, amount, utm, kind in (
        (1, 1, "1000", "google", "A"),
        (2, 1, "500", "fb", "B"),
        (3, 2, "2000", "google", "A"),
    ):
        db.add(
            Deal(
                id=i,
                responsible_id=who,
                amount=Decimal(amount),
                utm_source=utm,
                source_id="",
                fields={"contract_type": kind},
                close_date=DAY,
                semantic="S",
                pipeline_id=0,
                closed=True,
            )
        )


async def make_schedule(db: Any, destinations: list[dict[str, str]], *, token: str = TOKEN, **kw: Any) -> Any:
    owner = kw.pop("owner_user", None) or await make_user(db, "boss@example.com", ["admin"])
    schedule = ReportSchedule(
        name=kw.pop("name", "Daily sales"),
        owner_id=owner.id,
        report="sales",
        params={"period": kw.pop("period", "yesterday"), "pipeline_id": None, "field": None},
        frequency="daily",
        hour=9,
        minute=0,
        destinations=destinations,
        telegram_token_enc=schedules.SECRETS.encrypt(token) if token else "",
        active=True,
        next_run_at=DUE,
        zone=kw.pop("zone", None) or local_tz().key,
    )
    db.add(schedule)
    await db.commit()
    return schedule


def b24_factory(server: Any, **kw: Any) -> Any:
    async def make() -> Bitrix24Client:
        kw.setdefault("backoff", 0.01)
        return Bitrix24Client(WebhookAuth(server.webhook_url), bucket=LeakyBucket(1000, 1000), **kw)

    return make


@pytest.fixture
def bot(monkeypatch: pytest.MonkeyPatch) -> Any:
    state = Bot(token=TOKEN, chats={CHAT})
    with tg_running(state) as server:
        monkeypatch.setenv("CRM_TELEGRAM_API_URL", server.base_url)
        yield state


async def tick(b24: Any = None, now: datetime = DUE + timedelta(seconds=30)) -> dict[str, int]:
    return await schedules_delivery.tick(factory(), b24, now=now, locale="en")


async def deliveries(db: Any) -> dict[str, ReportDelivery]:
    db.expire_all()
    return {d.kind: d for d in await db.scalars(select(ReportDelivery).order_by(ReportDelivery.id))}


async def make_due(db: Any) -> None:
    await db.execute(update(ReportDelivery).values(next_attempt_at=datetime.now(UTC) - timedelta(seconds=1)))
    await db.commit()


ALL = [
    {"kind": "bitrix24_chat", "target": "chat42"},
    {"kind": "bitrix24_stream", "target": "UA"},
    {"kind": "telegram", "target": CHAT},
    {"kind": "email", "target": "heads@example.com"},
]


async def test_a_due_schedule_is_made_once_archived_and_sent_once_to_every_destination(
    client, db, bot, mailbox
) -> None:
    await arrange_sales(db)
    schedule = await make_schedule(db, ALL)
    portal = fast_portal()
    with b24_running(portal) as server:
        counts = await tick(b24_factory(server))
    assert counts["planned"] == 1 and counts["rendered"] == 1 and counts["sent"] == 4, counts
    run = await db.scalar(select(ReportRun))
    assert (run.status, run.kind, run.day_from, run.day_to) == ("done", "scheduled", DAY, DAY)
    assert (run.total_sum, run.total_count) == (Decimal("3500.00"), 3)
    assert {d.state for d in (await deliveries(db)).values()} == {"sent"}
    await db.refresh(schedule)
    assert schedule.next_run_at == DUE + timedelta(days=1)  # tomorrow 09:00 in the organisation's zone
    # Bitrix24: the figures as a message, the chart into the chat's Drive folder, a post with the chart
    kinds = [p["kind"] for p in portal.published]
    assert sorted(kinds) == ["file", "message", "post"]
    message = next(p for p in portal.published if p["kind"] == "message")
    assert message["dialog"] == "chat42"
    assert "Вторая Анна — 2,000.00 (1)" in message["text"] and "Total 3,500.00, 3 won deals" in message["text"]
    assert [f["name"] for f in portal.files] == ["sales_2026-11-10_2026-11-10.png"]
    post = next(p for p in portal.published if p["kind"] == "post")
    assert post["dest"] == ["UA"] and post["files"] == ["sales_2026-11-10_2026-11-10.png"]
    assert post["title"] == "Daily sales: Nov 10, 2026"
    # Telegram: message, photo (PNG), document (PDF), each once
    assert [m["method"] for m in bot.sent] == ["sendMessage", "sendPhoto", "sendDocument"]
    text = bot.sent[0]["text"]
    assert "Daily sales: Nov 10, 2026\n" in text and "google — 3,000.00 (2)" in text
    photo, document = bot.sent[1], bot.sent[2]
    assert photo["content"].startswith(b"\x89PNG") and document["content"].startswith(b"%PDF")
    # email: the PDF attached
    assert len(mailbox) == 1
    mail = message_from_bytes(mailbox[0].as_bytes(), policy=policy.default)
    assert mail["To"] == "heads@example.com" and "Daily sales" in mail["Subject"]
    attachment = next(mail.iter_attachments())
    assert attachment.get_filename() == "sales_2026-11-10_2026-11-10.pdf"
    assert attachment.get_content().startswith(b"%PDF")
    body = mail.get_body(("plain",)).get_content()
    assert "By manager" in body and "attached as a PDF" in body
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / "sent_chart.png").write_bytes(photo["content"])
    (SHOTS / "sent_report.pdf").write_bytes(document["content"])


async def test_the_job_running_twice_at_the_same_time_or_again_delivers_once(client, db, bot, mailbox) -> None:
    await arrange_sales(db)
    await make_schedule(db, ALL)
    portal = fast_portal()
    with b24_running(portal) as server:
        first, second = await asyncio.gather(tick(b24_factory(server)), tick(b24_factory(server)))
        third = await tick(b24_factory(server))
    assert first["planned"] + second["planned"] == 1
    assert first["sent"] + second["sent"] == 4 and third["sent"] == 0
    assert len(list(await db.scalars(select(ReportRun)))) == 1
    assert [m["method"] for m in bot.sent] == ["sendMessage", "sendPhoto", "sendDocument"]
    assert sorted(p["kind"] for p in portal.published) == ["file", "message", "post"]
    assert len(mailbox) == 1


async def test_telegram_flood_control_is_waited_out_for_as_long_as_it_asks(client, db, bot) -> None:
    await arrange_sales(db)
    await make_schedule(db, [{"kind": "telegram", "target": CHAT}])
    bot.inject("429", method="sendPhoto", retry_after=1)
    counts = await tick()
    assert counts["sent"] == 1
    times = [t for t, m in bot.requests if m == "sendPhoto"]
    assert len(times) == 2 and times[1] - times[0] >= 1.0
    assert [m["method"] for m in bot.sent] == ["sendMessage", "sendPhoto", "sendDocument"]


async def test_a_long_retry_after_puts_the_delivery_off_and_the_retry_does_not_repeat_what_was_sent(
    client, db, bot
) -> None:
    await arrange_sales(db)
    schedule_id = (await make_schedule(db, [{"kind": "telegram", "target": CHAT}])).id
    bot.inject("429", method="sendDocument", retry_after=120)
    before = datetime.now(UTC)
    await tick()
    item = (await deliveries(db))["telegram"]
    assert item.state == "pending" and item.steps == ["message", "photo"]
    assert "429 Too Many Requests: retry after 120" in item.error
    assert before + timedelta(seconds=115) <= item.next_attempt_at <= datetime.now(UTC) + timedelta(seconds=125)
    assert (await db.scalar(select(ReportRun.status))) == "delivering"
    await login(client, "boss@example.com")
    page = await client.get(f"/reports/schedules/{schedule_id}/runs")
    assert "waiting to retry" in page.text and "next attempt" in page.text and "retry after 120" in page.text
    assert 'hx-trigger="every 5s"' in page.text  # the archive follows a run that is still going
    await make_due(db)
    await tick()
    item = (await deliveries(db))["telegram"]
    assert (item.state, item.attempts, item.error) == ("sent", 2, "")
    assert [m["method"] for m in bot.sent] == ["sendMessage", "sendPhoto", "sendDocument"]  # each once
    assert (await db.scalar(select(ReportRun.status))) == "done"


async def test_a_chat_the_bot_is_not_in_fails_at_once_with_the_reason(client, db, bot, mailbox) -> None:
    await arrange_sales(db)
    await make_schedule(db, [{"kind": "telegram", "target": "-100999"}, {"kind": "email", "target": "a@example.com"}])
    await tick()
    item = (await deliveries(db))["telegram"]
    assert (item.state, item.attempts) == ("failed", 1)
    assert item.error == "Telegram sendMessage: 400 Bad Request: chat not found"
    assert (await db.scalar(select(ReportRun.status))) == "partial"
    assert len(mailbox) == 1


async def test_an_html_page_instead_of_json_is_retried_later_with_back_off(client, db, bot) -> None:
    await arrange_sales(db)
    await make_schedule(db, [{"kind": "telegram", "target": CHAT}])
    bot.inject("html", method="sendMessage")
    started = datetime.now(UTC)
    await tick()
    item = (await deliveries(db))["telegram"]
    assert item.state == "pending" and item.error == "Telegram sendMessage: 502 not a Bot API answer (text/html)"
    assert item.next_attempt_at >= started + timedelta(seconds=55)  # the first back-off: a minute
    await make_due(db)
    await tick()
    assert (await deliveries(db))["telegram"].state == "sent"


async def test_after_the_last_attempt_the_delivery_is_failed_with_the_reason(client, db, bot) -> None:
    await arrange_sales(db)
    await make_schedule(db, [{"kind": "telegram", "target": CHAT}])
    bot.inject("500", count=10, method="sendMessage")
    for _ in range(schedules_delivery.MAX_ATTEMPTS):
        await tick()
        await make_due(db)
    item = (await deliveries(db))["telegram"]
    assert (item.state, item.attempts) == ("failed", schedules_delivery.MAX_ATTEMPTS)
    assert item.error == "Telegram sendMessage: 500 Internal Server Error"
    assert (await db.scalar(select(ReportRun.status))) == "failed"


async def test_bitrix24_rate_limits_are_waited_out_by_its_client_and_the_message_goes_once(client, db) -> None:
    await arrange_sales(db)
    await make_schedule(db, [{"kind": "bitrix24_chat", "target": "chat42"}])
    portal = fast_portal()
    portal.inject("503", count=3, method="im.message.add")
    portal.inject("503", count=2, method="disk.folder.uploadfile")
    with b24_running(portal) as server:
        counts = await tick(b24_factory(server))
    assert counts["sent"] == 1
    assert [p["kind"] for p in portal.published] == ["message", "file"]


async def test_a_bitrix24_limit_that_outlasts_the_client_and_a_5xx_are_retried_later(client, db) -> None:
    await arrange_sales(db)
    await make_schedule(
        db, [{"kind": "bitrix24_chat", "target": "chat42"}, {"kind": "bitrix24_stream", "target": "UA"}]
    )
    portal = fast_portal()
    portal.inject("503", count=5, method="im.message.add")  # QUERY_LIMIT_EXCEEDED beyond the client's patience
    portal.inject("500", count=1, method="log.blogpost.add")  # may have run: not repeated by the client
    with b24_running(portal) as server:
        await tick(b24_factory(server, limit_retries=2))
        items = await deliveries(db)
        assert items["bitrix24_chat"].state == "pending" and "QUERY_LIMIT_EXCEEDED" in items["bitrix24_chat"].error
        assert items["bitrix24_stream"].state == "pending" and "HTTP 500" in items["bitrix24_stream"].error
        assert portal.published == []
        await make_due(db)
        await tick(b24_factory(server, limit_retries=2))
    items = await deliveries(db)
    assert {d.state for d in items.values()} == {"sent"}
    assert sorted(p["kind"] for p in portal.published) == ["file", "message", "post"]


async def test_bitrix24_not_connected_fails_the_delivery_in_words(client, db) -> None:
    await arrange_sales(db)
    await make_schedule(db, [{"kind": "bitrix24_stream", "target": "UA"}])

    async def not_connected() -> None:
        return None

    await tick(not_connected)
    item = (await deliveries(db))["bitrix24_stream"]
    assert (item.state, item.error) == ("failed", "Bitrix24 is not connected (Integrations screen)")


async def test_a_period_without_sales_says_so_in_every_message_and_keeps_the_pdf(client, db, bot, mailbox) -> None:
    await make_schedule(db, [{"kind": "telegram", "target": CHAT}, {"kind": "email", "target": "a@example.com"}])
    await tick()
    assert "No won deals in this period." in bot.sent[0]["text"]
    mail = message_from_bytes(mailbox[0].as_bytes(), policy=policy.default)
    assert "No won deals in this period." in mail.get_body(("plain",)).get_content()
    run = await db.scalar(select(ReportRun))
    assert (run.status, run.total_count) == ("done", 0)
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / "empty_chart.png").write_bytes(bot.sent[1]["content"])
    (SHOTS / "empty_report.pdf").write_bytes(bot.sent[2]["content"])


async def test_only_the_archive_keeps_the_files_and_ends_done(client, db) -> None:
    await arrange_sales(db)
    await make_schedule(db, [])
    await tick()
    run = await db.scalar(select(ReportRun))
    assert run.status == "done" and (await deliveries(db)) == {}
    await db.refresh(run, ["pdf", "png"])
    assert run.pdf.startswith(b"%PDF") and run.png.startswith(b"\x89PNG")


async def test_the_bot_token_appears_in_no_log_and_no_stored_text(client, db, bot, caplog) -> None:
    await arrange_sales(db)
    await make_schedule(db, [{"kind": "telegram", "target": CHAT}])
    bot.inject("drop", method="sendMessage")
    with caplog.at_level(logging.DEBUG):
        await tick()
        await make_due(db)
        await tick()
    assert (await deliveries(db))["telegram"].state == "sent"
    assert "sendMessage" in caplog.text  # httpx's request lines were logged, redacted
    assert TOKEN not in caplog.text and TOKEN.split(":")[1] not in caplog.text
    row = await db.scalar(select(ReportSchedule))
    assert TOKEN not in row.telegram_token_enc and schedules.token_of(row) == TOKEN
    for item in await db.scalars(select(ReportDelivery)):
        assert TOKEN not in item.error


async def test_a_job_that_died_mid_delivery_is_taken_again_after_its_lease_and_sends_only_the_rest(
    client, db, bot
) -> None:
    await arrange_sales(db)
    await make_schedule(db, [{"kind": "telegram", "target": CHAT}])
    bot.inject("drop", count=1, method="sendPhoto")  # the connection drops after the message went out
    await tick()
    item = (await deliveries(db))["telegram"]
    assert item.state == "pending" and item.steps == ["message"]
    # as if a worker had claimed it again and died: "sending" with its lease over
    await db.execute(
        update(ReportDelivery).values(state="sending", next_attempt_at=datetime.now(UTC) - timedelta(seconds=1))
    )
    await db.commit()
    await tick()
    item = (await deliveries(db))["telegram"]
    assert (item.state, item.steps) == ("sent", ["message", "photo", "document"])
    assert [m["method"] for m in bot.sent] == ["sendMessage", "sendPhoto", "sendDocument"]  # the message once


async def test_a_delivery_being_sent_by_another_worker_is_not_taken_while_its_lease_runs(client, db, bot) -> None:
    await arrange_sales(db)
    await make_schedule(db, [{"kind": "telegram", "target": CHAT}])
    await schedules_delivery.plan_due(factory(), DUE + timedelta(seconds=30))
    await schedules_delivery.render_pending(factory())
    claimed = await schedules_delivery.claim(factory())
    assert claimed is not None
    assert await schedules_delivery.claim(factory()) is None  # leased to the first worker
    await tick()
    assert bot.sent == []


async def test_a_heads_schedule_reports_the_figures_of_their_department_only(client, db, bot) -> None:
    from crm.features.org.models import Department

    await arrange_sales(db)
    east = Department(name="Sales East")
    db.add(east)
    await db.flush()
    anna = await db.get(Employee, 2)
    anna.department_id = east.id
    await db.commit()
    head = await make_user(db, "head@example.com", ["head"], department_id=east.id)
    await make_schedule(db, [{"kind": "telegram", "target": CHAT}], owner_user=head)
    await tick()
    run = await db.scalar(select(ReportRun))
    assert (run.total_sum, run.total_count) == (Decimal("2000.00"), 1)
    assert "Первый Иван" not in bot.sent[0]["text"] and "Вторая Анна" in bot.sent[0]["text"]


async def test_the_owner_is_alerted_to_a_run_that_did_not_reach_every_destination(client, db, bot, mailbox) -> None:
    from crm.features.accounts.models import User
    from crm.features.reports.alerts import alerts

    await arrange_sales(db)
    schedule = await make_schedule(
        db, [{"kind": "telegram", "target": "-100999"}, {"kind": "email", "target": "a@b.co"}]
    )
    owner = await db.get(User, schedule.owner_id)
    assert await alerts(db, owner) == []
    await tick(now=datetime.now(UTC))
    found = await alerts(db, owner)
    assert [(a.kind, a.message, a.link) for a in found] == [
        (
            "report_not_delivered",
            "Отчёт по расписанию «Daily sales» отправлен не всем получателям",  # the default locale
            f"/reports/schedules/{schedule.id}/runs",
        )
    ]
    other = await make_user(db, "other@example.com", ["admin"])
    assert await alerts(db, other) == []  # only the owner's schedules


async def test_a_bitrix24_chat_the_portal_refuses_fails_at_once_with_its_error(client, db) -> None:
    await arrange_sales(db)
    await make_schedule(db, [{"kind": "bitrix24_chat", "target": "chat7"}])
    portal = fast_portal()
    portal.dialogs = {"chat42"}
    with b24_running(portal) as server:
        await tick(b24_factory(server))
    item = (await deliveries(db))["bitrix24_chat"]
    assert (item.state, item.attempts) == ("failed", 1)
    assert item.error == ("im.message.add: ACCESS_ERROR (HTTP 400) You do not have access to the specified dialog")
    assert portal.published == []


async def test_an_unreachable_mail_server_is_retried_later_and_a_refusal_fails(
    client, db, mailbox, monkeypatch
) -> None:
    import dataclasses
    import socket

    from crm.features.system import settings as system_settings

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]  # nothing listens there once the socket is closed
    real = system_settings.with_effective_smtp

    async def unreachable(session: Any = None, settings: Any = None) -> Any:
        current = await real(session, settings)
        return dataclasses.replace(current, smtp=dataclasses.replace(current.smtp, port=closed_port))

    await arrange_sales(db)
    await make_schedule(db, [{"kind": "email", "target": "a@example.com"}])
    monkeypatch.setattr(schedules_delivery, "with_effective_smtp", unreachable)
    await tick()
    item = (await deliveries(db))["email"]
    assert item.state == "pending" and f"127.0.0.1:{closed_port} failed" in item.error
    monkeypatch.setattr(schedules_delivery, "with_effective_smtp", real)
    await make_due(db)
    await tick()
    assert (await deliveries(db))["email"].state == "sent" and len(mailbox) == 1


async def test_a_schedule_whose_owner_left_fails_its_run_in_words(client, db) -> None:
    from crm.features.accounts.models import User

    schedule = await make_schedule(db, [{"kind": "email", "target": "a@example.com"}])
    owner = await db.get(User, schedule.owner_id)
    owner.is_active = False
    await db.commit()
    await tick()
    run = await db.scalar(select(ReportRun))
    assert (run.status, run.error) == ("failed", "the schedule's owner is no longer an active user")
    assert await deliveries(db) == {}


async def test_a_schedule_deleted_while_its_report_is_being_sent_is_left_alone(client, db, bot) -> None:
    await arrange_sales(db)
    schedule_id = (await make_schedule(db, [{"kind": "telegram", "target": CHAT}])).id
    await schedules_delivery.plan_due(factory(), DUE + timedelta(seconds=30))
    await schedules_delivery.render_pending(factory())
    claimed = await schedules_delivery.claim(factory())
    await db.delete(await db.get(ReportSchedule, schedule_id))
    await db.commit()
    assert await schedules_delivery.Deliverer(factory(), None).run_one(claimed) == "gone"
    assert bot.sent == [] and (await tick())["sent"] == 0


async def test_after_the_organisation_changes_its_zone_the_times_mean_the_new_zone(client, db) -> None:
    from zoneinfo import ZoneInfo

    schedule_id = (await make_schedule(db, [], zone="America/New_York")).id  # computed before the change
    now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    assert (await schedules_delivery.tick(factory(), now=now))["planned"] == 0  # DUE is not run in a stale zone
    row = await db.get(ReportSchedule, schedule_id)
    await db.refresh(row)
    zone = local_tz()
    assert row.zone == zone.key
    assert row.next_run_at == datetime(2026, 12, 3, 9, 0, tzinfo=zone).astimezone(UTC)
    assert zone != ZoneInfo("America/New_York")
