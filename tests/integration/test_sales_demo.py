"""Demo ERP sales: about 60 clients of the two demo managers over 4 families and 26 months up to today, some
lost and some new, loaded through the real import; a second load adds nothing."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from crm.features.sales import demo
from crm.features.sales.models import ClientMonthSales, ErpClient, SalesLine
from tests.conftest import make_user


async def test_the_demo_sales_are_deterministic_idempotent_and_show_lost_and_new_clients(client, db):
    maria = await make_user(db, "manager@example.com", ["manager"], name="Мария Алексеева")
    ivan = await make_user(db, "manager2@example.com", ["manager"], name="Иван Петров")
    first = await demo.load(db)
    await db.commit()
    lines = await db.scalar(select(func.count()).select_from(SalesLine))
    assert lines > 3000 and "demo lines" in first[0]
    assert await demo.load(db) == ["ERP sales: the demo lines are already there."]
    assert await db.scalar(select(func.count()).select_from(SalesLine)) == lines
    clients = (await db.scalars(select(ErpClient))).all()
    assert 55 <= len(clients) <= 60
    assert {c.responsible_id for c in clients} == {maria.id, ivan.id}
    assert any(c.is_new for c in clients) and not all(c.is_new for c in clients)
    families = set((await db.scalars(select(SalesLine.family).distinct())).all())
    assert families == set(demo.FAMILIES)
    today = date.today()
    months = await db.scalar(select(func.count(func.distinct(ClientMonthSales.month))))
    assert months == 26
    this_month = today.replace(day=1)
    recent_buyers = set(
        (await db.scalars(select(ClientMonthSales.client_id).where(ClientMonthSales.month == this_month))).all()
    )
    lost = [c for c in clients if c.id not in recent_buyers and not c.is_new]
    assert lost  # clients that stopped buying: the analysis has non-retained clients to show
    assert demo.demo_rows(today, ("a", "b")) == demo.demo_rows(today, ("a", "b"))
