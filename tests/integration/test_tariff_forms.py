"""The editing forms of tariffs and telegraph clients, new and existing, through the real routes."""

from __future__ import annotations

import re

from sqlalchemy import select

from crm.features.tariffs.models import Country, CountryTariff, RussianTariff, TelegramClient
from crm.features.tariffs.tariffs import RUSSIAN_PRICE_FIELDS
from tests.conftest import login, make_user, post_form

PRICES = {name: "10.00" for name in RUSSIAN_PRICE_FIELDS} | {"vat_percent": "20.00"}


async def _post(client, url, data):
    return await post_form(client, url, data, follow_redirects=False)


async def _admin(client, db):
    await make_user(db, "admin@example.com", ["admin"])
    await login(client, "admin@example.com")


async def test_a_russian_tariff_is_created_then_edited_through_its_form(client, db):
    await _admin(client, db)
    assert (await client.get("/tariffs/russian/new")).status_code == 200
    bad = await _post(client, "/tariffs/russian/new", {"valid_from": "soon", **PRICES})
    assert bad.status_code == 422 and 'value="soon"' in bad.text  # what was typed is kept
    created = await _post(
        client, "/tariffs/russian/new", {"valid_from": "2030-01-01", "valid_to": "2031-01-01", **PRICES}
    )
    assert created.status_code == 303, created.text[:500]
    tariff = await db.scalar(select(RussianTariff).order_by(RussianTariff.id.desc()))
    page = await client.get(f"/tariffs/russian/{tariff.id}")
    assert page.status_code == 200 and "2030-01-01" in page.text
    changed = await _post(
        client,
        f"/tariffs/russian/{tariff.id}",
        {"valid_from": "2030-01-01", "valid_to": "2031-01-01", **PRICES, "word_urgent": "12.50"},
    )
    assert changed.status_code == 303, re.findall(
        r"<title>[^<]*|class=\"error\"[^>]*>[^<]*|alert[^>]*>[^<]*", changed.text
    )
    await db.refresh(tariff)
    assert str(tariff.word_urgent).startswith("12.5")
    assert (await client.get("/tariffs/russian/999999")).status_code == 404


async def test_a_country_tariff_is_added_then_changed(client, db):
    await _admin(client, db)
    country = Country(name="Армения")
    db.add(country)
    await db.commit()
    url = f"/tariffs/countries/{country.id}/tariffs"
    added = await _post(
        client,
        url,
        {"valid_from": "2030-01-01", "valid_to": "2031-01-01", "word_ordinary": "7.00", "word_urgent": "9.00"},
    )
    assert added.status_code == 303, added.text[:500]
    tariff = await db.scalar(select(CountryTariff).where(CountryTariff.country_id == country.id))
    changed = await _post(
        client,
        f"{url}/{tariff.id}",
        {"valid_from": "2030-01-01", "valid_to": "2031-01-01", "word_ordinary": "7.50", "word_urgent": "9.00"},
    )
    assert changed.status_code == 303, re.findall(
        r"<title>[^<]*|class=\"error\"[^>]*>[^<]*|alert[^>]*>[^<]*", changed.text
    )
    await db.refresh(tariff)
    assert str(tariff.word_ordinary).startswith("7.5")
    assert (await _post(client, f"{url}/999999", {"valid_from": "2030-01-01"})).status_code == 404


async def test_a_telegraph_client_is_created_then_edited(client, db):
    await _admin(client, db)
    assert (await client.get("/telegram-clients/new")).status_code == 200
    form = {"code": "77", "short_name": "Ромашка", "full_name": "ООО «Ромашка»", "inn": "7701234567", "email": ""}
    assert (await _post(client, "/telegram-clients/new", form)).status_code == 303
    created = await db.scalar(select(TelegramClient).where(TelegramClient.code == "77"))
    assert (await client.get(f"/telegram-clients/{created.id}")).status_code == 200
    edited = await _post(client, f"/telegram-clients/{created.id}", form | {"short_name": "Ромашка-2"})
    assert edited.status_code == 303
    await db.refresh(created)
    assert created.short_name == "Ромашка-2"
    assert (await client.get("/telegram-clients/999999")).status_code == 404
