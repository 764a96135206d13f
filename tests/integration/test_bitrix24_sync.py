"""Sync against the emulator: a full import, then a stream of changes and deletions with faults injected, after
which the local copy equals the emulator's data; offline events at-least-once; period re-sync; figures."""

from __future__ import annotations

import random
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, text

from crm.features.clients import figures, jobs, store_directory
from crm.features.clients.connection import encrypt, settings_row
from crm.features.clients.models import Activity, Call, Company, Contact, CrmLead, Deal, Stage
from crm.features.org.models import Department, Employee
from crm.integrations.bitrix24 import Bitrix24Client, LeakyBucket, OAuthAuth, OAuthTokens, WebhookAuth
from crm.integrations.bitrix24.values import as_date, as_datetime, as_decimal
from tests.emulators.bitrix24 import Portal, dataset, running

pytestmark = pytest.mark.timeout(600)


@pytest.fixture
def sessions(db) -> Iterator[Any]:
    from crm.lib.db import alchemy_config

    config = alchemy_config()
    yield config.get_session


@pytest.fixture
def portal() -> Portal:
    return Portal(dataset(3, companies=400), rate=1000.0, bucket=1000.0)


@pytest.fixture
def emulator(portal: Portal) -> Iterator[Any]:
    with running(portal) as server:
        yield server


async def connect(sessions: Any, server: Any, portal: Portal, mode: str = "webhook") -> Bitrix24Client:
    async with sessions() as session:
        row = await settings_row(session)
        row.mode = mode
        if mode == "webhook":
            row.webhook_url_enc = encrypt(server.webhook_url)
        else:
            tokens = portal.issue_tokens()
            row.client_id, row.client_secret_enc = portal.client_id, encrypt(portal.client_secret)
            row.access_token_enc, row.refresh_token_enc = (
                encrypt(tokens["access_token"]),
                encrypt(tokens["refresh_token"]),
            )
            row.client_endpoint, row.oauth_url = server.client_endpoint, server.oauth_url
        await session.commit()
    if mode == "webhook":
        auth: Any = WebhookAuth(server.webhook_url)
    else:
        auth = OAuthAuth(
            portal.client_id,
            portal.client_secret,
            OAuthTokens(tokens["access_token"], tokens["refresh_token"], server.client_endpoint),
            oauth_url=server.oauth_url,
        )
    return Bitrix24Client(auth, bucket=LeakyBucket(1000, 1000), backoff=0.005, operating_wait=0.05)


async def run(
    sessions: Any, kind: str, client: Bitrix24Client, params: dict[str, Any] | None = None, hook: Any = None
) -> Any:
    async with sessions() as session:
        r = await jobs.create_run(session, kind, params)
        await session.commit()
    return await jobs.execute(sessions, r.id, client=client, hook=hook)


