"""The exact rules of the sales analysis (spec/goals.md, "Exact rules"), pinned with hand-computed numbers:
revenue per calendar month (month ends, credit notes), I1–I4 (null on a zero base, half-up to 0.1), ABC (the
revenue *before* a client, ties by code), non-retained and new clients; cached figures follow new sales."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select, text

from crm.features.goals import analysis
from crm.features.goals.models import AnalysisSettings
from crm.features.goals.scope import Scope
from crm.features.sales.models import ErpClient, SalesLine

MARCH = date(2026, 3, 1)
EVERYTHING = Scope(uuid.uuid4(), everything=True)


async def put_sales(db: Any, lines: list[tuple[str, str, str, str]], responsible: dict[str, Any] | None = None) -> None:
    """Lines (client code, day, amount, family); clients created by code; the monthly aggregate recomputed the way
    the import maintains it."""
    responsible = responsible or {}
    codes = sorted({c for c, *_ in lines} | set(responsible))
    known = {c.code: c for c in (await db.scalars(select(ErpClient))).all()}
    for code in codes:
        if code not in known:
            known[code] = ErpClient(code=code, name=f"Client {code}", name_key=f"client {code.lower()}")
            db.add(known[code])
        if code in responsible:
            known[code].responsible_id = responsible[code]
    await db.flush()
    for n, (code, day, amount, family) in enumerate(lines):
        db.add(
            SalesLine(
                day=date.fromisoformat(day),
                invoice=f"INV-{uuid.uuid4().hex[:10]}-{n}",
                product="p",
                line_no=1,
                client_id=known[code].id,
                family=family,
                quantity=1,
                amount=Decimal(amount),
            )
        )
    await db.flush()
    await db.execute(text("DELETE FROM client_month_sales"))
    await db.execute(
        text(
            "INSERT INTO client_month_sales (client_id, month, family, revenue, lines) "
            "SELECT client_id, date_trunc('month', day)::date, family, sum(amount), count(*) FROM sales_lines "
            "GROUP BY 1, 2, 3"
        )
    )
    await db.commit()


LINES = [
    # A01: March 150 (the 1st and the 31st), Feb 200, Jan 100, Dec none; March 2025 120; April lines excluded
    ("A01", "2026-03-01", "100.00", "Paint"),
    ("A01", "2026-03-31", "50.00", "Paint"),
    ("A01", "2026-04-01", "999.00", "Paint"),
    ("A01", "2026-02-28", "200.00", "Paint"),
    ("A01", "2026-01-15", "100.00", "Tools"),
    ("A01", "2025-03-31", "120.00", "Paint"),
    ("A01", "2025-04-01", "500.00", "Paint"),
    # B02: first purchase ever in March: 300 and a credit note of -100
    ("B02", "2026-03-10", "300.00", "Paint"),
    ("B02", "2026-03-12", "-100.00", "Paint"),
    # C03: March 200 (a tie with B02), Feb 300
    ("C03", "2026-03-05", "200.00", "Tools"),
    ("C03", "2026-02-05", "300.00", "Tools"),
    # D04: bought in February, not in March: non-retained
    ("D04", "2026-02-01", "100.00", "Paint"),
    # E05, F06: small buyers
    ("E05", "2026-03-20", "20.00", "Paint"),
    ("F06", "2026-03-21", "10.00", "Paint"),
    # H07: last bought in November (4 months before March): not non-retained
    ("H07", "2025-11-30", "40.00", "Paint"),
]


async def _rows(db: Any, variable: str = "revenue", family: str = "", **kw: Any) -> dict[str, Any]:
    query = analysis.Query(variable=variable, month=MARCH, family=family, **kw)
    page = await analysis.table_page(db, EVERYTHING, query, 1, 100)
    await db.commit()
    assert page.total == len(page.rows)
    return {r.code: r for r in page.rows}


async def test_revenue_of_a_month_counts_lines_of_its_first_and_last_day_and_credit_notes(client, db) -> None:
    await put_sales(db, LINES)
    rows = await _rows(db)
    assert rows["A01"].revenue == Decimal("150.00")
    assert rows["B02"].revenue == Decimal("200.00")
    assert rows["C03"].revenue == Decimal("200.00")
    assert rows["D04"].revenue == Decimal("0")


async def test_indices_are_hand_computed_percentages_and_null_on_a_zero_base(client, db) -> None:
    await put_sales(db, LINES)
    rows = await _rows(db)
    a = rows["A01"]
    # I1 = (150/200 − 1)·100; I2 = 150 / avg(200, 100, 0) ; I3 = 150/120; I4 = (100+200+150) / 120 (April excluded)
    assert (a.i1, a.i2, a.i3, a.i4) == (Decimal("-25.0"), Decimal("50.0"), Decimal("25.0"), Decimal("275.0"))
    b = rows["B02"]
    assert (b.i1, b.i2, b.i3, b.i4) == (None, None, None, None)
    c = rows["C03"]
    # 200/300 − 1 = −33.33… → −33.3; avg(300, 0, 0) = 100 → +100.0
    assert (c.i1, c.i2, c.i3) == (Decimal("-33.3"), Decimal("100.0"), None)
    assert rows["D04"].i1 == Decimal("-100.0")


async def test_indices_round_half_up_to_a_tenth(client, db) -> None:
    await put_sales(db, [("G01", "2026-02-02", "200.00", ""), ("G01", "2026-03-02", "200.10", "")])
    rows = await _rows(db)
    assert rows["G01"].i1 == Decimal("0.1")  # 0.05 exactly: half-up, not to even


async def test_abc_uses_the_revenue_before_each_client_and_leaves_clients_without_revenue_unclassed(client, db) -> None:
    await put_sales(db, LINES)
    rows = await _rows(db)
    # S = 580; before: B02 0, C03 200 (34.5 %), A01 400 (69.0 %), E05 550 (94.8 %), F06 570 (98.3 %)
    assert {code: r.abc for code, r in rows.items()} == {
        "A01": "A",
        "B02": "A",
        "C03": "A",
        "E05": "B",
        "F06": "C",
        "D04": None,
        "H07": None,
    }


async def test_abc_breaks_revenue_ties_by_client_code(client, db) -> None:
    await put_sales(db, LINES)
    settings = await db.get(AnalysisSettings, 1) or AnalysisSettings(id=1)
    await _rows(db)  # creates the settings row with its defaults
    settings = await db.get(AnalysisSettings, 1, populate_existing=True)
    settings.abc_a = Decimal(30)
    await db.commit()
    rows = await _rows(db)
    assert rows["B02"].abc == "A"  # before it: 0
    assert rows["C03"].abc == "B"  # same revenue, later code: before it 200 of 580 = 34.5 % ≥ 30 %


async def test_non_retained_bought_in_the_three_months_before_and_not_in_the_month(client, db) -> None:
    await put_sales(db, LINES)
    rows = await _rows(db, "non_retained_clients")
    assert set(rows) == {"D04"}


async def test_new_clients_made_their_first_purchase_ever_in_the_month(client, db) -> None:
    await put_sales(db, LINES)
    assert set(await _rows(db, "new_clients")) == {"B02", "E05", "F06"}
    assert set(await _rows(db, "client_count")) == {"A01", "B02", "C03", "E05", "F06"}


async def test_a_family_filter_counts_only_that_familys_lines(client, db) -> None:
    await put_sales(db, LINES)
    rows = await _rows(db, family="Tools")
    assert rows["C03"].revenue == Decimal("200.00")
    assert rows["A01"].revenue == Decimal("0")  # Tools only in January
    assert rows["A01"].i4 is None  # no Tools a year before


async def test_cached_figures_follow_new_sales(client, db) -> None:
    await put_sales(db, LINES)
    assert (await _rows(db))["A01"].revenue == Decimal("150.00")
    await put_sales(db, [("A01", "2026-03-15", "50.00", "Paint")])
    assert (await _rows(db))["A01"].revenue == Decimal("200.00")


async def test_summary_counts_revenue_buyers_new_and_non_retained_per_month(client, db) -> None:
    await put_sales(db, LINES)
    months, total = await analysis.summary(db, EVERYTHING, "revenue", 2026, "")
    assert total.actual == Decimal("2279.00") and total.target is None
    assert months[2].actual == Decimal("580.00") and months[1].actual == Decimal("600.00")
    assert months[3].actual == Decimal("999.00")
    buyers, _ = await analysis.summary(db, EVERYTHING, "client_count", 2026, "")
    assert buyers[2].actual == 5
    new, _ = await analysis.summary(db, EVERYTHING, "new_clients", 2026, "")
    assert new[2].actual == 3 and new[0].actual == 0  # A01 first bought in March 2025
    lost, _ = await analysis.summary(db, EVERYTHING, "non_retained_clients", 2026, "")
    assert lost[2].actual == 1  # D04 (H07 bought 4 months before)
    assert lost[0].actual == 1 and lost[1].actual == 1  # H07 (November) in the windows of January and February
    assert lost[3].actual == 5  # April: all March buyers but A01 (bought in April) and D04 (February)
