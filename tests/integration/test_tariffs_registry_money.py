"""Manual amounts of a registry row stay consistent (total + VAT = total with VAT, VAT at the tariff's rate), and a
registry whose rows carry a tariff warning or error is formed and billed only after a confirmation naming them."""

from __future__ import annotations

import re

from sqlalchemy import select

from crm.features.tariffs.models import Registry, RegistryRecord
from tests.conftest import login, post_form
from tests.integration.test_tariffs_registry import HX, _ids, _row_post, _rows, _setup


async def _manual_row(client, db, clients):
    """op0441e72.q priced by hand at 10 words: 83.00, VAT 16.60, 99.60 with VAT (the fixture's VAT is 20 %)."""
    await login(client, "pok-2@example.com")
    ids = await _ids(db, "op0441e72.q")
    await post_form(client, "/registries/day", {"date": "2022-08-01", "telegram": [ids["op0441e72.q"]]})
    rid = await db.scalar(select(Registry.id))
    row = (await _rows(db, rid))["op0441e72.q"]
    await _row_post(client, rid, row, "manual", client_id=str(clients["00101"]), manual="on")
    row = (await _rows(db, rid))["op0441e72.q"]
    await _row_post(client, rid, row, "words", words="10")
    row = (await _rows(db, rid))["op0441e72.q"]
    assert (row.manual, str(row.total), str(row.vat), str(row.total_with_vat)) == (True, "83.00", "16.60", "99.60")
    return rid, row


def _typed(row, **changes):
    amounts = {
        name: f"{getattr(row, name):.2f}".replace(".", ",")
        for name in (
            "delivery_amount",
            "words_amount",
            "notification_amount",
            "blank_amount",
            "deliver_on_date_amount",
            "paid_reply_amount",
            "total",
            "vat",
            "total_with_vat",
        )
    }
    return {**amounts, "words": str(row.words), **changes}


async def _amounts(db, rid):
    row = (await _rows(db, rid))["op0441e72.q"]
    return str(row.total), str(row.vat), str(row.total_with_vat)


async def test_a_total_typed_by_hand_recomputes_its_vat_and_total_with_vat(client, db):
    clients = await _setup(db)
    rid, row = await _manual_row(client, db, clients)
    answer = await _row_post(client, rid, row, "", **_typed(row, total="300,00"))  # htmx names the row, not the field
    assert answer.status_code == 200
    assert await _amounts(db, rid) == ("300.00", "60.00", "360.00")


async def test_a_total_with_vat_typed_by_hand_is_kept_and_splits_into_total_and_vat_at_the_rate(client, db):
    clients = await _setup(db)
    rid, row = await _manual_row(client, db, clients)
    await _row_post(client, rid, row, "", **_typed(row, total_with_vat="267,96"))
    # VAT taken out of the amount with VAT: 267.96 × 20 / 120 = 44.66; the total is the rest
    assert await _amounts(db, rid) == ("223.30", "44.66", "267.96")


async def test_a_part_typed_by_hand_recomputes_the_totals_rounding_half_up(client, db):
    clients = await _setup(db)
    rid, row = await _manual_row(client, db, clients)
    await _row_post(client, rid, row, "", **_typed(row, delivery_amount="43,025"))  # half a kopeck rounds up
    assert await _amounts(db, rid) == ("83.03", "16.61", "99.64")


async def test_contradicting_totals_or_a_vat_typed_by_hand_are_refused_next_to_the_row(client, db):
    clients = await _setup(db)
    rid, row = await _manual_row(client, db, clients)
    own_form = {**HX, "HX-Target": f"rec-{row.id}"}
    for typed in (
        {"total": "300,00", "total_with_vat": "267,96"},  # the row: 300.00 + 44.66 ≠ 267.96
        {"vat": "44,66"},
    ):
        data = {"client_id": str(row.client_id), "manual": "on", **_typed(row, **typed)}
        refused = await post_form(client, f"/registries/{rid}/records/{row.id}", data, headers=own_form)
        assert refused.status_code == 422, typed
        assert 'role="alert"' in refused.text
        for value in typed.values():
            assert f'value="{value}"' in refused.text  # what was typed is kept
        assert await _amounts(db, rid) == ("83.00", "16.60", "99.60")  # nothing saved


async def test_every_stored_row_has_its_total_with_vat_equal_to_total_plus_vat(client, db):
    clients = await _setup(db)
    rid, row = await _manual_row(client, db, clients)
    for typed in ({"total": "300,00"}, {"total_with_vat": "0,01"}, {"words_amount": "1,00"}, {"total": "0,03"}):
        row = (await _rows(db, rid))["op0441e72.q"]
        await _row_post(client, rid, row, "", **_typed(row, **typed))
    db.expire_all()
    for r in (await db.scalars(select(RegistryRecord))).unique().all():
        assert r.total_with_vat == r.total + r.vat, (r.total, r.vat, r.total_with_vat)