async def assert_local_equals_portal(sessions: Any, portal: Portal) -> None:
    async with sessions() as session:
        companies = {c.id: c for c in (await session.scalars(select(Company))).all()}
        deals = {d.id: d for d in (await session.scalars(select(Deal))).all()}
        acts = {a.id: a for a in (await session.scalars(select(Activity))).all()}
        calls = {c.id: c for c in (await session.scalars(select(Call))).all()}
    remote_companies = portal.tables["companies"].rows
    assert {i for i, c in companies.items() if c.active} == set(remote_companies)
    # deleted there → kept here, inactive (records created and deleted between two syncs never arrive)
    assert portal.deleted["company"] & set(companies) <= {i for i, c in companies.items() if not c.active}
    inn = {
        int(r["ENTITY_ID"]): r["RQ_INN"]
        for r in sorted(portal.tables["requisites"].rows.values(), key=lambda r: -int(r["ID"]))
    }
    region = {k: r["PROVINCE"] for k, r in portal.tables["addresses"].rows.items()}
    for cid, raw in remote_companies.items():
        local = companies[cid]
        assert (local.title, local.responsible_id, local.industry, local.inn, local.region) == (
            raw["TITLE"],
            int(raw["ASSIGNED_BY_ID"]),
            raw["INDUSTRY"],
            inn.get(cid),
            region.get(cid),
        ), cid
    assert {i for i, d in deals.items() if d.active} == set(portal.tables["deals"].rows)
    for did, raw in portal.tables["deals"].rows.items():
        local = deals[did]
        assert (local.stage_id, local.amount, local.company_id, local.responsible_id, local.close_date) == (
            raw["STAGE_ID"],
            as_decimal(raw["OPPORTUNITY"]),
            int(raw["COMPANY_ID"]) if raw["COMPANY_ID"] else None,
            int(raw["ASSIGNED_BY_ID"]),
            as_date(raw["CLOSEDATE"]),
        ), did
    assert {i for i, a in acts.items() if a.active} == set(portal.tables["activities"].rows)
    for entity, local_rows in (("deal", deals), ("activity", acts)):
        gone = portal.deleted[entity] & set(local_rows)
        assert all(not local_rows[i].active for i in gone), entity  # inactive, still there for history
    for aid, raw in portal.tables["activities"].rows.items():
        local = acts[aid]
        assert (local.completed, local.responsible_id, local.start_at, local.subject) == (
            raw["COMPLETED"] == "Y",
            int(raw["RESPONSIBLE_ID"]),
            as_datetime(raw["START_TIME"]),
            raw["SUBJECT"],
        ), aid
    assert {i for i, c in calls.items() if c.active} == set(portal.tables["calls"].rows)
    await assert_contacts_and_leads_equal(sessions, portal, acts)


def _company_of_owner(portal: Portal, owner_type: str, owner_id: str) -> tuple[bool, int | None]:
    """(known, company) of an activity's owner on the portal: the company itself, or its deal's, contact's (the
    primary) or lead's; unknown when the owner is gone (the local copy keeps what it last knew)."""
    if owner_type == "4":
        return True, int(owner_id)
    table = {"2": "deals", "3": "contacts", "1": "leads"}.get(owner_type)
    row = portal.tables[table].rows.get(int(owner_id)) if table else None
    if row is None:
        return False, None
    return True, int(row["COMPANY_ID"]) if row.get("COMPANY_ID") else None


async def assert_contacts_and_leads_equal(sessions: Any, portal: Portal, acts: dict[int, Activity]) -> None:
    async with sessions() as session:
        contacts = {c.id: c for c in (await session.scalars(select(Contact))).all()}
        leads = {x.id: x for x in (await session.scalars(select(CrmLead))).all()}
    assert {i for i, c in contacts.items() if c.active} == set(portal.tables["contacts"].rows)
    for cid, raw in portal.tables["contacts"].rows.items():
        local = contacts[cid]
        assert (local.last_name, local.company_id, local.company_ids, local.responsible_id) == (
            raw["LAST_NAME"],
            int(raw["COMPANY_ID"]) if raw.get("COMPANY_ID") else None,
            [int(c) for c in raw["COMPANY_IDS"]],
            int(raw["ASSIGNED_BY_ID"]),
        ), cid
    assert all(not contacts[i].active for i in portal.deleted["contact"] & set(contacts))
    assert {i for i, x in leads.items() if x.active} == set(portal.tables["leads"].rows)
    for lid, raw in portal.tables["leads"].rows.items():
        local = leads[lid]
        assert (local.status_id, local.semantic, local.company_id, local.contact_id) == (
            raw["STATUS_ID"],
            raw["STATUS_SEMANTIC_ID"],
            int(raw["COMPANY_ID"]) if raw.get("COMPANY_ID") else None,
            int(raw["CONTACT_ID"]) if raw.get("CONTACT_ID") else None,
        ), lid
    for aid, raw in portal.tables["activities"].rows.items():  # communications through deals, contacts, leads
        known, company = _company_of_owner(portal, raw["OWNER_TYPE_ID"], raw["OWNER_ID"])
        if known:
            assert acts[aid].company_id == company, (aid, raw["OWNER_TYPE_ID"], raw["OWNER_ID"])


