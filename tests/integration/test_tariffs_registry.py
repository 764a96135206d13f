"""A day of tlg0 through the registry workflow, billing and a detail email; the state machine and permissions."""

from __future__ import annotations

import csv
import io

from sqlalchemy import func, select

from crm.features.accounts.models import AuditEntry
from crm.features.tariffs.models import Registry, RegistryRecord, Telegram, TelegramClient
from tests.conftest import drain_queue, login, make_user, post_form
from tests.integration.test_tariffs_calculator import load_tariffs
from tests.integration.test_tariffs_journal import import_tlg0

HX = {"HX-Request": "true", "HX-Target": "records"}


async def _setup(db):
    await load_tariffs(db)
    await import_tlg0(db)
    db.add_all(
        [
            TelegramClient(
                code="00001",
                short_name="таможня",
                full_name="Ростовская таможня",
                inn="6163012345",
                email="customs@example.com",
            ),
            TelegramClient(code="00002", short_name="управление", full_name="Управление", email=""),
            TelegramClient(code="00101", short_name="занятость", full_name="Центр занятости", email="job@example.com"),
        ]
    )
    await db.commit()
    await make_user(db, "pok-2@example.com", ["telegraph"], telegraph_prefix="123002", name="Покровская")
    await make_user(db, "tgn@example.com", ["telegraph"], telegraph_prefix="623600")
    await make_user(db, "bill-1@example.com", ["billing"])
    await make_user(db, "manager@example.com", ["manager"])
    return {c.code: c.id for c in (await db.scalars(select(TelegramClient))).all()}


async def _ids(db, *names):
    rows = (await db.scalars(select(Telegram).where(Telegram.un_name.in_(names)))).all()
    return {t.un_name: t.id for t in rows}


async def _rows(db, registry_id):
    db.expire_all()
    stmt = select(RegistryRecord).where(RegistryRecord.registry_id == registry_id).order_by(RegistryRecord.id)
    return {r.telegram.un_name: r for r in (await db.scalars(stmt)).unique().all()}


async def _row_post(http, registry_id, row, changed="", **fields):
    data = {
        "client_id": str(row.client_id or ""),
        "country_id": str(row.country_id or ""),
        "category": row.category,
        "notification": row.notification,
        "blank": row.blank,
    }
    for flag in ("deliver_on_date", "paid_reply", "manual"):
        if getattr(row, flag):
            data[flag] = "on"
    data.update({k: v for k, v in fields.items() if v is not None})
    for k, v in fields.items():
        if v is None:
            data.pop(k, None)
    headers = {**HX, "HX-Trigger-Name": changed} if changed else HX
    return await post_form(http, f"/registries/{registry_id}/records/{row.id}", data, headers=headers)


