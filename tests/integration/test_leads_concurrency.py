"""Distribution under load: many clients at once never push an operator past max_load, never duplicate a lead,
and the weights hold over thousands of contacts."""

from __future__ import annotations

import asyncio
import random

from sqlalchemy import text

from tests.integration.test_leads_fixtures import engine, make_operator, make_source, open_loads, post_contact

__all__ = ["engine"]  # the fixture, imported for pytest


async def test_32_concurrent_clients_never_push_an_operator_above_max_load(client, db, engine):
    from crm.features.leads.unassigned import CLOSE_ANY, Reconciled, give_out_queue, reconcile

    operators = [await make_operator(db, f"op{i}@example.com", max_load=50) for i in range(5)]
    _source, key = await make_source(db, "Сайт", dict.fromkeys(operators, 10))
    numbers = iter(range(2000))
    peak: dict[int, int] = {}
    done = asyncio.Event()
    statuses: list[int] = []

    async def sender() -> None:
        for n in numbers:
            response = await post_contact(client, key, phone=f"+7913{n:07d}")
            statuses.append(response.status_code)

    async def closer() -> None:
        # operators working at the same time: close some open contacts, let the queue job give out the waiting
        rng = random.Random(7)
        while not done.is_set():
            async with engine.connect() as conn:
                ids = (
                    (
                        await conn.execute(
                            text(
                                "SELECT id FROM lead_contacts WHERE status = 'open' AND operator_id IS NOT NULL "
                                "ORDER BY random() LIMIT :n"
                            ),
                            {"n": rng.randint(1, 5)},
                        )
                    )
                    .scalars()
                    .all()
                )
            for contact_id in ids:
                async with engine.begin() as conn:
                    await conn.execute(CLOSE_ANY, {"id": contact_id})
            await give_out_queue(engine, batch=20, limit=40)
            await asyncio.sleep(0.05)

    async def monitor() -> None:
        while not done.is_set():
            async with engine.connect() as conn:
                rows = await conn.execute(
                    text(
                        "SELECT operator_id, count(*) FROM lead_contacts WHERE status = 'open' "
                        "AND operator_id IS NOT NULL GROUP BY operator_id"
                    )
                )
                for op, n in rows.all():
                    peak[op] = max(peak.get(op, 0), n)
            await asyncio.sleep(0.01)

    watchers = [asyncio.create_task(closer()), asyncio.create_task(monitor())]
    await asyncio.gather(*(sender() for _ in range(32)))
    done.set()
    await asyncio.gather(*watchers)

    assert statuses.count(201) == 2000, {s: statuses.count(s) for s in set(statuses)}
    loads = await open_loads(db)
    assert max(loads.values()) <= 50 and max(peak.values()) <= 50, (loads, peak)
    assert (await db.execute(text("SELECT count(*) FROM leads"))).scalar_one() == 2000
    assert (await db.execute(text("SELECT count(*) FROM lead_contacts"))).scalar_one() == 2000
    # once the queue job has run, nobody with room is idle while contacts wait
    await give_out_queue(engine)
    loads = await open_loads(db)
    waiting = (
        await db.execute(text("SELECT count(*) FROM lead_contacts WHERE status = 'open' AND operator_id IS NULL"))
    ).scalar_one()
    assert waiting == 0 or all(loads.get(op, 0) == 50 for op in operators)
    # the loads and the statistics' daily counts kept in step with the contacts all along
    assert await reconcile(engine) == Reconciled(loads={}, daily_rows=0)


async def test_without_closing_exactly_max_load_is_given_and_the_rest_waits(client, db, engine):
    from crm.features.leads.intake import LeadIdentity, intake_contact

    operators = [await make_operator(db, f"op{i}@example.com", max_load=50) for i in range(5)]
    source, _key = await make_source(db, "Сайт", dict.fromkeys(operators, 10))
    numbers = iter(range(2000))

    async def sender() -> None:
        for n in numbers:
            await intake_contact(engine, LeadIdentity(phone=f"+7914{n:07d}"), source_id=source)

    await asyncio.gather(*(sender() for _ in range(32)))
    assert await open_loads(db) == dict.fromkeys(operators, 50)
    unassigned = (await db.execute(text("SELECT count(*) FROM lead_contacts WHERE operator_id IS NULL"))).scalar_one()
    assert unassigned == 2000 - 250


