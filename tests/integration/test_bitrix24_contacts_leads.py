"""Contacts and leads in the sync (issue 10): copied with their company links in full, incremental and reconcile
runs against the emulator, and a communication through a contact or a lead is the company's last communication."""

# ruff: noqa: F811 - the fixtures of test_bitrix24_sync are imported by name

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, text

from crm.features.clients import figures
from crm.features.clients.models import Activity, Contact, CrmLead
from crm.integrations.bitrix24.dataset_vocabulary import fmt
from tests.integration.test_bitrix24_sync import (  # noqa: F401 - fixtures
    assert_local_equals_portal,
    connect,
    emulator,
    figures_snapshot,
    portal,
    run,
    sessions,
)

pytestmark = pytest.mark.timeout(600)


async def last_communication(sessions: Any, company_id: int) -> datetime | None:
    async with sessions() as session:
        return await session.scalar(
            text("SELECT last_communication_at FROM company_figures WHERE company_id = :c"), {"c": company_id}
        )


async def assert_rebuild_equals_incremental(sessions: Any) -> None:
    incremental = await figures_snapshot(sessions)
    async with sessions() as session:
        await figures.rebuild(session)
        await session.commit()
    assert await figures_snapshot(sessions) == incremental


async def test_a_full_import_copies_contacts_and_leads_with_their_company_links(sessions, emulator, portal) -> None:
    client = await connect(sessions, emulator, portal)
    outcome = await run(sessions, "full", client)
    assert outcome.status == "done", outcome.error
    assert outcome.counts["contacts"] == len(portal.tables["contacts"].rows) == 600
    assert outcome.counts["leads"] == len(portal.tables["leads"].rows) == 200
    await assert_local_equals_portal(sessions, portal)  # contacts, leads, and the company of every activity
    twice = next(c for c in portal.tables["contacts"].rows.values() if len(c["COMPANY_IDS"]) == 2)
    converted = next(x for x in portal.tables["leads"].rows.values() if x["CONTACT_ID"])
    on_contact = next(
        a
        for a in portal.tables["activities"].rows.values()
        if a["OWNER_TYPE_ID"] == "3" and portal.tables["contacts"].rows[int(a["OWNER_ID"])]["COMPANY_ID"]
    )
    async with sessions() as session:
        contact = await session.get(Contact, int(twice["ID"]))
        assert contact.company_ids == [int(c) for c in twice["COMPANY_IDS"]]
        assert contact.company_id == int(twice["COMPANY_ID"]) and contact.phones and contact.emails
        lead = await session.get(CrmLead, int(converted["ID"]))
        assert (lead.company_id, lead.contact_id, lead.semantic) == (
            int(converted["COMPANY_ID"]),
            int(converted["CONTACT_ID"]),
            "S",
        )
        activity = await session.get(Activity, int(on_contact["ID"]))
        owner = portal.tables["contacts"].rows[int(on_contact["OWNER_ID"])]
        assert activity.company_id == int(owner["COMPANY_ID"])
    await assert_rebuild_equals_incremental(sessions)


@pytest.mark.parametrize("mode", ["webhook", "app"])
async def test_an_incremental_run_picks_up_a_changed_contact_and_a_new_lead(sessions, emulator, portal, mode) -> None:
    client = await connect(sessions, emulator, portal, mode=mode)
    assert (await run(sessions, "full", client)).status == "done"
    assert (await run(sessions, "incremental", client)).status == "done"  # binds the offline handlers (app)
    contact_id = next(k for k, c in portal.tables["contacts"].rows.items() if c["COMPANY_ID"])
    companies = portal.tables["companies"].ids
    portal.update("contact", contact_id, {"LAST_NAME": "Changed", "COMPANY_IDS": [companies[5], companies[6]]})
    lead_id = portal.add(
        "lead",
        {
            "TITLE": "From the site",
            "STATUS_ID": "CONVERTED",
            "STATUS_SEMANTIC_ID": "S",
            "COMPANY_ID": companies[7],
            "CONTACT_ID": contact_id,
            "ASSIGNED_BY_ID": portal.tables["users"].ids[0],
        },
    )
    outcome = await run(sessions, "incremental", client)
    assert outcome.status == "done", outcome.error
    assert outcome.counts["contacts"] >= 1 and outcome.counts["leads"] >= 1
    async with sessions() as session:
        contact = await session.get(Contact, contact_id)
        assert (contact.last_name, contact.company_id, contact.company_ids) == (
            "Changed",
            companies[5],
            [companies[5], companies[6]],
        )
        lead = await session.get(CrmLead, lead_id)
        assert lead is not None and (lead.company_id, lead.contact_id) == (companies[7], contact_id)
    await assert_local_equals_portal(sessions, portal)


