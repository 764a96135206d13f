"""The telegraph operators' requests of issue 9 for the registry editor: one client for many ticked rows or a row's
own picker, removing a row with an Undo, no empty draft from an empty tick list, a reopened registry signed again,
and the pages that carry it (a 50-row page of the "assign clients" mode stays under 40 KB)."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from crm.features.accounts.models import AuditEntry
from crm.features.tariffs.models import Registry, RegistryRecord
from tests.conftest import login, post_form
from tests.integration.test_tariffs_registry import _ids, _row_post, _rows, _setup
from tests.integration.test_tariffs_registry_page import _big_registry

HX = {"HX-Request": "true", "HX-Target": "records"}
DAY = ("op0441e14.q", "op0441e72.q", "op0441e75.q")


async def _registry(client, db):
    clients = await _setup(db)
    await login(client, "pok-2@example.com")
    ids = await _ids(db, *DAY)
    await post_form(client, "/registries/day", {"date": "2022-08-01", "telegram": list(ids.values())})
    rid = await db.scalar(select(Registry.id))
    return clients, rid, await _rows(db, rid)


async def _audit(db, rid, action):
    return (
        await db.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity_id == str(rid), AuditEntry.action == action)
            .order_by(AuditEntry.id)
        )
    ).all()


async def test_one_client_is_given_to_every_ticked_row_in_one_request_each_row_priced_and_audited(client, db):
    clients, rid, rows = await _registry(client, db)
    manual = rows["op0441e72.q"]
    await _row_post(client, rid, manual, "manual", manual="on")
    await _row_post(client, rid, (await _rows(db, rid))["op0441e72.q"], "", manual="on", total="100.00")
    ticked = [str(rows[name].id) for name in DAY]

    page = await client.get(f"/registries/{rid}", params={"mode": "clients"})
    assert page.status_code == 200
    assert page.text.count('name="record"') == 3 and 'id="bulk-assign"' in page.text
    assert page.text.count('list="registry-clients"') == 4  # the ticked rows' picker and every row's own
    # A row without a client says so in words inside its picker, not by its colour alone.
    assert 'placeholder="⚠ no client: type a code or a name"' in page.text
    assert "00101 занятость" in page.text

    done = await post_form(
        client, f"/registries/{rid}/assign?mode=clients", {"record": ticked, "client": "00001 таможня"}, headers=HX
    )
    assert done.status_code == 200 and done.text.lstrip().startswith('<div id="records"')
    assert "is the client of 3 ticked telegrams" in done.text and 'hx-swap-oob="beforeend"' in done.text
    after = await _rows(db, rid)
    assert {r.client_id for r in after.values()} == {clients["00001"]}
    assert (str(after["op0441e72.q"].total), after["op0441e72.q"].manual) == ("100.00", True)  # typed by hand: kept
    assert str(after["op0441e14.q"].total) == "561.00"  # priced automatically again: the same tariff
    entries = await _audit(db, rid, "assign")
    assert len(entries) == 3 and entries[0].changes == {"client": [None, "00001"]}
    assert {e.summary.rsplit(" ", 1)[-1] for e in entries} == set(DAY)

    # the same client again changes nothing and writes no audit entry; a single edit is audited the same way
    await post_form(client, f"/registries/{rid}/assign", {"record": ticked, "client": "00001"}, headers=HX)
    assert len(await _audit(db, rid, "assign")) == 3
    await _row_post(client, rid, after["op0441e14.q"], "client_id", client_id=str(clients["00002"]))
    assert (await _audit(db, rid, "assign"))[-1].changes == {"client": ["00001", "00002"]}


async def test_giving_a_client_that_does_not_exist_or_to_rows_of_another_registry_changes_nothing(client, db):
    clients, rid, rows = await _registry(client, db)
    ticked = [str(rows[name].id) for name in DAY]
    for data, reason in (
        ({"record": ticked, "client": "99999 нет такого"}, "No single client matches"),
        ({"record": ticked, "client": ""}, "Pick a client"),
        ({"client": "00001"}, "Tick the telegrams"),
        ({"record": [*ticked, "999999"], "client": "00001"}, "not in this registry"),
        ({"record": [*ticked, "abc"], "client": "00001"}, "not in this registry"),
    ):
        refused = await post_form(client, f"/registries/{rid}/assign?mode=clients", data, headers=HX)
        assert refused.status_code == 422, data
        assert reason in refused.text and 'id="bulk-error"' in refused.text
        assert refused.text.count(" checked") == len([v for v in data.get("record", []) if v in ticked])
    assert {r.client_id for r in (await _rows(db, rid)).values()} == {None}  # nothing half-saved
    plain = await post_form(client, f"/registries/{rid}/assign", {"record": ticked, "client": "н"})
    assert plain.status_code == 422 and "<html" in plain.text  # without htmx: the page with the reason

    # another operator's registry, rows of another registry, or a formed registry: refused as well
    await post_form(client, "/logout", {})
    await login(client, "tgn@example.com")
    stranger = await post_form(client, f"/registries/{rid}/assign", {"record": ticked, "client": "00001"}, headers=HX)
    assert stranger.status_code == 404
    ids = await _ids(db, "op0441e7d.q")
    await post_form(client, "/registries/day", {"date": "2022-08-01", "telegram": [ids["op0441e7d.q"]]})
    other = await db.scalar(select(Registry.id).where(Registry.id != rid))
    mixed = await post_form(client, f"/registries/{other}/assign", {"record": ticked, "client": "00001"}, headers=HX)
    assert mixed.status_code == 422
    await post_form(client, "/logout", {})
    await login(client, "pok-2@example.com")
    await post_form(client, f"/registries/{rid}/assign", {"record": ticked, "client": "00002"}, headers=HX)
    await post_form(client, f"/registries/{rid}/confirm", {"signature": "Покровская"})
    db.expire_all()
    assert await db.scalar(select(Registry.status).where(Registry.id == rid)) == "formed"
    formed = await post_form(client, f"/registries/{rid}/assign", {"record": ticked, "client": "00001"}, headers=HX)
    assert formed.status_code == 422 and "Only a draft" in formed.text
    assert {r.client_id for r in (await _rows(db, rid)).values()} == {clients["00002"]}


async def test_a_rows_own_picker_saves_its_client_at_once_and_the_totals_follow(client, db):
    clients, rid, rows = await _registry(client, db)
    row = rows["op0441e75.q"]
    target = {"HX-Request": "true", "HX-Target": f"rec-{row.id}"}
    picked = await post_form(
        client, f"/registries/{rid}/records/{row.id}/client?mode=clients", {"client": "тамож"}, headers=target
    )
    assert picked.status_code == 200 and "<html" not in picked.text
    assert re.findall(r'<tr id="rec-(\d+)"', picked.text) == [str(row.id)]
    assert 'value="00001 таможня"' in picked.text and 'name="record"' in picked.text  # the row of the mode
    assert 'id="registry-summary" hx-swap-oob="true"' in picked.text and "2 without a client" in picked.text
    assert (await _rows(db, rid))["op0441e75.q"].client_id == clients["00001"]

    refused = await post_form(
        client, f"/registries/{rid}/records/{row.id}/client?mode=clients", {"client": "н"}, headers=target
    )
    assert refused.status_code == 422 and 'role="alert"' in refused.text and 'value="н"' in refused.text
    assert (await _rows(db, rid))["op0441e75.q"].client_id == clients["00001"]


async def test_a_removed_row_comes_back_exactly_with_undo_and_only_once(client, db):
    clients, rid, rows = await _registry(client, db)
    row = rows["op0441e72.q"]
    await _row_post(client, rid, row, "manual", client_id=str(clients["00101"]), manual="on")
    row = (await _rows(db, rid))["op0441e72.q"]
    await _row_post(client, rid, row, "", manual="on", client_id=str(clients["00101"]), total="100.00")
    row = (await _rows(db, rid))["op0441e72.q"]
    columns = [c.key for c in RegistryRecord.__table__.columns if c.key != "updated_at"]
    before = {name: getattr(row, name) for name in columns}
    row_id = row.id

    removed = await post_form(client, f"/registries/{rid}/records/{row_id}/delete", {}, headers=HX)
    assert removed.status_code == 200 and f'id="rec-{row_id}"' not in removed.text
    assert "removed from the registry" in removed.text and "toast-undo" in removed.text
    token = re.search(r'name="undo" value="([^"]+)"', removed.text).group(1)
    assert set(await _rows(db, rid)) == {"op0441e14.q", "op0441e75.q"}

    undone = await post_form(client, f"/registries/{rid}/records/restore", {"undo": token}, headers=HX)
    assert undone.status_code == 200 and f'id="rec-{row_id}"' in undone.text
    assert "is back in the registry" in undone.text
    back = (await _rows(db, rid))["op0441e72.q"]
    assert {name: getattr(back, name) for name in columns} == before  # same id, client, amounts, manual mark
    assert [e.changes for e in await _audit(db, rid, "restore")] == [{"telegram": [None, "op0441e72.q"]}]

    again = await post_form(client, f"/registries/{rid}/records/restore", {"undo": token}, headers=HX)
    assert again.status_code == 422 and "already" in again.text
    forged = token[:-1] + ("0" if token[-1] != "0" else "1")
    await post_form(client, f"/registries/{rid}/records/{back.id}/delete", {}, headers=HX)
    forged_undo = await post_form(client, f"/registries/{rid}/records/restore", {"undo": forged}, headers=HX)
    assert forged_undo.status_code == 422
    assert len(await _rows(db, rid)) == 2
    await post_form(client, "/logout", {})
    await login(client, "tgn@example.com")
    strangers_undo = await post_form(client, f"/registries/{rid}/records/restore", {"undo": token}, headers=HX)
    assert strangers_undo.status_code == 404


async def test_ticking_nothing_creates_no_registry_and_says_so_next_to_the_list(client, db):
    await _setup(db)
    await login(client, "pok-2@example.com")
    empty = await post_form(client, "/registries/day", {"date": "2022-08-01"})
    assert empty.status_code == 422
    assert 'id="add-error"' in empty.text and "Tick the paid telegrams" in empty.text
    assert empty.text.count('name="telegram"') == 6  # the day's list is shown as it was
    assert await db.scalar(select(func.count()).select_from(Registry)) == 0
    foreign = await _ids(db, "op0441e7d.q")  # a telegram of another office: nothing can be added either
    refused = await post_form(client, "/registries/day", {"date": "2022-08-02", "telegram": [foreign["op0441e7d.q"]]})
    assert refused.status_code == 422 and 'id="add-error"' in refused.text
    assert await db.scalar(select(func.count()).select_from(Registry)) == 0


async def test_a_reopened_registry_loses_its_signature_and_is_signed_again_when_formed(client, db):
    _, rid, rows = await _registry(client, db)
    ticked = [str(r.id) for r in rows.values()]
    await post_form(client, f"/registries/{rid}/assign", {"record": ticked, "client": "00002"}, headers=HX)
    await post_form(client, f"/registries/{rid}/confirm", {"signature": "Покровская"})
    db.expire_all()
    registry = await db.get(Registry, rid)
    assert (registry.status, registry.signed_by) == ("formed", "Покровская") and registry.formed_at is not None

    await post_form(client, f"/registries/{rid}/reopen", {})
    db.expire_all()
    registry = await db.get(Registry, rid)
    assert (registry.status, registry.signed_by, registry.formed_at) == ("draft", "", None)
    assert (await _audit(db, rid, "reopen"))[-1].changes["signed_by"] == ["Покровская", ""]
    page = await client.get(f"/registries/{rid}")
    assert "signed by" not in page.text and 'name="signature" required' in page.text.replace("\n", " ")
    assert 'value=""' in page.text.split('id="f-signature"')[1].split(">")[0]
    unsigned = await post_form(client, f"/registries/{rid}/confirm", {"signature": ""})
    assert unsigned.status_code == 422
    await post_form(client, f"/registries/{rid}/confirm", {"signature": "Иванова"})
    db.expire_all()
    assert (await db.get(Registry, rid)).signed_by == "Иванова"


async def test_a_page_of_fifty_rows_to_assign_clients_stays_under_40_kb(client, db):
    rid = await _big_registry(client, db)
    partial = await client.get(
        f"/registries/{rid}",
        params={"mode": "clients", "page": "2"},
        headers={"HX-Request": "true", "HX-Target": "records"},
    )
    assert partial.text.count('name="record"') == 50
    assert len(partial.content) < 40 * 1024