async def test_a_day_goes_through_registry_billing_and_a_detail_email(client, db, mailbox):
    clients = await _setup(db)
    await login(client, "pok-2@example.com")
    day = await client.get("/registries/day", params={"date": "2022-08-01"})
    assert day.status_code == 200
    assert day.text.count('name="telegram"') == 6  # 7 telegrams that day, one of office 623600
    ids = await _ids(db, "op0441e14.q", "op0441e72.q", "op0441e75.q", "op0441e7d.q")
    chosen = [
        ids["op0441e14.q"],
        ids["op0441e72.q"],
        ids["op0441e75.q"],
        ids["op0441e14.q"],
        ids["op0441e7d.q"],
    ]
    added = await post_form(
        client, "/registries/day", {"date": "2022-08-01", "telegram": chosen}, follow_redirects=False
    )
    assert added.status_code == 303
    rid = await db.scalar(select(Registry.id))
    assert added.headers["location"] == f"/registries/{rid}"
    rows = await _rows(db, rid)
    assert set(rows) == {"op0441e14.q", "op0441e72.q", "op0441e75.q"}  # once each, none of another office
    assert str(rows["op0441e14.q"].total) == "561.00"
    ack = {"acknowledge": str(rows["op0441e75.q"].id)}  # its warning (post with a notification) confirmed below
    again = await post_form(client, "/registries/day", {"date": "2022-08-01", "telegram": [ids["op0441e14.q"]]})
    assert again.status_code == 200
    assert len(await _rows(db, rid)) == 3
    marked = await client.get("/registries/day", params={"date": "2022-08-01"})
    assert marked.text.count('name="telegram"') == 3

    row = rows["op0441e75.q"]  # САНКТ-ПЕТЕРБУРГ, 23 words: 43 + 92
    assert str(row.total) == "135.00"
    response = await _row_post(
        client,
        rid,
        row,
        "notification",
        client_id=str(clients["00001"]),
        notification="ordinary",
        category="post",
    )
    assert response.status_code == 200
    assert 'id="records"' in response.text and "<html" not in response.text
    row = (await _rows(db, rid))["op0441e75.q"]
    assert (row.client_id, str(row.total)) == (clients["00001"], "301.00")  # 59 + 92 + 150
    assert row.warnings == ["notification_with_post"]
    assert "registered post" in response.text or "заказн" in response.text.lower()

    row = (await _rows(db, rid))["op0441e72.q"]
    await _row_post(client, rid, row, "manual", client_id=str(clients["00101"]), manual="on")
    row = (await _rows(db, rid))["op0441e72.q"]
    await _row_post(client, rid, row, "words", words="10")
    row = (await _rows(db, rid))["op0441e72.q"]
    assert (row.manual, row.words, str(row.total)) == (True, 10, "83.00")
    amounts = {
        n: str(getattr(row, n))
        for n in (
            "delivery_amount",
            "words_amount",
            "notification_amount",
            "blank_amount",
            "deliver_on_date_amount",
            "paid_reply_amount",
            "vat",
            "total_with_vat",
        )
    }
    await _row_post(client, rid, row, "", words="10", total="100.00", **amounts)  # htmx names the row, not the field
    row = (await _rows(db, rid))["op0441e72.q"]
    assert (str(row.total), row.manual) == ("100.00", True)
    assert (str(row.vat), str(row.total_with_vat)) == ("20.00", "120.00")  # they follow the total typed
    # What was typed by hand stays: a Save that changes nothing, a client picked; bad words are refused, not ignored
    typed = {**{n: str(getattr(row, n)) for n in amounts}, "words": "10", "total": "100,00"}
    await _row_post(client, rid, row, "", **typed)
    for code in ("00001", "00101"):
        await _row_post(client, rid, row, "client_id", **{**typed, "client_id": str(clients[code])})
        row = (await _rows(db, rid))["op0441e72.q"]
        assert (str(row.total), row.client_id) == ("100.00", clients[code])
    bad = await post_form(
        client,
        f"/registries/{rid}/records/{row.id}",
        {"client_id": str(row.client_id), "manual": "on", **typed, "words": "abc"},
        headers={**HX, "HX-Target": f"rec-{row.id}"},  # the row's own form, as in the page
    )
    assert bad.status_code == 422 and "whole number" in bad.text and 'value="abc"' in bad.text
    row = (await _rows(db, rid))["op0441e72.q"]
    assert (str(row.total), row.words) == ("100.00", 10)
    await post_form(client, f"/registries/{rid}/records/{row.id}/reset", {}, headers=HX)
    row = (await _rows(db, rid))["op0441e72.q"]
    assert (row.manual, row.words, str(row.total)) == (False, 32, "171.00")
    assert row.client_id == clients["00101"]

    refused = await post_form(client, f"/registries/{rid}/confirm", {"signature": "Покровская"})
    assert refused.status_code == 422
    assert 'id="e-signature"' in refused.text and 'value="Покровская"' in refused.text  # reason shown, name kept
    assert (await db.scalar(select(Registry.status))) == "draft"  # a telegram has no client yet
    await post_form(client, f"/registries/{rid}/records/{rows['op0441e14.q'].id}/delete", {}, headers=HX)
    assert set(await _rows(db, rid)) == {"op0441e72.q", "op0441e75.q"}
    await post_form(client, f"/registries/{rid}/confirm", {"signature": "  "})
    assert (await db.scalar(select(Registry.status))) == "draft"
    await post_form(client, f"/registries/{rid}/confirm", {"signature": "Покровская", **ack})
    db.expire_all()
    assert (await db.execute(select(Registry.status, Registry.signed_by))).one() == ("formed", "Покровская")
    await post_form(client, f"/registries/{rid}/reopen", {})
    db.expire_all()
    assert (await db.scalar(select(Registry.status))) == "draft"
    await post_form(client, f"/registries/{rid}/confirm", {"signature": "Покровская", **ack})

    # another operator's draft of the same month: billing never sees it
    await post_form(client, "/logout", {})
    await login(client, "tgn@example.com")
    await post_form(client, "/registries/day", {"date": "2022-08-01", "telegram": [ids["op0441e7d.q"]]})
    assert (await client.get(f"/registries/{rid}")).status_code == 404
    await post_form(client, "/logout", {})

    await login(client, "bill-1@example.com")
    month = await client.get("/billing", params={"month": "2022-08"})
    assert month.status_code == 200
    assert month.text.count('href="/registries/') == 1
    draft = await db.scalar(select(Registry.id).where(Registry.status == "draft"))
    assert (await client.get(f"/registries/{draft}")).status_code == 404
    assert (await post_form(client, f"/registries/{draft}/close", {})).status_code == 404
    await post_form(client, f"/registries/{rid}/close", ack)
    db.expire_all()
    assert (await db.scalar(select(Registry.status).where(Registry.id == rid))) == "closed"
    await post_form(client, f"/registries/{rid}/cancel-billing", {})
    db.expire_all()
    assert (await db.scalar(select(Registry.status).where(Registry.id == rid))) == "formed"
    await post_form(client, f"/registries/{rid}/close", ack)

    detail = await client.get("/billing/detail", params={"month": "2022-08"})
    assert detail.status_code == 200 and "таможня" in detail.text and "занятость" in detail.text
    sheet = await client.get(f"/billing/detail/{clients['00001']}", params={"month": "2022-08"})
    assert "301" in sheet.text
    pdf = await client.get(f"/billing/detail/{clients['00001']}", params={"month": "2022-08", "format": "pdf"})
    assert pdf.content.startswith(b"%PDF")
    xlsx = await client.get(f"/billing/detail/{clients['00001']}", params={"month": "2022-08", "format": "xlsx"})
    assert xlsx.content.startswith(b"PK")
    sent = await post_form(
        client, f"/billing/detail/{clients['00001']}/send", {"month": "2022-08"}, follow_redirects=False
    )
    assert sent.status_code == 303
    await drain_queue()
    assert len(mailbox) == 1
    message = mailbox[0]
    assert message["To"] == "customs@example.com"
    parts = {p.get_filename(): p for p in message.walk() if p.get_filename()}
    pdf_part = parts["detail-00001-2022-08.pdf"].get_payload(decode=True)
    assert pdf_part.startswith(b"%PDF")
    # the client's name is in the document's metadata (hex UTF-16, as PDF strings hold non-Latin text)
    assert "Ростовская таможня".encode("utf-16-be").hex().encode() in pdf_part
    text = parts["detail-00001-2022-08.csv"].get_payload(decode=True).decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert len(table[0]) == 8
    assert table[-1][5] == "301,00" and table[-1][7] == "361,20"
    shown = await client.get("/billing/detail", params={"month": "2022-08"})
    assert "sent" in shown.text or "отправ" in shown.text.lower()
    twice = await post_form(client, f"/billing/detail/{clients['00001']}/send", {"month": "2022-08"})
    assert twice.status_code == 200
    await drain_queue()
    assert len(mailbox) == 1  # the second send asked for confirmation first

    audit = (
        await db.scalars(
            select(AuditEntry.action).where(AuditEntry.entity == "telegram_registry", AuditEntry.entity_id == str(rid))
        )
    ).all()
    assert {"form", "reopen", "bill", "unbill"} <= set(audit)


