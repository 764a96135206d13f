"""A company card says which activity its last communication is, and why a newer call may not count."""

from __future__ import annotations

from datetime import UTC, datetime

from crm.features.clients import figures
from crm.features.clients.models import Activity, Call, Company
from crm.features.org.models import Employee
from tests.conftest import login, make_user


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
    assert await figures.last_communication(db, 100, min_seconds=5) == ("call", 2)


async def test_a_company_with_nothing_counted_says_none(client, db):
    db.add(Company(id=101, title="Без контактов"))
    await db.commit()
    await make_user(db, "admin@example.com", ["admin"])
    await login(client, "admin@example.com")
    card = (await client.get("/companies/101")).text
    line = card[card.index('class="last-comm"') : card.index("</p>", card.index('class="last-comm"'))]
    assert "<strong>none</strong>" in line