async def test_a_contact_deleted_in_bitrix24_becomes_inactive_at_the_nightly_reconcile(
    sessions, emulator, portal
) -> None:
    client = await connect(sessions, emulator, portal)
    assert (await run(sessions, "full", client)).status == "done"
    contact_id, lead_id = portal.tables["contacts"].ids[3], portal.tables["leads"].ids[3]
    portal.delete("contact", contact_id)  # a webhook hears no event and a deleted record has no modify date
    portal.delete("lead", lead_id)
    assert (await run(sessions, "incremental", client)).status == "done"
    async with sessions() as session:
        assert (await session.get(Contact, contact_id)).active is True
    outcome = await run(sessions, "reconcile", client)
    assert outcome.status == "done", outcome.error
    assert outcome.counts["contacts_deleted"] == 1 and outcome.counts["leads_deleted"] == 1
    async with sessions() as session:
        assert (await session.get(Contact, contact_id)).active is False  # kept for history
        assert (await session.get(CrmLead, lead_id)).active is False


async def test_a_meeting_on_a_contact_or_a_lead_moves_the_companys_last_communication(
    sessions, emulator, portal
) -> None:
    client = await connect(sessions, emulator, portal)
    assert (await run(sessions, "full", client)).status == "done"
    contact_id, contact = next((k, c) for k, c in portal.tables["contacts"].rows.items() if c["COMPANY_ID"])
    company = int(contact["COMPANY_ID"])
    before = await last_communication(sessions, company)
    when = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # after everything the generated portal holds

    def meeting(owner_type: str, owner_id: int, start: datetime) -> int:
        return portal.add(
            "activity",
            {
                "OWNER_TYPE_ID": owner_type,
                "OWNER_ID": owner_id,
                "TYPE_ID": "1",
                "PROVIDER_ID": "CRM_MEETING",
                "PROVIDER_TYPE_ID": "MEETING",
                "RESPONSIBLE_ID": contact["ASSIGNED_BY_ID"],
                "SUBJECT": "Meeting at the client's",
                "START_TIME": fmt(start),
                "END_TIME": fmt(start + timedelta(hours=1)),
                "COMPLETED": "Y",
                "STATUS": "2",
            },
        )

    activity_id = meeting("3", contact_id, when)
    assert (await run(sessions, "incremental", client)).status == "done"
    assert await last_communication(sessions, company) == when != before
    async with sessions() as session:
        assert await figures.last_communication(session, company) == ("activity", activity_id)
    await assert_rebuild_equals_incremental(sessions)

    # the contact moves to another company: the meeting goes with it
    other = next(c for c in portal.tables["companies"].ids if c != company)
    portal.update("contact", contact_id, {"COMPANY_ID": other})
    assert (await run(sessions, "incremental", client)).status == "done"
    assert await last_communication(sessions, company) == before
    assert await last_communication(sessions, other) == when
    await assert_rebuild_equals_incremental(sessions)

    # a converted lead of the first company: a later meeting on it counts for that company
    lead_id = portal.add(
        "lead", {"TITLE": "Converted", "STATUS_ID": "CONVERTED", "STATUS_SEMANTIC_ID": "S", "COMPANY_ID": company}
    )
    meeting("1", lead_id, when + timedelta(days=1))
    assert (await run(sessions, "incremental", client)).status == "done"
    assert await last_communication(sessions, company) == when + timedelta(days=1)
    await assert_rebuild_equals_incremental(sessions)
    await assert_local_equals_portal(sessions, portal)


async def test_a_503_or_an_html_page_in_the_middle_of_the_contacts_is_survived(sessions, emulator, portal) -> None:
    client = await connect(sessions, emulator, portal)
    original = portal.batch
    fired: list[bool] = []

    def batch(params: dict[str, Any], auth: dict[str, Any]) -> Any:
        commands = params.get("cmd") or {}
        if not fired and any("crm.contact.list" in str(c) for c in commands.values()):
            fired.append(True)  # the next requests of the contacts stream fail: a 503 twice, a gateway's HTML twice
            portal.inject("503", count=2, method="batch")
            portal.inject("502", count=2, method="batch")
        return original(params, auth)

    portal.batch = batch  # type: ignore[method-assign]
    outcome = await run(sessions, "full", client)
    assert fired and outcome.status == "done", outcome.error
    assert not portal.faults  # every injected fault was met and retried
    await assert_local_equals_portal(sessions, portal)
    fired.clear()
    contact_id = portal.tables["contacts"].ids[10]
    portal.update(
        "contact", contact_id, {"LAST_NAME": "After a fault", "COMPANY_ID": portal.tables["companies"].ids[1]}
    )
    outcome = await run(sessions, "incremental", client)
    assert fired and outcome.status == "done", outcome.error
    async with sessions() as session:
        assert (await session.scalar(select(Contact.last_name).where(Contact.id == contact_id))) == "After a fault"
    await assert_local_equals_portal(sessions, portal)
