"""The tariffs' forms read through declared forms (crm.lib.forms): a Russian or a country's tariff, a registry row's
edit, the tariffs' and the journal's files. A valid save works as before; each bad value gets its message next to
the field (422) or a 4xx naming it, nothing is half-saved, what was typed is kept."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from crm.features.tariffs.models import Country, CountryTariff, JournalUpload, RussianTariff
from crm.features.tariffs.tariffs import RUSSIAN_PRICE_FIELDS
from crm.lib.i18n import local_tz
from tests.conftest import login, make_user, post_form
from tests.integration.test_tariffs_registry import _row_post, _rows
from tests.integration.test_tariffs_registry_editor import _registry

PRICES = {name: "10.00" for name in RUSSIAN_PRICE_FIELDS} | {"vat_percent": "20.00"}
INTERVAL = {"valid_from": "2030-01-01", "valid_to": "2031-01-01"}
NEW = "/tariffs/russian/new"


async def _row_edit(client, rid, row, **change):
    """The row's own controls sent (htmx targets the row: its answer is the row with its message)."""
    data = {"client_id": str(row.client_id or ""), "country_id": "", "category": row.category,
            "notification": row.notification, "blank": row.blank, **change}  # fmt: skip
    headers = {"HX-Request": "true", "HX-Target": f"rec-{row.id}"}
    return await post_form(client, f"/registries/{rid}/records/{row.id}", data, headers=headers)


async def _admin(client, db):
    await make_user(db, "admin@example.com", ["admin"])
    await login(client, "admin@example.com")


async def _count(db, model) -> int:
    return int(await db.scalar(select(func.count()).select_from(model)) or 0)


async def test_each_bad_value_of_a_russian_tariff_is_said_next_to_its_field_and_nothing_is_saved(client, db):
    await _admin(client, db)
    cases = {
        "valid_from": ({"valid_from": "soon"}, "Enter the date as YYYY-MM-DD."),
        "valid_to": ({"valid_to": "2029-12-31"}, "The end of the interval must be after its start."),
        "lux": ({"lux": "-1"}, "A price cannot be negative."),
        "word_urgent": ({"word_urgent": "NaN"}, "Enter a price like 43.00."),
        "vat_percent": ({"vat_percent": "1e15"}, "Enter a price like 43.00."),
        "delivery_box": ({"delivery_box": ""}, "Enter a price like 43.00."),
    }
    for name, (change, message) in cases.items():
        bad = await post_form(client, NEW, {**INTERVAL, **PRICES, **change}, follow_redirects=False)
        assert bad.status_code == 422, (name, bad.status_code)
        field = bad.text[bad.text.index(f'id="e-{name}"') :][:300]
        assert message in field, (name, field)
        if change[name]:
            assert f'value="{change[name]}"' in bad.text  # what was typed is kept
    assert await _count(db, RussianTariff) == 0
    ok = await post_form(client, NEW, {**INTERVAL, **PRICES, "lux": "43,5"}, follow_redirects=False)
    assert ok.status_code == 303
    tariff = await db.scalar(select(RussianTariff))
    assert (
        tariff.lux == Decimal("43.50") and tariff.valid_from.astimezone(local_tz()).date().isoformat() == "2030-01-01"
    )
    overlap = await post_form(client, NEW, {**PRICES, "valid_from": "2030-06-01", "valid_to": "2032-01-01"})
    assert overlap.status_code == 422 and "overlaps the tariff of" in overlap.text
    assert await _count(db, RussianTariff) == 1


async def test_a_country_tariff_refuses_a_bad_price_or_action_and_deletes_on_request(client, db):
    await _admin(client, db)
    country = Country(name="Армения")
    db.add(country)
    await db.commit()
    url = f"/tariffs/countries/{country.id}/tariffs"
    bad = await post_form(client, url, {**INTERVAL, "word_ordinary": "seven", "word_urgent": "9"})
    assert bad.status_code == 422 and "Enter a price like 43.00." in bad.text and 'value="seven"' in bad.text
    odd = await post_form(client, url, {**INTERVAL, "word_ordinary": "7", "word_urgent": "9", "action": "burn"})
    assert odd.status_code == 422 and "action" in odd.text
    assert await _count(db, CountryTariff) == 0
    added = await post_form(client, url, {**INTERVAL, "word_ordinary": "7", "word_urgent": "9"}, follow_redirects=False)
    assert added.status_code == 303 and await _count(db, CountryTariff) == 1
    tariff_id = await db.scalar(select(CountryTariff.id))
    gone = await post_form(client, f"{url}/{tariff_id}", {"action": "delete"}, follow_redirects=False)
    assert gone.status_code == 303
    assert await _count(db, CountryTariff) == 0


async def test_a_registry_row_refuses_a_value_no_select_offers_and_changes_nothing(client, db):
    _clients, rid, rows = await _registry(client, db)
    row = rows["op0441e14.q"]
    before = (row.category, row.notification, row.blank, row.country_id, str(row.total))
    for change, message in (
        ({"category": "rocket"}, "Choose a kind of delivery from the list."),
        ({"notification": "pigeon"}, "Choose a notification from the list."),
        ({"blank": "gold"}, "Choose a blank from the list."),
        ({"country_id": "Армения"}, "Choose a country from the list."),
        ({"client_id": "-3"}, "Choose a client from the list."),
    ):
        answer = await _row_edit(client, rid, row, **change)
        assert answer.status_code == 422 and message in answer.text, (change, answer.text[:300])
    db.expire_all()
    row = (await _rows(db, rid))["op0441e14.q"]
    assert (row.category, row.notification, row.blank, row.country_id, str(row.total)) == before
    words = await _row_edit(client, rid, row, manual="on", words="many")
    assert words.status_code == 422 and "whole number from 0 to 100000" in words.text and 'value="many"' in words.text
    urgent = await _row_post(client, rid, row, "category", category="urgent")
    assert urgent.status_code == 200
    db.expire_all()
    assert (await _rows(db, rid))["op0441e14.q"].category == "urgent"


async def test_a_tariffs_file_or_a_journal_that_is_missing_or_empty_is_refused_with_its_reason(client, db):
    await _admin(client, db)
    none = await post_form(client, "/tariffs/import", {})
    assert none.status_code == 422
    assert "Choose a file to import." in none.text[none.text.index('id="e-tariff-file"') :][:300]
    empty = await post_form(client, "/tariffs/import", {}, files={"file": ("t.json", b"")})
    assert empty.status_code == 422 and "Nothing was imported." in empty.text
    assert await _count(db, RussianTariff) == 0
    for files, message in (
        (None, "Choose a journal file (CSV) to import."),
        ({"file": ("j.csv", b"")}, "The file is empty or larger than 50 MB."),
    ):
        sent = await post_form(client, "/telegrams/import", {}, files=files)
        assert sent.status_code == 422 and 'aria-describedby="e-file"' in sent.text
        assert message in sent.text[sent.text.index('id="e-file"') :][:300]
    assert await _count(db, JournalUpload) == 0