async def test_a_closed_registry_cannot_change_and_roles_see_only_what_they_may(client, db):
    clients = await _setup(db)
    await login(client, "pok-2@example.com")
    ids = await _ids(db, "op0441e14.q")
    await post_form(client, "/registries/day", {"date": "2022-08-01", "telegram": [ids["op0441e14.q"]]})
    rid = await db.scalar(select(Registry.id))
    row = next(iter((await _rows(db, rid)).values()))
    await _row_post(client, rid, row, "client_id", client_id=str(clients["00002"]))
    await post_form(client, f"/registries/{rid}/confirm", {"signature": "Покровская"})
    changed = await _row_post(client, rid, row, "notification", client_id=str(clients["00002"]), notification="urgent")
    assert changed.status_code == 422
    assert (await client.get("/billing/detail")).status_code == 403
    await post_form(client, "/logout", {})
    await login(client, "bill-1@example.com")
    await post_form(client, f"/registries/{rid}/close", {})
    await post_form(client, "/logout", {})

    await login(client, "pok-2@example.com")
    assert (await client.get(f"/registries/{rid}")).status_code == 200  # own closed registry is visible
    for url in (
        f"/registries/{rid}/records/{row.id}/delete",
        f"/registries/{rid}/reopen",
        f"/registries/{rid}/records/{row.id}/reset",
    ):
        await post_form(client, url, {}, headers=HX)
    rows = await _rows(db, rid)
    assert len(rows) == 1 and next(iter(rows.values())).notification == "ordinary"
    db.expire_all()
    assert (await db.scalar(select(Registry.status))) == "closed"
    assert (await post_form(client, f"/registries/{rid}/close", {})).status_code == 403
    await post_form(client, "/logout", {})

    await login(client, "tgn@example.com")
    assert (await client.get(f"/registries/{rid}")).status_code == 404
    day = await client.get("/registries/day", params={"date": "2022-08-01"})
    assert day.text.count('name="telegram"') == 1
    assert (await client.get("/telegrams/op0441e14.q")).status_code == 404
    await post_form(client, "/logout", {})

    await login(client, "manager@example.com")
    for url in ("/billing", "/billing/detail", f"/registries/{rid}", "/registries/day", "/telegrams"):
        assert (await client.get(url)).status_code == 403, url


