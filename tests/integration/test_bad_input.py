"""Nasty input gets a clear 4xx (or is ignored as a filter), never a 500."""

from __future__ import annotations

from tests.conftest import DEFAULT_PASSWORD, login, make_user
from tests.integration.test_tariffs_calculator import load_tariffs


async def test_absurd_numbers_and_dates_in_filters_and_quotes_never_give_500(client, db):
    await load_tariffs(db)
    await make_user(db, "admin@example.com", ["admin"])
    await login(client, "admin@example.com")
    urls = [
        "/users?department=²",
        "/users?department=99999999999999999999999",
        "/companies?department=²&responsible=²&responsible=1e9",
        "/telegrams?inp_num=99999999999&date_to=9999-12-31",
        "/leads/contacts?source=²",
        "/leads/stats?to=9999-12-31",
        "/tariffs/calculator?date=2022-01-01&words=1000000000000000000000000000",
    ]
    for url in urls:
        response = await client.get(url)
        assert response.status_code < 500, (url, response.status_code)
    token = (
        await client.post("/api/v1/auth/token", json={"email": "admin@example.com", "password": DEFAULT_PASSWORD})
    ).json()["access_token"]
    quote = await client.get(
        "/api/v1/tariffs/quote",
        params={"date": "2022-01-01", "words": "1000000000000000000000000000"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert quote.status_code == 422 and "words" in quote.text
    stats = await client.get("/leads/stats?from=0001-01-01")
    assert stats.status_code < 500


def test_nan_infinite_or_enormous_prices_are_field_errors_not_crashes():
    from crm.features.tariffs.tariffs import parse_prices
    from crm.lib.web import FormErrors

    errors = FormErrors()
    values = parse_prices(
        {"a": "NaN", "b": "Infinity", "c": "1e15", "d": "-1", "e": "43,50"}, ("a", "b", "c", "d", "e"), errors
    )
    assert set(errors) == {"a", "b", "c", "d"}
    assert str(values["e"]) == "43.50"