async def figures_snapshot(sessions: Any) -> dict[str, list[Any]]:
    async with sessions() as session:
        out = {}
        for table, order in (
            ("company_figures", "company_id"),
            ("company_pipeline_figures", "company_id, pipeline_id"),
            ("manager_day_figures", "employee_id, day"),
            ("manager_day_companies", "employee_id, day, company_id"),
        ):
            out[table] = [
                tuple(r)
                for r in (await session.execute(text(f"SELECT * FROM {table} ORDER BY {order}"))).all()  # noqa: S608
            ]
        return out


def mutate(portal: Portal, rng: random.Random, n: int) -> None:
    """A stream of changes: new and edited companies, deals moved between stages and companies, activities
    completed, deletions of every kind, new calls."""
    users = [int(u["ID"]) for u in portal.tables["users"].rows.values()]
    for _ in range(n):
        roll = rng.random()
        companies = portal.tables["companies"].ids
        deals = portal.tables["deals"].ids
        acts = portal.tables["activities"].ids
        if roll < 0.15:
            portal.update(
                "company",
                rng.choice(companies),
                {"TITLE": f"Renamed {rng.randint(1, 10**6)}", "ASSIGNED_BY_ID": rng.choice(users)},
            )
        elif roll < 0.22:
            portal.add(
                "company",
                {
                    "TITLE": f"New {rng.randint(1, 10**6)}",
                    "ASSIGNED_BY_ID": rng.choice(users),
                    "INDUSTRY": "IT",
                    "REVENUE": "0",
                    "CURRENCY_ID": "RUB",
                },
            )
        elif roll < 0.27:
            portal.delete("company", rng.choice(companies))
        elif roll < 0.50:
            won = rng.random() < 0.5
            portal.update(
                "deal",
                rng.choice(deals),
                {
                    "STAGE_ID": "WON" if won else "EXECUTING",
                    "STAGE_SEMANTIC_ID": "S" if won else "P",
                    "CATEGORY_ID": "0",
                    "OPPORTUNITY": f"{rng.randint(1, 900)}000.00",
                    "COMPANY_ID": str(rng.choice(companies)),
                },
            )
        elif roll < 0.57:
            portal.delete("deal", rng.choice(deals))
        elif roll < 0.75:
            portal.update(
                "activity",
                rng.choice(acts),
                {"COMPLETED": "Y", "STATUS": "2", "RESPONSIBLE_ID": str(rng.choice(users))},
            )
        elif roll < 0.82:
            portal.delete("activity", rng.choice(acts))
        elif roll < 0.86:  # a contact moves to another company (its activities follow) or gains a second one
            contact = rng.choice(portal.tables["contacts"].ids)
            if rng.random() < 0.5:
                portal.update("contact", contact, {"COMPANY_ID": str(rng.choice(companies)), "POST": "moved"})
            else:
                links = portal.tables["contacts"].rows[contact]["COMPANY_IDS"]
                portal.update("contact", contact, {"COMPANY_IDS": [*links, str(rng.choice(companies))]})
        elif roll < 0.88:
            portal.delete("contact", rng.choice(portal.tables["contacts"].ids))
        elif roll < 0.91:  # a lead converted into a company, another one new
            lead = rng.choice(portal.tables["leads"].ids)
            portal.update(
                "lead", lead, {"STATUS_ID": "CONVERTED", "STATUS_SEMANTIC_ID": "S", "COMPANY_ID": rng.choice(companies)}
            )
            portal.add(
                "lead", {"TITLE": "New lead", "STATUS_ID": "NEW", "STATUS_SEMANTIC_ID": "P", "ASSIGNED_BY_ID": 1}
            )
        elif roll < 0.94:  # a meeting on a contact or a lead, not on the company
            start = portal.now_iso()
            on_lead = rng.random() < 0.3
            portal.add(
                "activity",
                {
                    "OWNER_TYPE_ID": "1" if on_lead else "3",
                    "OWNER_ID": str(rng.choice(portal.tables["leads" if on_lead else "contacts"].ids)),
                    "TYPE_ID": "1",
                    "PROVIDER_ID": "CRM_MEETING",
                    "PROVIDER_TYPE_ID": "MEETING",
                    "DIRECTION": "0",
                    "RESPONSIBLE_ID": str(rng.choice(users)),
                    "SUBJECT": "Meeting with a contact",
                    "START_TIME": start,
                    "END_TIME": start,
                    "COMPLETED": "Y",
                    "STATUS": "2",
                },
            )
        else:
            start = portal.now_iso()
            portal.add(
                "activity",
                {
                    "OWNER_TYPE_ID": "4",
                    "OWNER_ID": str(rng.choice(companies)),
                    "TYPE_ID": "1",
                    "PROVIDER_ID": "CRM_MEETING",
                    "PROVIDER_TYPE_ID": "MEETING",
                    "DIRECTION": "0",
                    "RESPONSIBLE_ID": str(rng.choice(users)),
                    "SUBJECT": "Meeting",
                    "START_TIME": start,
                    "END_TIME": start,
                    "COMPLETED": "Y",
                    "STATUS": "2",
                },
            )
            portal.tables["calls"].put(
                {
                    "ID": str(portal.tables["calls"].ids[-1] + 1),
                    "CALL_ID": "new",
                    "PORTAL_USER_ID": str(rng.choice(users)),
                    "CALL_TYPE": "1",
                    "CALL_DURATION": "60",
                    "CALL_START_DATE": start,
                    "CALL_FAILED_CODE": "200",
                    "CRM_ENTITY_TYPE": "COMPANY",
                    "CRM_ENTITY_ID": str(rng.choice(companies)),
                    "CRM_ACTIVITY_ID": None,
                }
            )


