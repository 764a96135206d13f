"""The companies list sorted by the last communication reads ``companies.last_communication_at``, a copy of the
derived figure that the figures code keeps level after a sync stores activities and calls and after a rebuild."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import select, text

from crm.features.clients import figures, store
from crm.features.clients.models import Company
from crm.features.clients.sync_models import CompanyFigure
from tests.conftest import DEFAULT_PASSWORD, login, make_user


def _at(day: int) -> datetime:
    return datetime(2026, 11, day, 9, 0, tzinfo=UTC)


async def _copies(db) -> dict[int, tuple[datetime | None, datetime | None]]:  # type: ignore[no-untyped-def]
    """Company id → (companies' copy, the figure) for every company."""
    db.expire_all()
    rows = await db.execute(
        select(Company.id, Company.last_communication_at, CompanyFigure.last_communication_at).outerjoin(
            CompanyFigure, CompanyFigure.company_id == Company.id
        )
    )
    return {r[0]: (r[1], r[2]) for r in rows}


def _order(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'<td><a href="/companies/(\d+)"', page)]


async def test_sorted_by_last_communication_newest_first_never_contacted_last_ties_by_id(client, db):
    # 5 and 2 share a moment (ties by id in the sort's direction), 3 and 6 were never contacted, 4 is the oldest
    moments = {1: _at(20), 2: _at(10), 3: None, 4: _at(1), 5: _at(10), 6: None, 7: _at(25)}
    db.add_all([Company(id=i, title=f"Компания {8 - i}", last_communication_at=at) for i, at in moments.items()])
    await db.commit()
    await make_user(db, "admin@example.com", ["admin"])
    await login(client, "admin@example.com")

    newest = _order((await client.get("/companies", params={"sort": "-last"})).text)
    assert newest == [7, 1, 5, 2, 4, 6, 3]
    oldest = _order((await client.get("/companies", params={"sort": "last"})).text)
    assert oldest == [4, 2, 5, 1, 7, 3, 6]
    body = {"email": "admin@example.com", "password": DEFAULT_PASSWORD}
    token = (await client.post("/api/v1/auth/token", json=body)).json()["access_token"]
    api = await client.get("/api/v1/companies", params={"sort": "-last"}, headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200, api.text
    assert [r["id"] for r in api.json()["rows"]] == newest
    assert api.json()["rows"][0]["last_communication_at"].startswith("2026-11-25")

    # each direction is read from its index in that order (no sort of all companies): pinned with the planner
    # told to avoid sorts and sequential scans, so an index that does not give this order would show as a Sort
    stmt = "SELECT id FROM companies WHERE active ORDER BY last_communication_at {} NULLS LAST, id {} LIMIT 50"
    await db.execute(text("SET LOCAL enable_seqscan = off"))
    await db.execute(text("SET LOCAL enable_sort = off"))
    for direction, index in (("DESC", "ix_companies_last_comm_desc"), ("ASC", "ix_companies_last_comm_asc")):
        sql = stmt.format(direction, direction)
        plan = "\n".join(r[0] for r in await db.execute(text("EXPLAIN " + sql)))
        assert index in plan and "Sort" not in plan, plan
    await db.rollback()


async def test_the_copy_follows_a_sync_that_stores_activities_and_calls_and_a_rebuild(db):
    db.add_all([Company(id=100, title="Ромашка"), Company(id=101, title="Лютик"), Company(id=102, title="Тихая")])
    await db.commit()

    activity = {
        "ID": "1",
        "OWNER_TYPE_ID": "4",
        "OWNER_ID": "100",
        "TYPE_ID": "1",  # a meeting
        "COMPLETED": "Y",
        "RESPONSIBLE_ID": "7",
        "START_TIME": "2026-11-10T09:00:00+00:00",
    }
    touched = await store.save_activities(db, [activity])
    call = {
        "ID": "5",
        "PORTAL_USER_ID": "7",
        "CALL_TYPE": "1",
        "CALL_DURATION": "60",
        "CALL_START_DATE": "2026-11-12T09:00:00+00:00",
        "CRM_ENTITY_TYPE": "COMPANY",
        "CRM_ENTITY_ID": "101",
    }
    touched.merge(await store.save_calls(db, [call]))
    await figures.recompute(db, touched)
    await db.commit()
    copies = await _copies(db)
    assert copies[100] == (_at(10), _at(10))
    assert copies[101] == (_at(12), _at(12))
    assert copies[102] == (None, None)

    # a newer call of the first company, then the meeting deleted in Bitrix24: the copy moves each time
    touched = await store.save_calls(
        db, [{**call, "ID": "6", "CRM_ENTITY_ID": "100", "CALL_START_DATE": "2026-11-15T09:00:00+00:00"}]
    )
    await figures.recompute(db, touched)
    await db.commit()
    assert (await _copies(db))[100] == (datetime(2026, 11, 15, 9, tzinfo=UTC),) * 2
    touched = await store.deactivate(db, "call", [6])
    touched.merge(await store.deactivate(db, "activity", [1]))
    await figures.recompute(db, touched)
    await db.commit()
    assert (await _copies(db))[100] == (None, None)  # nothing left that counts

    # a rebuild with other rules (calls of at least 2 minutes) clears the 60-second call's company, and a copy
    # that drifted (written by hand) is brought back level
    await db.execute(text("UPDATE companies SET last_communication_at = '2020-01-01' WHERE id = 102"))
    await figures.rebuild(db, figures.Counting(min_seconds=120))
    await db.commit()
    copies = await _copies(db)
    assert copies == {100: (None, None), 101: (None, None), 102: (None, None)}
    await figures.rebuild(db)
    await db.commit()
    assert (await _copies(db))[101] == (_at(12), _at(12))


async def test_the_companys_own_sync_does_not_touch_the_copy(db):
    db.add(Company(id=100, title="Ромашка", last_communication_at=_at(10)))
    await db.commit()
    await store.save_companies(db, [{"ID": "100", "TITLE": "Ромашка (new name)", "ASSIGNED_BY_ID": "7"}], {})
    await db.commit()
    db.expire_all()
    company = await db.get(Company, 100)
    assert company is not None and company.title == "Ромашка (new name)" and company.last_communication_at == _at(10)
