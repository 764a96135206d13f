"""The sales report read from the maintained figures (``sale_figures``, summed in PostgreSQL) gives exactly the figures
of the pure rules (``sales.report``) over the same deals one by one: on a random data set with unknown managers,
deals closed on the periods' first and last days (the midnight case), other pipelines, lost and deleted deals;
for months, ranges across months, a day and a quarter; for each deal field; after updates, deletes and upserts the
triggers followed; and a rebuild from the deals gives the same rows."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, text, update
from sqlalchemy.dialects.postgresql import insert

from crm.features.clients.models import Deal, Pipeline, ReferenceValue
from crm.features.org.models import Department, Employee
from crm.features.reports.sales import SaleRow, local_day, report
from crm.features.reports.sales_data import DEAL_TYPE, choices, sale_rows
from crm.features.reports.sales_figures import REBUILD, SaleFigure, pieces
from crm.features.reports.sales_routes import sales_out
from tests.conftest import make_user
from tests.integration.test_reports_sales import bearer

MOSCOW = ZoneInfo("Europe/Moscow")
EMPLOYEES = {1: ("Иван", "Первый", "top"), 2: ("Анна", "Вторая", "east"), 3: ("", "", "east"), 4: ("Олег", "", None)}
SOURCES = {"CALL": "Звонок", "WEB": "", "EMAIL": "Почта"}  # WEB: a listed source without a name
TYPES = {"SALE": "Продажа", "GOODS": ""}
PERIODS = [
    (date(2026, 11, 1), date(2026, 11, 30)),  # a month: the one before is Oct 2..31
    (date(2026, 10, 17), date(2026, 11, 20)),  # across months
    (date(2026, 11, 10), date(2026, 11, 10)),  # a day
    (date(2026, 10, 1), date(2026, 12, 31)),  # a quarter
    (date(2026, 9, 3), date(2026, 9, 29)),  # most of a month: the month minus its edges
]


async def arrange(db: Any, rng: random.Random, count: int = 700) -> dict[str, Any]:
    top = Department(name="Sales")
    db.add(top)
    await db.flush()
    east = Department(name="Sales East", parent_id=top.id)
    db.add(east)
    await db.flush()
    departments = {"top": top.id, "east": east.id, None: None}
    for eid, (name, last, dept) in EMPLOYEES.items():
        db.add(Employee(id=eid, name=name, last_name=last, department_id=departments[dept]))
    db.add_all([Pipeline(id=0, name="General"), Pipeline(id=2, name="Safety")])
    db.add_all([ReferenceValue(entity_id="SOURCE", status_id=k, name=v) for k, v in SOURCES.items()])
    db.add_all([ReferenceValue(entity_id="DEAL_TYPE", status_id=k, name=v) for k, v in TYPES.items()])
    for i in range(1, count + 1):
        db.add(Deal(id=i, closed=True, **random_deal(rng)))
    await db.commit()
    return {"east": east}


def random_deal(rng: random.Random) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if rng.random() < 0.7:
        fields["contract_type"] = rng.choice(["Договор", "Разовая", " ", "", "Абонемент"])
    if rng.random() < 0.5:
        fields["region"] = rng.choice(["Москва", "Казань", ""])
    # the periods' edges (a deal closed at 00:00:00 of its day) and the days around them come often
    edges = [date(2026, 11, 1), date(2026, 11, 30), date(2026, 10, 31), date(2026, 10, 2), date(2026, 10, 1)]
    closed_on = rng.choice(edges) if rng.random() < 0.25 else date(2026, 8, 1) + timedelta(days=rng.randrange(160))
    return {
        "responsible_id": rng.choice([1, 1, 2, 2, 3, 4, 99, None]),  # 99: an employee the copy does not know
        "amount": Decimal(rng.randrange(0, 5_000_000)) / 100,
        "utm_source": rng.choice(["", "", "google", "yandex", "  ", "\u00a0\u3000", " vk "]),
        "source_id": rng.choice(["", "CALL", "WEB", "EMAIL", "OTHER"]),
        "type_id": rng.choice(["", "SALE", "GOODS", "SERVICE"]),
        "fields": fields,
        "close_date": local_day(datetime(closed_on.year, closed_on.month, closed_on.day, 0, 0, 0), MOSCOW),
        "semantic": rng.choice(["S", "S", "S", "F", "P"]),
        "pipeline_id": rng.choice([0, 0, 2]),
        "active": rng.random() > 0.05,
    }


async def pure_rows(db: Any, type_field: str, pipeline_id: int | None = None, who: set[int] | None = None) -> list:
    """Each won deal as one ``SaleRow``, named in Python the way the report names them."""
    deals = (await db.scalars(select(Deal))).all()
    result = []
    for d in deals:
        if d.semantic != "S" or not d.active or d.close_date is None:
            continue
        if pipeline_id is not None and d.pipeline_id != pipeline_id:
            continue
        if who is not None and d.responsible_id not in who:
            continue
        known = d.responsible_id in EMPLOYEES
        name = " ".join(x for x in EMPLOYEES[d.responsible_id][1::-1] if x) if known else ""
        by_type = type_field == DEAL_TYPE
        kind = (TYPES.get(d.type_id) or d.type_id) if by_type else str(d.fields.get(type_field) or "")
        result.append(
            SaleRow(
                closed_on=d.close_date,
                amount=d.amount,
                manager=name or (f"#{d.responsible_id}" if known else ""),
                manager_id=d.responsible_id if known else None,
                source=d.utm_source,
                fallback_source=SOURCES.get(d.source_id) or d.source_id,
                type=kind,
            )
        )
    return result


async def assert_same(db: Any, user: Any = None, who: set[int] | None = None) -> None:
    for type_field in ("contract_type", DEAL_TYPE, "region"):
        for pipeline_id in (None, 2):
            everything = await pure_rows(db, type_field, pipeline_id, who)
            for day_from, day_to in PERIODS:
                for compare in (True, False):
                    rows = await sale_rows(db, user, day_from, day_to, pipeline_id, type_field, compare)
                    expected = report(everything, day_from, day_to, compare)
                    assert report(rows, day_from, day_to, compare) == expected, (type_field, pipeline_id, day_from)


async def test_the_figures_from_the_database_equal_the_pure_rules_deal_by_deal(client, db) -> None:
    rng = random.Random(20261202)
    await arrange(db, rng)
    await assert_same(db)
    figures = report(await sale_rows(db, None, *PERIODS[0]), *PERIODS[0])
    assert any(line.unknown for line in figures.by_manager) and any(x.name == "#3" for x in figures.by_manager)
    assert figures.by_day[0].count and figures.by_day[-1].count  # deals of the 1st and the 30th at 00:00
    assert "region" in (await choices(db)).type_fields


async def test_the_triggers_follow_updates_deletes_and_upserts_like_a_rebuild(client, db) -> None:
    rng = random.Random(7)
    await arrange(db, rng, count=400)
    for i in rng.sample(range(1, 401), 120):
        await db.execute(update(Deal).where(Deal.id == i).values(**random_deal(rng)))
    await db.execute(update(Deal).where(Deal.id % 7 == 0).values(amount=Deal.amount + 1))
    await db.execute(update(Deal).where(Deal.id % 11 == 0).values(title="renamed"))  # nothing the figures use
    await db.execute(delete(Deal).where(Deal.id % 13 == 0))
    upsert = insert(Deal).values([{"id": i, "title": "", "closed": True, **random_deal(rng)} for i in range(390, 420)])
    await db.execute(upsert.on_conflict_do_update(index_elements=["id"], set_={"amount": upsert.excluded.amount}))
    await db.commit()
    await assert_same(db)
    kept = sorted(tuple(r) for r in (await db.execute(select(SaleFigure.__table__))).all())
    assert not any(r[-1] == 0 for r in kept)  # emptied groups are gone
    for statement in REBUILD:
        await db.execute(text(statement))
    await db.commit()
    assert sorted(tuple(r) for r in (await db.execute(select(SaleFigure.__table__))).all()) == kept
    await db.execute(delete(Deal))
    await db.commit()
    assert (await db.scalar(select(SaleFigure.amount).limit(1))) is None


async def test_a_heads_and_a_managers_scope_is_applied_in_the_database(client, db) -> None:
    rng = random.Random(11)
    made = await arrange(db, rng, count=300)
    head = await make_user(db, "head@example.com", ["head"], department_id=made["east"].id, employee_bitrix_id=2)
    manager = await make_user(db, "m1@example.com", ["manager"], employee_bitrix_id=1)
    await assert_same(db, head, who={2, 3})
    await assert_same(db, manager, who={1})
    day_from, day_to = PERIODS[1]
    params = {"from": day_from.isoformat(), "to": day_to.isoformat()}
    body = await client.get("/api/v1/reports/sales", params=params, headers=await bearer(client, "head@example.com"))
    expected = report(await pure_rows(db, "contract_type", who={2, 3}), day_from, day_to, compare=False)
    assert body.json() == __import__("msgspec").to_builtins(sales_out(expected))


def test_a_period_is_whole_months_and_the_fewest_single_days() -> None:
    assert pieces(date(2026, 11, 1), date(2026, 11, 30)) == [(1, date(2026, 11, 1), 1)]
    assert pieces(date(2026, 10, 2), date(2026, 10, 31)) == [(1, date(2026, 10, 1), 1), (0, date(2026, 10, 1), -1)]
    assert pieces(date(2026, 11, 10), date(2026, 11, 11)) == [(0, date(2026, 11, 10), 1), (0, date(2026, 11, 11), 1)]
    year = pieces(date(2024, 12, 2), date(2025, 11, 30))
    assert len(year) == 13 and year[:2] == [(1, date(2024, 12, 1), 1), (0, date(2024, 12, 1), -1)]
    # every day of a few hundred random ranges is counted exactly once
    rng = random.Random(3)
    for _ in range(300):
        start = date(2024, 1, 1) + timedelta(days=rng.randrange(800))
        end = start + timedelta(days=rng.randrange(120))
        counted: dict[date, int] = {}
        for grain, at, sign in pieces(start, end):
            days = (
                [at]
                if grain == 0
                else [at + timedelta(days=i) for i in range(31) if (at + timedelta(days=i)).month == at.month]
            )
            for day in days:
                counted[day] = counted.get(day, 0) + sign
        assert {d for d, n in counted.items() if n} == {
            start + timedelta(days=i) for i in range((end - start).days + 1)
        }
        assert set(counted.values()) <= {0, 1}