async def test_a_full_import_copies_the_portal_and_builds_the_figures(sessions, emulator, portal) -> None:
    client = await connect(sessions, emulator, portal)
    result = await run(sessions, "full", client)
    assert result.status == "done", result.error
    assert result.counts["companies"] == 400 and result.progress["companies"]["done"] == 400
    await assert_local_equals_portal(sessions, portal)
    async with sessions() as session:
        tree = (await session.scalars(select(Department))).all()
        assert len(tree) == len(portal.tables["departments"].rows)
        omsk = next(d for d in tree if d.bitrix_id == 109)  # UF_HEAD "0": no head of its own
        assert omsk.head_bitrix_id is None and omsk.parent_id is not None
        assert await session.scalar(select(Employee).where(Employee.id == 901)) is not None
        assert {s.semantics for s in (await session.scalars(select(Stage))).all()} == {"P", "S", "F"}
    before = await figures_snapshot(sessions)
    assert before["company_figures"] and before["company_pipeline_figures"] and before["manager_day_figures"]
    assert before["manager_day_companies"]


async def test_an_interrupted_full_import_resumes_where_it_stopped(sessions, emulator, portal) -> None:
    client = await connect(sessions, emulator, portal)
    portal.inject("500", count=100, method="batch")  # more than the retry budget: the run fails part-way
    client.max_retries = 1
    first = await run(sessions, "full", client)
    assert first.status == "failed" and "INTERNAL_SERVER_ERROR" in first.error
    portal.faults.clear()
    client.max_retries = 6
    second = await run(sessions, "full", client)
    assert second.status == "done", second.error
    await assert_local_equals_portal(sessions, portal)


async def test_changes_and_deletions_with_faults_end_with_an_equal_local_copy_by_webhook(
    sessions, emulator, portal
) -> None:
    client = await connect(sessions, emulator, portal)
    assert (await run(sessions, "full", client)).status == "done"
    rng = random.Random(5)
    portal.set_random_faults(0.15, ("503", "500", "502", "slow", "drop"))
    for _ in range(3):
        mutate(portal, rng, 60)
        outcome = await run(sessions, "incremental", client)
        assert outcome.status == "done", outcome.error
    outcome = await run(sessions, "reconcile", client)
    assert outcome.status == "done", outcome.error
    portal.set_random_faults(0)
    async with sessions() as session:
        version = await jobs.data_version(session)
    assert version >= 4  # the full import and every run that changed something
    assert (await run(sessions, "incremental", client)).status == "done"  # nothing changed since
    async with sessions() as session:
        assert await jobs.data_version(session) == version
    await assert_local_equals_portal(sessions, portal)
    incremental = await figures_snapshot(sessions)
    async with sessions() as session:
        await figures.rebuild(session)
        await session.commit()
    assert await figures_snapshot(sessions) == incremental  # rebuild == incremental


