"""Derived figures of the desk — operators' loads and the statistics' daily counts — are kept in the same
transaction as the contacts, and a rebuild from the contacts gives the same numbers (or corrects drift)."""

from __future__ import annotations

from sqlalchemy import text

from tests.conftest import make_user
from tests.integration.test_leads_fixtures import bearer, engine, make_operator, make_source, post_contact, worker_ctx

__all__ = ["engine"]


async def test_the_rebuild_finds_nothing_to_correct_after_intake_closing_and_the_queue(client, db, engine):
    from crm.features.leads.unassigned import Reconciled, give_out_queue, reconcile
    from crm.workers.leads import give_out_lead_queue

    anna = await make_operator(db, "anna@example.com", max_load=2)
    boris = await make_operator(db, "boris@example.com", max_load=3)
    _source, key = await make_source(db, "Сайт", {anna: 1, boris: 2})
    contacts = [(await post_contact(client, key, phone=f"+7912400000{i}")).json() for i in range(8)]
    await make_user(db, "admin@example.com", ["admin"])
    headers = await bearer(client, "admin@example.com")
    for contact in contacts[:3]:
        if contact["operator_id"]:
            await client.post(f"/api/v1/contacts/{contact['id']}/close", headers=headers)
    await give_out_queue(engine)
    assert await reconcile(engine) == Reconciled(loads={}, daily_rows=0)
    assert (await give_out_lead_queue(worker_ctx()))["loads_corrected"] == 0


async def test_a_drifted_load_or_daily_count_is_corrected_by_the_rebuild(client, db, engine):
    from crm.features.leads.unassigned import reconcile

    anna = await make_operator(db, "anna@example.com", max_load=5)
    _source, key = await make_source(db, "Сайт", {anna: 1})
    for i in range(3):
        await post_contact(client, key, phone=f"+7912500000{i}")
    await db.execute(text("UPDATE lead_operators SET open_count = 7"))
    await db.execute(text("DELETE FROM lead_daily_counts"))
    await db.commit()
    fixed = await reconcile(engine)
    assert fixed.loads == {anna: 3} and fixed.daily_rows == 1
    assert (await db.execute(text("SELECT open_count FROM lead_operators"))).scalar_one() == 3
    assert (await db.execute(text("SELECT sum(contacts) FROM lead_daily_counts"))).scalar_one() == 3
    again = await reconcile(engine)
    assert again.loads == {} and again.daily_rows == 0


async def test_a_contact_given_out_from_the_queue_counts_for_its_operator_on_the_day_it_came(client, db, engine):
    from crm.features.leads.unassigned import give_out_queue

    anna = await make_operator(db, "anna@example.com", max_load=1)
    source, key = await make_source(db, "Сайт", {anna: 1})
    first = (await post_contact(client, key, phone="+79126000001")).json()
    waiting = (await post_contact(client, key, phone="+79126000002")).json()
    assert waiting["operator_id"] is None
    await make_user(db, "admin@example.com", ["admin"])
    headers = await bearer(client, "admin@example.com")
    stats = (await client.get("/api/v1/leads/stats", headers=headers)).json()
    assert {(r["operator_id"], r["contacts"]) for r in stats["rows"]} == {(anna, 1), (None, 1)}
    await client.post(f"/api/v1/contacts/{first['id']}/close", headers=headers)
    await give_out_queue(engine)  # (or a live server's worker, if one runs in this test session)
    stats = (await client.get("/api/v1/leads/stats", headers=headers)).json()
    assert [(r["source_id"], r["operator_id"], r["contacts"], r["share"]) for r in stats["rows"]] == [
        (source, anna, 2, 1.0)
    ]


def test_crm_leads_reconcile_reports_what_was_out_of_step(database):
    from click.testing import CliRunner

    from crm.features.leads.cli import leads_group

    result = CliRunner().invoke(leads_group, ["reconcile", "--days", "2"])
    assert result.exit_code == 0, result.output
    assert "Daily counts corrected: 0." in result.output
