"""The registry screen of a big registry: pages of read-only rows with the totals of the whole registry, the controls
of one row at a time (htmx "edit row"), filters and sort in the URL, exports of every row, a fixed number of
statements whatever the size."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal

from litestar.datastructures import MultiDict
from sqlalchemy import event, func, select

from crm.features.tariffs import demo, journal, registry_view
from crm.features.tariffs.models import Registry, RegistryRecord, Telegram
from crm.lib.lists import ListParams
from tests.conftest import login, post_form
from tests.integration.test_tariffs_registry import _ids, _setup

DAY = date(2022, 8, 15)
SIZE = 120


def _row_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr id="rec-(\d+)"', html)]


def _digits(text: str) -> str:
    return re.sub(r"[^0-9]", "", text)


def _shown_total(html: str) -> str:
    found = re.search(r'id="registry-total">([^<]*)<', html)
    assert found, "the registry's total is not shown"
    return _digits(found.group(1))


async def _big_registry(client, db) -> int:
    """A day of 120 generated telegrams of office 123002, all put in pok-2's registry through the screen."""
    await _setup(db)
    content = demo.generate_journal(DAY, 1, SIZE, seed=8, offices=[("123002/02", "2/")], prefix="r")
    await journal.import_journal(db, content)
    await db.commit()
    ids = (
        await db.scalars(select(Telegram.id).where(Telegram.un_name.like("r%")).order_by(Telegram.inp_gate_date))
    ).all()
    assert len(ids) == SIZE
    await login(client, "pok-2@example.com")
    added = await post_form(client, "/registries/day", {"date": DAY.isoformat(), "telegram": list(ids)})
    assert added.status_code == 200
    return int(await db.scalar(select(Registry.id).where(Registry.day == DAY)))


async def _sum_total(db, registry_id: int) -> Decimal:
    return await db.scalar(select(func.sum(RegistryRecord.total)).where(RegistryRecord.registry_id == registry_id))


async def test_a_big_registry_is_paged_with_the_totals_of_every_row_and_no_controls_until_a_row_is_edited(client, db):
    rid = await _big_registry(client, db)
    whole = await _sum_total(db, rid)
    first = await client.get(f"/registries/{rid}")
    assert first.status_code == 200
    assert len(_row_ids(first.text)) == 50
    assert "<select" not in first.text.split('id="records"')[1].split("</table>")[0]  # read-only rows
    assert _shown_total(first.text) == _digits(f"{whole:.2f}")
    assert "Total, 120 telegrams" in first.text and "120 without a client" in first.text
    assert "Page 1 of 3" in first.text

    last = await client.get(f"/registries/{rid}", params={"page": "3"})
    assert len(_row_ids(last.text)) == 20
    assert _shown_total(last.text) == _digits(f"{whole:.2f}")  # the same totals on every page
    assert not set(_row_ids(last.text)) & set(_row_ids(first.text))

    partial = await client.get(
        f"/registries/{rid}", params={"page": "2"}, headers={"HX-Request": "true", "HX-Target": "records"}
    )
    assert partial.text.lstrip().startswith('<div id="records"') and "<html" not in partial.text
    assert len(_row_ids(partial.text)) == 50
    assert len(partial.content) < 40 * 1024  # the spec's size of a 50-row partial

    by_total = await client.get(f"/registries/{rid}", params={"sort": "-total"})
    top = await db.scalar(select(func.max(RegistryRecord.total)).where(RegistryRecord.registry_id == rid))
    first_id = _row_ids(by_total.text)[0]
    assert (await db.get(RegistryRecord, first_id)).total == top
    assert "sort=-total&amp;page=2" in by_total.text  # paging keeps the sort


async def test_the_export_has_every_row_of_the_filter_whatever_the_page(client, db):
    rid = await _big_registry(client, db)
    exported = await client.get(f"/registries/{rid}", params={"format": "csv", "page": "2", "page_size": "10"})
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert len(table) == SIZE + 1
    assert table[0][:2] == ["un_name", "inp_gate_date"] and "total_with_vat" in table[0]
    column = table[0].index("total")
    assert sum(Decimal(row[column]) for row in table[1:]) == await _sum_total(db, rid)
    xlsx = await client.get(f"/registries/{rid}", params={"format": "xlsx"})
    assert xlsx.content.startswith(b"PK")

    record = await db.scalar(select(RegistryRecord).where(RegistryRecord.registry_id == rid).limit(1))
    await post_form(
        client,
        f"/registries/{rid}/records/{record.id}",
        {"client": "00001", "category": record.category, "notification": record.notification, "blank": record.blank},
        headers={"HX-Request": "true", "HX-Target": f"rec-{record.id}"},
    )
    unassigned = await client.get(f"/registries/{rid}", params={"show": "unassigned", "format": "csv"})
    assert unassigned.text.count("\r\n") - 1 == SIZE - 1
    shown = await client.get(f"/registries/{rid}", params={"show": "unassigned"})
    assert "119 rows" in shown.text and record.id not in _row_ids(shown.text)
    assert "Total, 120 telegrams" in shown.text  # the summary stays the registry's
    found = await client.get(f"/registries/{rid}", params={"q": "тамож"})
    assert _row_ids(found.text) == [record.id]