async def test_offline_events_give_an_equal_copy_and_survive_a_worker_dying_before_clear(
    sessions, emulator, portal
) -> None:
    client = await connect(sessions, emulator, portal, mode="app")
    assert (await run(sessions, "full", client)).status == "done"
    first = await run(sessions, "incremental", client)  # binds the offline handlers
    assert first.status == "done", first.error
    rng = random.Random(11)
    mutate(portal, rng, 120)
    queued = len(portal.events)
    assert queued > 0

    async def die() -> None:
        raise RuntimeError("worker killed between get and clear")

    with pytest.raises(RuntimeError):
        await run(sessions, "incremental", client, hook=die)
    assert len(portal.events) == queued  # nothing cleared, the batch is reserved
    portal.set_random_faults(0.1, ("503", "502", "500"))
    portal.expire_tokens()
    after = await run(sessions, "incremental", client)
    portal.set_random_faults(0)
    assert after.status == "done", after.error
    assert portal.events == [] and portal.refreshes == 1
    await assert_local_equals_portal(sessions, portal)
    incremental = await figures_snapshot(sessions)
    async with sessions() as session:
        await figures.rebuild(session)
        await session.commit()
    assert await figures_snapshot(sessions) == incremental


async def test_a_period_resync_replaces_the_local_copy_of_the_range(sessions, emulator, portal) -> None:
    client = await connect(sessions, emulator, portal)
    assert (await run(sessions, "full", client)).status == "done"
    victim = next(a for a in portal.tables["activities"].rows.values() if a["START_TIME"].startswith("2026-10"))
    portal.tables["activities"].remove(int(victim["ID"]))  # vanished without an event or a modify date
    outcome = await run(sessions, "period", client, {"since": "2026-10-01", "until": "2026-10-31"})
    assert outcome.status == "done", outcome.error
    async with sessions() as session:
        local = await session.get(Activity, int(victim["ID"]))
    assert local is not None and local.active is False
    assert outcome.counts["activities_deleted"] == 1


async def test_a_sync_without_a_connection_fails_with_a_message(sessions) -> None:
    async with sessions() as session:
        r = await jobs.create_run(session, "incremental")
        await session.commit()
    outcome = await jobs.execute(sessions, r.id)
    assert outcome.status == "failed" and "not connected" in outcome.error


async def test_the_figures_follow_the_acceptance_cases(sessions, db) -> None:
    from crm.features.clients import store

    async with sessions() as session:
        await store_directory.save_pipelines(session, [{"id": 0, "name": "General", "sort": 1, "isDefault": "Y"}], [])
        await store.save_companies(session, [{"ID": "1", "TITLE": "A"}], {})
        await store.save_deals(
            session,
            [
                {
                    "ID": "1",
                    "COMPANY_ID": "1",
                    "CATEGORY_ID": "0",
                    "STAGE_SEMANTIC_ID": "S",
                    "OPPORTUNITY": "100.00",
                },
                {
                    "ID": "2",
                    "COMPANY_ID": "1",
                    "CATEGORY_ID": "0",
                    "STAGE_SEMANTIC_ID": "P",
                    "OPPORTUNITY": "50.00",
                },
                {
                    "ID": "3",
                    "COMPANY_ID": "1",
                    "CATEGORY_ID": "0",
                    "STAGE_SEMANTIC_ID": "F",
                    "OPPORTUNITY": "30.00",
                },
            ],
            {},
        )
        day = "2026-03-02T10:00:00+03:00"
        calls = [
            {
                "ID": str(i),
                "PORTAL_USER_ID": "7",
                "CALL_TYPE": "1",
                "CALL_DURATION": str(d),
                "CALL_START_DATE": day,
                "CRM_ENTITY_TYPE": "COMPANY" if c else None,
                "CRM_ENTITY_ID": c,
            }
            for i, d, c in (
                (1, 25, "1"),
                (2, 40, "1"),
                (3, 30, "1"),
                (4, 60, "2"),
                (5, 19, "3"),
                (6, 30, None),
                (7, 30, None),
            )
        ]
        touched = await store.save_calls(session, calls)
        await figures.recompute(session, touched)
        await session.commit()
        pipe = (await session.execute(text("SELECT active_sum, won_sum FROM company_pipeline_figures"))).one()
        assert tuple(pipe) == (Decimal("50.00"), Decimal("100.00"))
        day_row = (await session.execute(text("SELECT calls, calls_total FROM manager_day_figures"))).one()
        assert tuple(day_row) == (4, 7)  # company 1 once, company 2 once, 19 s not, two without a company