async def test_the_same_new_phone_from_many_clients_at_once_is_one_lead(client, db, engine):
    from crm.features.leads.identifiers import normalize_phone
    from crm.features.leads.intake import LeadIdentity, intake_contact

    anna = await make_operator(db, "anna@example.com", max_load=1000)
    source, _key = await make_source(db, "Сайт", {anna: 1})
    for round_ in range(5):
        barrier = asyncio.Barrier(32)
        phone = f"+7915000000{round_}"

        async def one(i: int, phone: str = phone, barrier: asyncio.Barrier = barrier) -> int:
            await barrier.wait()
            written = normalize_phone(f"8 ({phone[2:5]}) {phone[5:]}" if i % 2 else phone)
            result = await intake_contact(engine, LeadIdentity(phone=written), source_id=source)
            return result.lead_id

        lead_ids = await asyncio.gather(*(one(i) for i in range(32)))
        assert len(set(lead_ids)) == 1
    assert (await db.execute(text("SELECT count(*) FROM leads"))).scalar_one() == 5
    assert (await db.execute(text("SELECT count(*) FROM lead_contacts"))).scalar_one() == 160


async def test_overlapping_identifiers_from_many_clients_end_in_consistent_merged_leads(client, db, engine):
    from crm.features.leads.intake import LeadIdentity, intake_contact

    anna = await make_operator(db, "anna@example.com", max_load=10_000)
    source, _key = await make_source(db, "Сайт", {anna: 1})
    rng = random.Random(3)
    people = range(20)

    def identity() -> LeadIdentity:
        # each person's identifiers arrive in random subsets, sometimes tying two people together
        p = rng.choice(people)
        q = rng.choice(people) if rng.random() < 0.05 else p
        return LeadIdentity(
            external_id=f"ext{p}" if rng.random() < 0.5 else None,
            phone=f"+7916000{q:04d}" if rng.random() < 0.5 else None,
            email=f"p{p}@example.ru",
        )

    work = [identity() for _ in range(600)]
    queue = iter(work)

    async def sender() -> None:
        for item in queue:
            await intake_contact(engine, item, source_id=source)

    await asyncio.gather(*(sender() for _ in range(32)))
    assert (await db.execute(text("SELECT count(*) FROM lead_contacts"))).scalar_one() == 600
    orphans = await db.execute(
        text("SELECT count(*) FROM lead_contacts c LEFT JOIN leads l ON l.id = c.lead_id WHERE l.id IS NULL")
    )
    assert orphans.scalar_one() == 0
    leads = (await db.execute(text("SELECT count(*) FROM leads"))).scalar_one()
    merges = (await db.execute(text("SELECT count(*) FROM lead_merges"))).scalar_one()
    assert 1 <= leads <= 20 and merges >= 0


async def test_weights_10_and_30_share_10000_contacts_25_and_75_percent(client, db, engine):
    from crm.features.leads.intake import LeadIdentity, intake_contact

    light = await make_operator(db, "light@example.com", max_load=10_000)
    heavy = await make_operator(db, "heavy@example.com", max_load=10_000)
    source, _key = await make_source(db, "Сайт", {light: 10, heavy: 30})
    numbers = iter(range(10_000))

    async def sender() -> None:
        for n in numbers:
            await intake_contact(engine, LeadIdentity(external_id=f"x{n}"), source_id=source)

    await asyncio.gather(*(sender() for _ in range(8)))
    loads = await open_loads(db)
    assert loads[light] + loads[heavy] == 10_000
    assert abs(loads[light] / 10_000 - 0.25) <= 0.02, loads
    assert abs(loads[heavy] / 10_000 - 0.75) <= 0.02, loads
