"""Tariffs from the old tool's fixture and the calculator API: reference values, warnings, errors."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from crm.features.tariffs import tariff_import
from crm.features.tariffs.models import Country, CountryTariff, RussianTariff
from tests.conftest import login, make_user, post_form

FIXTURES = Path(__file__).resolve().parents[2] / ".." / "shared" / "fixtures" / "telegrams"
TARIFFS = FIXTURES / "tariffs.django-fixture.json"
HEADERS: dict[str, str] = {}
COUNTRIES = [
    "Армения",
    "Беларусь",
    "Азербайджан",
    "Грузия",
    "Кыргызстан",
    "Казахстан",
    "Латвия",
    "Литва",
    "Молдова",
    "Таджикистан",
    "Туркменистан",
    "Узбекистан",
    "Украина",
    "Эстония",
]


async def load_tariffs(db):
    summary = await tariff_import.import_fixture(db, TARIFFS.read_bytes())
    await db.commit()
    return summary


async def bearer(client, email, roles, **kwargs):
    """A user with these roles and the headers of their API access token."""
    from crm.lib.db import alchemy_config
    from tests.conftest import DEFAULT_PASSWORD

    async with alchemy_config().get_session() as session:
        await make_user(session, email, roles, **kwargs)
    pair = (await client.post("/api/v1/auth/token", json={"email": email, "password": DEFAULT_PASSWORD})).json()
    return {"Authorization": f"Bearer {pair['access_token']}"}


async def _quote(client, headers=None, **params):
    query = {
        "date": "2022-01-01",
        "country": "Россия",
        "words": "10",
        "delivery": "ordinary",
        "notification": "none",
        "blank": "none",
        "deliver_on_date": "false",
        "paid_reply": "false",
        **params,
    }
    return await client.get("/api/v1/tariffs/quote", params=query, headers=headers or HEADERS)


async def test_the_real_tariff_fixture_imports_and_a_second_import_changes_nothing(client, db):
    first = await load_tariffs(db)
    assert first.errors == []
    assert (first.created, first.countries) == (4 + 18, 14)
    assert await db.scalar(select(func.count()).select_from(RussianTariff)) == 4
    assert sorted((await db.scalars(select(Country.name))).all()) == sorted(COUNTRIES)
    assert await db.scalar(select(func.count()).select_from(CountryTariff)) == 18
    second = await load_tariffs(db)
    assert (second.created, second.updated, second.unchanged, second.countries) == (0, 0, 22, 0)


async def test_the_calculator_api_gives_the_reference_values_of_the_spec(client, db):
    await load_tariffs(db)
    HEADERS.update(await bearer(client, "tg@example.com", ["telegraph"], telegraph_prefix="123002"))
    cases = [
        ({}, "83.00"),
        ({"delivery": "urgent"}, "116.00"),
        ({"delivery": "post"}, "99.00"),
        ({"delivery": "box"}, "83.00"),
        ({"notification": "ordinary"}, "233.00"),
        ({"notification": "urgent"}, "283.00"),
        ({"blank": "lux"}, "104.00"),
        ({"blank": "lux_v"}, "146.00"),
        ({"paid_reply": "true"}, "186.00"),
        ({"deliver_on_date": "true"}, "108.00"),
        ({"notification": "ordinary", "blank": "lux"}, "254.00"),
    ]
    for params, total in cases:
        response = await _quote(client, **params)
        assert response.status_code == 200, response.text
        assert response.json()["total"] == total, params
    zero = (await _quote(client, words="0")).json()
    assert (zero["total"], zero["vat"], zero["total_with_vat"]) == ("43.00", "8.60", "51.60")
    assert zero["components"] == {
        "delivery": "43.00",
        "words": "0.00",
        "notification": "0.00",
        "blank": "0.00",
        "deliver_on_date": "0.00",
        "paid_reply": "0.00",
    }
    assert zero["warnings"] == []


async def test_the_tariff_in_force_follows_the_interval_in_the_organisations_zone(client, db):
    await load_tariffs(db)
    HEADERS.update(await bearer(client, "tg@example.com", ["telegraph"], telegraph_prefix="123002"))
    assert (await _quote(client, date="2022-09-30", words="0")).json()["total"] == "43.00"
    assert (await _quote(client, date="2022-10-01", words="0")).json()["total"] == "47.30"


async def test_warnings_are_all_listed_and_country_permissions_apply(client, db):
    await load_tariffs(db)
    HEADERS.update(await bearer(client, "tg@example.com", ["telegraph"], telegraph_prefix="123002"))
    body = (
        await _quote(client, notification="urgent", delivery="box", paid_reply="true", deliver_on_date="true")
    ).json()
    assert {
        "notification_with_box",
        "notification_with_paid_reply",
        "urgent_notification_with_deliver_on_date",
        "deliver_on_date_with_box",
        "deliver_on_date_with_paid_reply",
        "paid_reply_with_box",
    } <= set(body["warning_codes"])
    assert len(body["warnings"]) == len(body["warning_codes"])
    georgia = (await _quote(client, country="Грузия", blank="lux", deliver_on_date="true", delivery="post")).json()
    assert set(georgia["warning_codes"]) == {
        "country_lux",
        "country_deliver_on_date",
        "deliver_on_date_with_post",
    }
    assert georgia["components"]["words"] == "300.00"
    armenia = (await _quote(client, country="Армения", notification="ordinary", delivery="box", blank="lux_v")).json()
    assert {"country_notification_ordinary", "country_box", "country_lux_v"} <= set(armenia["warning_codes"])
    assert (
        "country_deliver_on_date"
        in (await _quote(client, country="Литва", deliver_on_date="true")).json()["warning_codes"]
    )


async def test_bad_input_and_missing_tariffs_answer_422_naming_the_field(client, db):
    await load_tariffs(db)
    HEADERS.update(await bearer(client, "tg@example.com", ["telegraph"], telegraph_prefix="123002"))
    cases = [
        ({"date": "2030-01-01"}, "date"),
        ({"date": "01.01.2022"}, "date"),
        ({"date": ""}, "date"),
        ({"words": "-1"}, "words"),
        ({"words": "ten"}, "words"),
        ({"country": "Атлантида"}, "country"),
        ({"country": "Армения", "date": "2018-06-01"}, "country"),
        ({"delivery": "pigeon"}, "delivery"),
        ({"date": "2020-06-01"}, "date"),
    ]
    for params, field in cases:
        response = await _quote(client, **params)
        assert response.status_code == 422, (params, response.text)
        body = response.json()
        assert body["errors"][0]["field"] == field, (params, body)
        assert body["detail"]


async def test_people_without_a_telegraph_role_cannot_use_the_calculator(client, db):
    headers = await bearer(client, "m@example.com", ["manager"])
    assert (await _quote(client, headers)).status_code == 403


async def test_an_overlapping_or_reversed_interval_is_refused_and_nothing_changes(client, db):
    await load_tariffs(db)
    await make_user(db, "admin@example.com", ["admin"])
    await login(client, "admin@example.com")
    tariff = await db.scalar(select(RussianTariff).order_by(RussianTariff.valid_from.desc()))
    prices = {
        k: "1"
        for k in (
            "delivery_ordinary",
            "delivery_urgent",
            "delivery_post",
            "delivery_box",
            "word_ordinary",
            "word_urgent",
            "notification_ordinary",
            "notification_urgent",
            "lux",
            "lux_v",
            "deliver_on_date",
            "vat_percent",
        )
    }
    overlap = await post_form(
        client, "/tariffs/russian/new", {"valid_from": "2022-01-01", "valid_to": "2022-02-01", **prices}
    )
    assert overlap.status_code == 422
    assert "2021-06-01 00:00 – 2022-10-01 00:00" in overlap.text  # the tariff it overlaps is named
    reversed_ = await post_form(
        client,
        f"/tariffs/russian/{tariff.id}",
        {"valid_from": "2030-01-01", "valid_to": "2029-01-01", **prices},
    )
    assert reversed_.status_code == 422
    assert await db.scalar(select(func.count()).select_from(RussianTariff)) == 4
    await db.refresh(tariff)
    assert str(tariff.delivery_ordinary) != "1.0000"
    ok = await post_form(
        client,
        "/tariffs/russian/new",
        {"valid_from": "2030-01-01", "valid_to": "2031-01-01", **prices},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    assert await db.scalar(select(func.count()).select_from(RussianTariff)) == 5
