"""The emulator speaks like Bitrix24: envelopes, paging kinds, PHP's JSON quirks, batch references, auth."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.emulators.bitrix24 import Portal, running
from tests.emulators.fixtures import fast_portal


@pytest.fixture
def portal() -> Portal:
    return fast_portal()


@pytest.fixture
def server(portal: Portal) -> Iterator[Any]:
    with running(portal) as s:
        yield s


def post(server: Any, method: str, body: dict[str, Any] | None = None, **kw: Any) -> httpx.Response:
    return httpx.post(server.webhook_url + method, json=body or {}, timeout=10, **kw)


def test_errors_have_no_time_object_and_the_documented_status(server) -> None:
    reply = post(server, "crm.nothing.list")
    assert reply.status_code == 404 and reply.json() == {
        "error": "ERROR_METHOD_NOT_FOUND",
        "error_description": "Method not found!",
    }
    missing = post(server, "crm.deal.get", {"id": 10**9})
    assert missing.status_code == 400 and missing.json() == {"error": "", "error_description": "Not found"}
    anonymous = httpx.post(server.client_endpoint + "crm.deal.list", json={}, timeout=10)
    assert anonymous.status_code == 401 and anonymous.json()["error"] == "NO_AUTH_FOUND"


def test_legacy_lists_floor_start_and_keyset_lists_have_no_total_or_next(server) -> None:
    floored = post(server, "crm.company.list", {"order": {"ID": "ASC"}, "start": 75}).json()
    assert floored["next"] == 100 and floored["total"] == 300 and len(floored["result"]) == 50
    assert "time" in floored and "operating" in floored["time"]
    keyset = post(server, "crm.company.list", {"order": {"ID": "ASC"}, "start": -1, "filter": {">ID": 0}}).json()
    assert keyset["total"] == 0 and "next" not in keyset
    assert all(set(r) >= {"ID", "TITLE"} and isinstance(r["ID"], str) for r in keyset["result"])


def test_orm_lists_offset_exactly_and_an_empty_user_list_has_no_total(server) -> None:
    page = post(server, "voximplant.statistic.get", {"SORT": "ID", "ORDER": "ASC", "start": 75}).json()
    assert page["result"][0]["ID"] == "76" and page["next"] == 125
    nobody = post(server, "user.get", {"FILTER": {"ID": 10**9}}).json()
    assert nobody["result"] == [] and "total" not in nobody
    categories = post(server, "crm.category.list", {"entityTypeId": 2}).json()
    assert categories["result"]["categories"][0]["id"] == 0 and "next" not in categories


def test_batch_maps_follow_php_json_and_references_resolve(server) -> None:
    numeric = post(server, "batch", {"cmd": {"0": "scope", "1": "crm.deal.get?id=999999999"}}).json()["result"]
    assert isinstance(numeric["result"], list)  # keys 0..n-1 → a JSON list
    assert numeric["result_error"] == {"1": {"error": "", "error_description": "Not found"}}  # key 1 alone: object
    assert numeric["result_total"] == [] and numeric["result_next"] == []
    chained = post(
        server,
        "batch",
        {
            "halt": 0,
            "cmd": {
                "a": "crm.company.list?order%5BID%5D=ASC&start=0",
                "b": "crm.company.list?order%5BID%5D=ASC&start=$next[a]",
                "c": "crm.company.get?id=$result[a][0][ID]",
            },
        },
    ).json()["result"]
    assert chained["result_next"] == {"a": 50, "b": 100}
    assert int(chained["result"]["b"][0]["ID"]) > int(chained["result"]["a"][-1]["ID"])  # start=$next[a]: page 2
    assert chained["result"]["c"]["ID"] == chained["result"]["a"][0]["ID"]


def test_form_and_query_bodies_are_read_like_php(server) -> None:
    reply = httpx.post(
        server.webhook_url + "crm.company.list.json?start=-1", data={"filter[>ID]": "0", "select[0]": "ID"}, timeout=10
    ).json()
    assert len(reply["result"]) == 50 and set(reply["result"][0]) == {"ID"}


def test_the_leaky_bucket_answers_503_when_full() -> None:
    portal = Portal(None, rate=0.001, bucket=3)
    with running(portal) as s:
        statuses = [post(s, "scope").status_code for _ in range(5)]
    assert statuses[:3] == [200, 200, 200] and statuses[-1] == 503  # the level drains a little between requests