async def test_a_generated_portal_of_thousands_of_companies_survives_changes_and_faults(sessions) -> None:
    """3,000 companies, 4,500 contacts, 1,500 leads, 12,000 deals, 22,500 activities (1,500 of them on contacts and
    leads) and 9,000 calls; offline events for a local app,
    a fault on one request in eight, then the local copy equals the portal and rebuild equals incremental."""
    portal = Portal(dataset(8, companies=3000), rate=1000.0, bucket=1000.0)
    with running(portal) as server:
        client = await connect(sessions, server, portal, mode="app")
        assert (await run(sessions, "full", client)).status == "done"
        assert (await run(sessions, "incremental", client)).status == "done"
        portal.set_random_faults(0.125, ("503", "500", "502", "slow", "drop", "429"))
        rng = random.Random(21)
        for _ in range(2):
            mutate(portal, rng, 400)
            outcome = await run(sessions, "incremental", client)
            assert outcome.status == "done", outcome.error
        portal.set_random_faults(0)
        await assert_local_equals_portal(sessions, portal)
        incremental = await figures_snapshot(sessions)
        async with sessions() as session:
            await figures.rebuild(session)
            await session.commit()
        assert await figures_snapshot(sessions) == incremental


async def test_the_worker_jobs_run_a_queued_run_and_the_cron_skips_while_another_sync_runs(
    sessions, emulator, portal
) -> None:
    from sqlalchemy import text as sql

    from crm.lib.db import alchemy_config
    from crm.workers import sync as worker

    ctx = {"db": alchemy_config()}
    assert await worker.bitrix24_incremental(ctx) == "not connected"
    await connect(sessions, emulator, portal)
    async with sessions() as session:
        queued = await jobs.create_run(session, "incremental")
        await session.commit()
    assert await worker.bitrix24_run(ctx, run_id=queued.id) == "done"
    async with sessions() as holder:  # another sync holds the lock
        await holder.execute(sql("SELECT pg_advisory_lock(:k)"), {"k": jobs.LOCK_KEY})
        assert await worker.bitrix24_incremental(ctx) == "skipped"
        await holder.execute(sql("SELECT pg_advisory_unlock(:k)"), {"k": jobs.LOCK_KEY})
        await holder.commit()
    async with sessions() as session:
        stale = await jobs.create_run(session, "full")
        stale.status, stale.started_at = "running", queued.created_at  # a worker died in the middle of it
        await session.commit()
    assert await worker.bitrix24_incremental(ctx) == "done"
    async with sessions() as session:
        from crm.features.clients.sync_models import SyncRun

        dead = await session.get(SyncRun, stale.id)
        assert dead.status == "failed" and "Interrupted" in dead.error
    await ctx["db"].get_engine().dispose()


