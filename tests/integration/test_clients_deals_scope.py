"""Which deals a manager sees through the API (clients.deals.visible_deals): their own deals; asked for a company
they look after, every deal of it, colleagues' too; asked for someone else's company, still only their own."""

from __future__ import annotations

from sqlalchemy import select

from crm.features.accounts.models import User
from crm.features.clients.models import Company, Deal
from tests.integration.test_clients_screens import bearer, loaded


async def test_a_manager_sees_every_deal_of_their_companies_and_only_their_own_elsewhere(client, db) -> None:
    await loaded(db)
    user = await db.scalar(select(User).where(User.email == "manager@example.com"))
    me = user.employee_bitrix_id
    colleagues_deal = await db.scalar(
        select(Deal)
        .join(Company, Company.id == Deal.company_id)
        .where(Company.responsible_id == me, Deal.responsible_id != me)
        .order_by(Deal.id)
    )
    assert colleagues_deal is not None, "the demo has a deal a colleague holds on a company of the manager's"
    auth = await bearer(client, "manager@example.com")

    company = await client.get(f"/api/v1/deals?company_id={colleagues_deal.company_id}&page_size=500", headers=auth)
    assert company.status_code == 200
    assert colleagues_deal.id in {d["id"] for d in company.json()["rows"]}

    everything = (await client.get("/api/v1/deals?page_size=500", headers=auth)).json()
    assert colleagues_deal.id not in {d["id"] for d in everything["rows"]}
    assert all(d["responsible_id"] == me for d in everything["rows"])

    elsewhere = await db.scalar(select(Company.id).where(Company.responsible_id != me).order_by(Company.id))
    others = (await client.get(f"/api/v1/deals?company_id={elsewhere}&page_size=500", headers=auth)).json()
    assert all(d["responsible_id"] == me for d in others["rows"])