async def _warned_registry(client, db):
    """Two telegrams with clients; op0441e75.q sent by registered post with a notification (a tariff warning)."""
    clients = await _setup(db)
    await login(client, "pok-2@example.com")
    ids = await _ids(db, "op0441e14.q", "op0441e75.q")
    await post_form(client, "/registries/day", {"date": "2022-08-01", "telegram": list(ids.values())})
    rid = await db.scalar(select(Registry.id))
    rows = await _rows(db, rid)
    await _row_post(client, rid, rows["op0441e14.q"], "client_id", client_id=str(clients["00002"]))
    warned = rows["op0441e75.q"]
    await _row_post(
        client, rid, warned, "category", client_id=str(clients["00001"]), category="post", notification="ordinary"
    )
    warned = (await _rows(db, rid))["op0441e75.q"]
    assert warned.warnings == ["notification_with_post"]
    return rid, warned.id


async def _status(db, rid):
    db.expire_all()
    return await db.scalar(select(Registry.status).where(Registry.id == rid))


async def test_forming_a_registry_with_warnings_asks_for_a_confirmation_that_names_the_rows(client, db):
    rid, warned_id = await _warned_registry(client, db)
    asked = await post_form(client, f"/registries/{rid}/confirm", {"signature": "Покровская"})
    assert asked.status_code == 200
    assert await _status(db, rid) == "draft"  # not formed yet
    assert "op0441e75.q" in asked.text and "op0441e14.q" not in asked.text  # the warned row only
    assert "registered post" in asked.text  # its warning in words
    assert f'name="acknowledge" value="{warned_id}"' in asked.text
    assert 'value="Покровская"' in asked.text  # the signature is carried to the confirmation
    # a confirmation of other rows does not count
    other = await post_form(client, f"/registries/{rid}/confirm", {"signature": "Покровская", "acknowledge": "1"})
    assert other.status_code == 200 and await _status(db, rid) == "draft"
    done = await post_form(
        client,
        f"/registries/{rid}/confirm",
        {"signature": "Покровская", "acknowledge": str(warned_id)},
        follow_redirects=False,
    )
    assert done.status_code == 303 and await _status(db, rid) == "formed"


async def test_billing_a_registry_with_warnings_asks_first_and_the_month_list_shows_a_warnings_column(client, db):
    rid, warned_id = await _warned_registry(client, db)
    await post_form(client, f"/registries/{rid}/confirm", {"signature": "Покровская", "acknowledge": str(warned_id)})
    assert await _status(db, rid) == "formed"
    await post_form(client, "/logout", {})
    await login(client, "bill-1@example.com")
    month = await client.get("/billing", params={"month": "2022-08"})
    head = month.text[month.text.index('id="registries"') :]
    assert "Warnings" in head[: head.index("</thead>")]
    cell = re.search(r'<td class="warnings">(.*?)</td>', month.text, re.S)
    assert cell and "1" in cell.group(1) and "with warnings" in cell.group(1)  # a count and words, not colour alone
    asked = await post_form(client, f"/registries/{rid}/close", {})
    assert asked.status_code == 200 and "op0441e75.q" in asked.text and "registered post" in asked.text
    assert await _status(db, rid) == "formed"
    csv_file = await client.get("/billing", params={"month": "2022-08", "format": "csv"})
    assert "Warnings" in csv_file.text.splitlines()[0]
    await post_form(client, f"/registries/{rid}/close", {"acknowledge": str(warned_id)})
    assert await _status(db, rid) == "closed"


async def test_a_registry_without_warnings_is_formed_and_billed_at_once(client, db):
    clients = await _setup(db)
    await login(client, "pok-2@example.com")
    ids = await _ids(db, "op0441e14.q")
    await post_form(client, "/registries/day", {"date": "2022-08-01", "telegram": [ids["op0441e14.q"]]})
    rid = await db.scalar(select(Registry.id))
    row = next(iter((await _rows(db, rid)).values()))
    await _row_post(client, rid, row, "client_id", client_id=str(clients["00002"]))
    formed = await post_form(client, f"/registries/{rid}/confirm", {"signature": "Покровская"}, follow_redirects=False)
    assert formed.status_code == 303 and await _status(db, rid) == "formed"
    await post_form(client, "/logout", {})
    await login(client, "bill-1@example.com")
    month = await client.get("/billing", params={"month": "2022-08"})
    cell = re.search(r'<td class="warnings">(.*?)</td>', month.text, re.S)
    assert cell and "with warnings" not in cell.group(1)
    await post_form(client, f"/registries/{rid}/close", {})
    assert await _status(db, rid) == "closed"