async def test_a_poison_batch_of_offline_events_is_parked_and_the_queue_moves_on(sessions, emulator, portal) -> None:
    client = await connect(sessions, emulator, portal, mode="app")
    assert (await run(sessions, "full", client)).status == "done"
    portal.update("deal", portal.tables["deals"].ids[0], {"TITLE": "changed"})
    # the re-read of the touched deal is refused as a bad request (the run's first two batches: users, stages)
    portal.inject("400", count=1, method="batch", skip=2)
    outcome = await run(sessions, "incremental", client)
    assert outcome.status == "done", outcome.error
    assert outcome.counts["events_parked"] == 1
    assert [e["ERROR"] for e in portal.events] == [1]  # kept by Bitrix24 for inspection (get with error=1)


async def test_a_long_call_recorded_after_the_last_poll_is_not_missed(sessions, emulator, portal) -> None:
    client = await connect(sessions, emulator, portal)
    assert (await run(sessions, "full", client)).status == "done"
    new_id = portal.tables["calls"].ids[-1] + 1
    portal.tables["calls"].put(
        {  # started two hours ago, written to the statistics only now, when it ended
            "ID": str(new_id),
            "CALL_ID": "long",
            "PORTAL_USER_ID": portal.tables["users"].ids[0],
            "CALL_TYPE": "1",
            "CALL_DURATION": "7200",
            "CALL_START_DATE": "2020-01-01T10:00:00+03:00",
            "CALL_FAILED_CODE": "200",
            "CRM_ENTITY_TYPE": None,
            "CRM_ENTITY_ID": None,
            "CRM_ACTIVITY_ID": None,
        }
    )
    assert (await run(sessions, "incremental", client)).status == "done"
    async with sessions() as session:
        assert (await session.get(Call, new_id)) is not None


async def test_users_are_linked_to_employees_with_the_same_email(sessions, emulator, portal, db) -> None:
    from tests.conftest import make_user

    employee = next(u for u in portal.tables["users"].rows.values() if u["ACTIVE"])
    user = await make_user(db, employee["EMAIL"].upper(), ["manager"])
    client = await connect(sessions, emulator, portal)
    outcome = await run(sessions, "incremental", client)
    assert outcome.status == "done" and outcome.counts["users_linked"] == 1
    await db.refresh(user)
    assert user.employee_bitrix_id == int(employee["ID"])


async def test_the_sync_copies_the_portals_reference_lists_and_follows_their_changes(
    sessions, emulator, portal
) -> None:
    from crm.features.clients import references
    from crm.features.clients.models import ReferenceValue
    from crm.lib.i18n import set_locale

    client = await connect(sessions, emulator, portal)
    assert (await run(sessions, "incremental", client)).status == "done"
    async with sessions() as session:
        labels = await references.load(session)
        assert labels.industry("ENERGY") == "Энергетика" and labels.industry("HEALTHCARE") == "Здравоохранение"
        assert labels.employees("EMPLOYEES_3") == "250-500" and labels.company_type("CUSTOMER") == "Клиент"
        used = set((await session.scalars(select(Company.industry).distinct())).all())
        assert used <= set(labels.names["INDUSTRY"])  # every industry companies carry has the portal's name
    # the portal renames one item and removes another
    for s in portal.statuses:
        if (s["ENTITY_ID"], s["STATUS_ID"]) == ("INDUSTRY", "ENERGY"):
            s["NAME"] = "Энергетика и ЖКХ"
    portal.statuses = [s for s in portal.statuses if (s["ENTITY_ID"], s["STATUS_ID"]) != ("INDUSTRY", "TELECOM")]
    assert (await run(sessions, "incremental", client)).status == "done"
    token = set_locale("en")
    try:
        async with sessions() as session:
            labels = await references.load(session)
            gone = await session.get(ReferenceValue, ("INDUSTRY", "TELECOM"))
            assert gone is not None and gone.active is False
        assert labels.industry("ENERGY") == "Энергетика и ЖКХ"
        assert labels.industry("TELECOM") == "Telecommunications"  # Bitrix24's standard name, translated
        assert labels.industry("SPACE") == "SPACE"  # neither the portal's nor a standard code
    finally:
        from crm.lib.i18n import _current

        _current.reset(token)