async def test_a_client_is_found_by_code_or_by_the_one_name_that_matches(client, db):
    clients = await _setup(db)
    await login(client, "pok-2@example.com")
    ids = await _ids(db, "op0441e14.q")
    await post_form(client, "/registries/day", {"date": "2022-08-01", "telegram": [ids["op0441e14.q"]]})
    rid = await db.scalar(select(Registry.id))
    row = next(iter((await _rows(db, rid)).values()))
    await _row_post(client, rid, row, "client", client_id=None, client="00101 занятость")
    assert next(iter((await _rows(db, rid)).values())).client_id == clients["00101"]
    await _row_post(client, rid, row, "client", client_id=None, client="ТАМОЖ")
    assert next(iter((await _rows(db, rid)).values())).client_id == clients["00001"]
    ambiguous = await _row_post(client, rid, row, "client", client_id=None, client="н")
    assert ambiguous.status_code == 422
    assert next(iter((await _rows(db, rid)).values())).client_id == clients["00001"]  # nothing changed
    await _row_post(client, rid, row, "client", client_id=None, client="")
    assert next(iter((await _rows(db, rid)).values())).client_id is None


async def test_the_registries_api_follows_the_same_visibility_rules(client, db):
    from tests.integration.test_tariffs_calculator import bearer

    await _setup(db)
    await login(client, "pok-2@example.com")
    ids = await _ids(db, "op0441e14.q")
    await post_form(client, "/registries/day", {"date": "2022-08-01", "telegram": [ids["op0441e14.q"]]})
    rid = await db.scalar(select(Registry.id))
    operator = await bearer(client, "op2@example.com", ["telegraph"], telegraph_prefix="123002")
    billing = await bearer(client, "bill-2@example.com", ["billing"])
    owner_pair = (
        await client.post("/api/v1/auth/token", json={"email": "pok-2@example.com", "password": "correct-horse-42"})
    ).json()
    owner = {"Authorization": f"Bearer {owner_pair['access_token']}"}
    mine = (await client.get("/api/v1/registries", params={"month": "2022-08"}, headers=owner)).json()
    assert mine["total"] == 1 and mine["rows"][0]["status"] == "draft" and mine["rows"][0]["total"] == "561.00"
    detail = (await client.get(f"/api/v1/registries/{rid}", headers=owner)).json()
    record = detail["records"][0]
    assert (record["un_name"], record["words"], record["notification"]) == ("op0441e14.q", 92, "ordinary")
    assert record["amounts"]["notification"] == "150.00"
    assert (await client.get("/api/v1/registries", params={"month": "2022-08"}, headers=billing)).json()["total"] == 0
    assert (await client.get(f"/api/v1/registries/{rid}", headers=billing)).status_code == 404
    assert (await client.get(f"/api/v1/registries/{rid}", headers=operator)).status_code == 404
    bad = await client.get("/api/v1/registries", params={"month": "August"}, headers=owner)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "month"


async def test_a_day_that_is_not_a_date_is_refused_with_its_reason_and_adds_nothing(client, db):
    await _setup(db)
    await login(client, "pok-2@example.com")
    page = await client.get("/registries/day", params={"date": "1 Aug"})
    assert page.status_code == 422 and "is not a date" in page.text
    ids = await _ids(db, "op0441e14.q")
    refused = await post_form(
        client, "/registries/day", {"date": "2022-13-01", "telegram": [ids["op0441e14.q"]]}, follow_redirects=True
    )
    assert "is not a date" in refused.text
    assert await db.scalar(select(func.count()).select_from(Registry)) == 0