async def test_a_row_is_edited_in_place_and_the_totals_of_the_registry_follow(client, db):
    clients = await _setup(db)
    await login(client, "pok-2@example.com")
    ids = await _ids(db, "op0441e14.q", "op0441e72.q", "op0441e75.q")
    await post_form(client, "/registries/day", {"date": "2022-08-01", "telegram": list(ids.values())})
    rid = await db.scalar(select(Registry.id))
    row = await db.scalar(select(RegistryRecord).join(Telegram).where(Telegram.un_name == "op0441e75.q"))
    row_id = row.id
    target = {"HX-Request": "true", "HX-Target": f"rec-{row_id}"}

    opened = await client.get(f"/registries/{rid}/records/{row.id}/edit", headers=target)
    assert opened.status_code == 200 and "<html" not in opened.text
    assert _row_ids(opened.text) == [row.id]
    assert 'name="category"' in opened.text and 'name="country_id"' in opened.text and "autofocus" in opened.text
    assert "00101 занятость" in opened.text  # the client choices come with the row being edited

    fields = {"country_id": "", "category": "post", "notification": "ordinary", "blank": "none"}
    changed = await post_form(
        client, f"/registries/{rid}/records/{row.id}", {**fields, "client": "00001 таможня"}, headers=target
    )
    assert changed.status_code == 200
    assert _row_ids(changed.text) == [row.id] and 'name="category"' in changed.text  # still open, changed
    assert "registered post" in changed.text  # the warning of notification by post
    assert 'id="registry-summary" hx-swap-oob="true"' in changed.text  # the totals follow out of band
    await db.refresh(row)
    assert (row.client_id, str(row.total)) == (clients["00001"], "301.00")
    assert _shown_total(changed.text) == _digits(f"{await _sum_total(db, rid):.2f}")
    assert "autofocus" not in changed.text  # focus stays where the person is

    refused = await post_form(
        client, f"/registries/{rid}/records/{row.id}", {**fields, "category": "urgent", "client": "н"}, headers=target
    )
    assert refused.status_code == 422
    assert 'role="alert"' in refused.text and 'value="н"' in refused.text  # the reason, and what was typed
    assert 'value="urgent" selected' in refused.text
    await db.refresh(row)
    assert (row.client_id, row.category) == (clients["00001"], "post")  # nothing was saved

    closed = await client.get(f"/registries/{rid}/records/{row.id}", headers=target)
    assert "<select" not in closed.text and "00001 таможня" in closed.text and "autofocus" in closed.text

    plain = await client.get(f"/registries/{rid}/records/{row.id}/edit", follow_redirects=False)
    assert plain.status_code == 303 and plain.headers["location"] == f"/registries/{rid}?edit={row.id}"
    page = await client.get(plain.headers["location"])
    assert page.text.count('name="category"') == 1  # without htmx the page opens that one row
    saved = await post_form(
        client,
        f"/registries/{rid}/records/{row.id}?page_size=2",
        {**fields, "category": "ordinary", "client": "00001"},
        follow_redirects=False,
    )
    assert saved.status_code == 303 and saved.headers["location"] == f"/registries/{rid}?page_size=2&edit={row.id}"

    wrong = await db.scalar(select(RegistryRecord.id).join(Telegram).where(Telegram.un_name == "op0441e14.q"))
    records = await post_form(
        client,
        f"/registries/{rid}/records/{wrong}/delete?page=2&page_size=1",
        {},
        headers={"HX-Request": "true", "HX-Target": "records"},
    )
    assert records.text.lstrip().startswith('<div id="records"')
    assert "Page 2 of 2" in records.text and len(_row_ids(records.text)) == 1  # the list's page is kept
    assert wrong not in _row_ids((await client.get(f"/registries/{rid}")).text)

    for record in (await db.scalars(select(RegistryRecord.id))).all():
        await post_form(
            client,
            f"/registries/{rid}/records/{record}",
            {**fields, "notification": "none", "category": "ordinary", "client": "00002"},
            headers={"HX-Request": "true", "HX-Target": f"rec-{record}"},
        )
    await post_form(client, f"/registries/{rid}/confirm", {"signature": "Покровская"})
    db.expire_all()
    assert await db.scalar(select(Registry.status)) == "formed"
    formed = await client.get(f"/registries/{rid}/records/{row_id}/edit", headers=target)
    assert formed.status_code == 200 and "<select" not in formed.text and "Edit" not in formed.text


async def test_the_registry_page_needs_the_same_few_statements_whatever_its_size(client, db):
    rid = await _big_registry(client, db)
    registry = await db.get(Registry, rid)
    user = registry.operator
    engine = db.bind.sync_engine
    counted: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        counted.append(statement)

    async def statements(params: ListParams) -> tuple[int, dict]:
        counted.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            context = await registry_view.page_context(db, user, registry, params)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(counted), context

    fifty, context = await statements(ListParams(page_size=50))
    assert len(context["page"].rows) == 50
    assert fifty == (await statements(ListParams(page_size=5)))[0] == 3  # count, page, totals: none per row
    record = context["page"].rows[3].id
    opened, context = await statements(ListParams(query=MultiDict({"edit": str(record)})))
    assert context["editing"] == record and opened == 5  # and the clients and countries of the edited row
