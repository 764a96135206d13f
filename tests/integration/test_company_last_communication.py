"""A company card says which activity its last communication is, and why a newer call may not count."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from crm.features.accounts.models import AuditEntry
from crm.features.clients import figures
from crm.features.clients.models import Activity, Call, Company
from crm.features.clients.sync_models import Bitrix24Settings, CompanyFigure, ManagerDayFigure, SyncRun
from crm.features.org.models import Employee
from tests.conftest import drain_queue, login, make_user, post_form


async def test_the_card_names_the_counted_activity_and_ignores_a_newer_short_call(client, db):
    db.add_all(
        [
            Employee(id=7, name="Ирина", last_name="Звонарёва"),
            Company(id=100, title="ООО «Ромашка»", responsible_id=7),
            Activity(
                id=1,
                company_id=100,
                kind="meeting",
                completed=True,
                responsible_id=7,
                subject="Переговоры о поставке",
                start_at=datetime(2026, 11, 10, 9, 0, tzinfo=UTC),
            ),
            # Newer, but a 5-second call: below the minimum of 20 s, so it is not a communication.
            Call(id=2, company_id=100, user_id=7, call_type=1, duration=5, start_at=datetime(2026, 11, 20, tzinfo=UTC)),
        ]
    )
    await db.flush()
    await figures.rebuild(db)
    await db.commit()
    await make_user(db, "admin@example.com", ["admin"])
    await login(client, "admin@example.com")

    card = (await client.get("/companies/100")).text
    line = card[card.index('class="last-comm"') : card.index("</p>", card.index('class="last-comm"'))]
    assert "meeting" in line and "Переговоры о поставке" in line and "Звонарёва" in line
    assert "of at least 20 s; a shorter call or a planned activity does not count" in line
    assert card.count("too short to count") == 1  # the 5-second call in the timeline

    assert await figures.last_communication(db, 100) == ("activity", 1)
    assert await figures.last_communication(db, 100, figures.Counting(min_seconds=5)) == ("call", 2)


async def test_a_company_with_nothing_counted_says_none(client, db):
    db.add(Company(id=101, title="Без контактов"))
    await db.commit()
    await make_user(db, "admin@example.com", ["admin"])
    await login(client, "admin@example.com")
    card = (await client.get("/companies/101")).text
    line = card[card.index('class="last-comm"') : card.index("</p>", card.index('class="last-comm"'))]
    assert "<strong>none</strong>" in line


def _day(at: datetime, **kw):  # type: ignore[no-untyped-def]
    return Activity(completed=True, responsible_id=7, start_at=at, end_at=at, **kw)


async def test_what_counts_as_a_meeting_and_a_communication_follows_the_settings(db):
    db.add_all(
        [
            Employee(id=7, name="Ирина", last_name="Звонарёва"),
            Company(id=100, title="ООО «Ромашка»", responsible_id=7),
            _day(datetime(2026, 11, 10, 9, 0, tzinfo=UTC), id=1, company_id=100, kind="meeting", subject="Встреча"),
            _day(datetime(2026, 11, 12, 9, 0, tzinfo=UTC), id=2, company_id=100, kind="todo", subject="Выезд"),
            _day(datetime(2026, 11, 20, 9, 0, tzinfo=UTC), id=3, company_id=100, kind="email", subject="Письмо"),
        ]
    )
    await db.flush()

    await figures.rebuild(db)  # the defaults: meetings are meetings; calls, meetings and emails communicate
    days = {f.day.day: f.meetings for f in await db.scalars(select(ManagerDayFigure))}
    assert days == {10: 1}
    assert (await db.get(CompanyFigure, 100)).last_communication_at.day == 20  # the email

    counting = figures.Counting(meeting_kinds=("meeting", "todo"), communication_kinds=("call", "meeting"))
    await figures.rebuild(db, counting)
    db.expire_all()
    days = {f.day.day: f.meetings for f in await db.scalars(select(ManagerDayFigure))}
    assert days == {10: 1, 12: 1}  # the on-site to-do is a meeting now
    assert (await db.get(CompanyFigure, 100)).last_communication_at.day == 10  # emails no longer count
    assert await figures.last_communication(db, 100, counting) == ("activity", 1)


async def test_an_admin_changes_the_counting_rules_and_the_figures_are_rebuilt(client, db):
    await make_user(db, "admin@example.com", ["admin"])
    await login(client, "admin@example.com")
    page = (await client.get("/integrations/bitrix24")).text
    assert 'name="meeting_kinds" value="meeting" checked' in page
    assert 'name="communication_kinds" value="email" checked' in page

    form = {"mode": "", "rate": "2", "min_call_seconds": "20", "kinds": "1", "communication_kinds": "call"}
    refused = await post_form(client, "/integrations/bitrix24", form)  # no meeting kind checked
    assert refused.status_code == 422 and "Choose at least one kind of activity." in refused.text
    assert (await db.scalar(select(SyncRun.id).limit(1))) is None

    form = {**form, "meeting_kinds": ["meeting", "todo"], "communication_kinds": ["call", "meeting"]}
    saved = await post_form(client, "/integrations/bitrix24", form, follow_redirects=True)
    assert saved.status_code == 200 and "recomputed by the new rules" in saved.text
    row = await db.get(Bitrix24Settings, 1)
    await db.refresh(row)
    assert row.meeting_kinds == ["meeting", "todo"] and row.communication_kinds == ["call", "meeting"]
    run = await db.scalar(select(SyncRun).order_by(SyncRun.id.desc()).limit(1))
    assert run is not None and run.kind == "rebuild"
    entry = await db.scalar(select(AuditEntry).where(AuditEntry.entity == "bitrix24_settings").limit(1))
    assert entry is not None and entry.changes["meeting_kinds"] == ["meeting", "meeting, todo"]
    await drain_queue()
    await db.refresh(run)
    assert run.status == "done", run.error

    # saving again without a change to the rules starts nothing
    await post_form(client, "/integrations/bitrix24", form)
    assert len((await db.scalars(select(SyncRun))).all()) == 1
