"""The Bitrix24 REST client against the emulator: error classes, faults, limits, batch, paging, OAuth."""

from __future__ import annotations

import asyncio
import logging
import time
from decimal import Decimal

import pytest

from crm.integrations.bitrix24 import (
    AuthError,
    Bitrix24Client,
    LeakyBucket,
    ListSpec,
    MethodError,
    NotFoundError,
    OAuthAuth,
    OAuthTokens,
    QueryLimitExceeded,
    TransientError,
    WebhookAuth,
    as_date,
    as_datetime,
    as_decimal,
    as_int,
)
from crm.integrations.bitrix24.query import http_build_query, parse_str
from tests.emulators.bitrix24 import Portal, running
from tests.emulators.fixtures import fast_portal, small_dataset


@pytest.fixture
def portal() -> Portal:
    return fast_portal()


@pytest.fixture
def emulator(portal: Portal):
    with running(portal) as server:
        yield server


COMPANIES = ListSpec("crm.company.list", select=("ID", "TITLE", "ASSIGNED_BY_ID"))


def hook(server, **kw) -> Bitrix24Client:
    kw.setdefault("backoff", 0.01)
    kw.setdefault("operating_wait", 0.2)
    return Bitrix24Client(WebhookAuth(server.webhook_url), bucket=LeakyBucket(1000, 1000), **kw)


def app_client(server, portal: Portal, tokens: dict, **kw) -> Bitrix24Client:
    auth = OAuthAuth(
        portal.client_id,
        portal.client_secret,
        OAuthTokens(tokens["access_token"], tokens["refresh_token"], server.client_endpoint),
        oauth_url=server.oauth_url,
    )
    kw.setdefault("backoff", 0.01)
    return Bitrix24Client(auth, bucket=LeakyBucket(1000, 1000), **kw)


def test_values_are_parsed_from_bitrix_strings() -> None:
    assert as_int("37") == 37 and as_int("") is None and as_int(None) is None
    assert as_decimal("19999.99") == Decimal("19999.99") and as_decimal("") is None
    moment = as_datetime("2024-09-09T02:00:00+02:00")
    assert moment is not None and moment.isoformat() == "2024-09-09T00:00:00+00:00"
    assert as_datetime("") is None
    assert str(as_date("2024-09-09T02:00:00+02:00")) == "2024-09-09"


def test_query_strings_round_trip_like_php() -> None:
    query = http_build_query({"filter": {">ID": 5, "@ID": [1, 2]}, "select": ["ID", "TITLE"], "start": -1, "x": True})
    assert query.startswith("filter[%3EID]=5&filter[%40ID][0]=1")
    assert parse_str(query) == {
        "filter": {">ID": "5", "@ID": ["1", "2"]},
        "select": ["ID", "TITLE"],
        "start": "-1",
        "x": "Y",
    }


async def test_a_webhook_call_returns_the_result_and_the_time_object(emulator) -> None:
    async with hook(emulator) as client:
        reply = await client.call("crm.company.list", {"order": {"ID": "ASC"}, "start": 0})
    assert len(reply.result) == 50 and reply.next == 50 and reply.total == 300
    assert "operating" in reply.time


async def test_a_wrong_webhook_code_is_fatal_and_its_message_hides_the_code(emulator) -> None:
    url = emulator.webhook_url.replace("hookcode", "wrongcode")
    async with Bitrix24Client(WebhookAuth(url), bucket=LeakyBucket(1000, 1000), backoff=0.01) as client:
        with pytest.raises(AuthError) as info:
            await client.call("crm.company.list")
    assert info.value.code == "INVALID_CREDENTIALS" and info.value.status == 401
    assert "wrongcode" not in str(info.value) and client.requests == 1


async def test_unknown_methods_and_missing_scopes_are_fatal(emulator, portal) -> None:
    async with hook(emulator) as client:
        with pytest.raises(AuthError) as info:
            await client.call("crm.nothing.list")
        assert info.value.code == "ERROR_METHOD_NOT_FOUND" and info.value.status == 404
        portal.scopes.discard("telephony")
        with pytest.raises(AuthError) as info:
            await client.call("voximplant.statistic.get")
        assert info.value.code == "insufficient_scope"
        assert client.retries == 0


async def test_not_found_is_its_own_class_and_other_4xx_are_not_retried(emulator) -> None:
    async with hook(emulator) as client:
        with pytest.raises(NotFoundError):
            await client.call("crm.deal.get", {"id": 999999})
        with pytest.raises(MethodError):
            await client.call("crm.company.list", {"filter": "oops"})
        assert client.retries == 0


@pytest.mark.parametrize("fault", ["503", "500", "502", "429", "drop"])
async def test_transient_faults_are_retried_until_the_call_succeeds(emulator, portal, fault) -> None:
    portal.inject(fault, count=3, method="crm.company.list")
    async with hook(emulator) as client:
        reply = await client.call("crm.company.list", {"start": -1})
    assert len(reply.result) == 50
    assert client.retries == 3 and client.requests == 4


async def test_a_slow_answer_beyond_the_timeout_is_retried(emulator, portal) -> None:
    portal.inject("timeout", count=1, method="crm.company.list", delay=1.0)
    async with hook(emulator, timeout=0.3) as client:
        reply = await client.call("crm.company.list", {"start": -1})
    assert len(reply.result) == 50 and client.retries == 1


async def test_transient_errors_give_up_after_the_retry_budget(emulator, portal) -> None:
    portal.inject("502", count=10, method="crm.company.list")
    async with hook(emulator, max_retries=2) as client:
        with pytest.raises(TransientError) as info:
            await client.call("crm.company.list")
    assert info.value.code == "BAD_BODY" and client.requests == 3


async def test_the_portal_rate_limit_is_never_hit_by_a_client_at_the_same_rate() -> None:
    portal = Portal(small_dataset(), rate=20.0, bucket=5.0)
    with running(portal) as server:
        client = Bitrix24Client(WebhookAuth(server.webhook_url), bucket=LeakyBucket(20.0, 4.0), backoff=0.01)
        started = time.monotonic()
        await asyncio.gather(*(client.call("scope") for _ in range(24)))
        elapsed = time.monotonic() - started
        await client.close()
    assert client.retries == 0 and portal.requests == 24
    assert elapsed >= (24 - 4) / 20.0 * 0.9  # the burst, then the drain rate


async def test_a_client_faster_than_the_portal_backs_off_on_503_and_still_succeeds() -> None:
    portal = Portal(small_dataset(), rate=20.0, bucket=3.0)
    with running(portal) as server:
        client = Bitrix24Client(WebhookAuth(server.webhook_url), bucket=LeakyBucket(1000, 1000), backoff=0.02)
        results = await asyncio.gather(*(client.call("scope") for _ in range(12)))
        await client.close()
    assert all(r.result for r in results) and client.retries > 0


async def test_the_operating_time_limit_blocks_only_that_method_until_reset() -> None:
    clock = [1_000_000.0]
    portal = Portal(
        small_dataset(),
        rate=1000,
        bucket=1000,
        operating_limit=1.0,
        costs={"crm.deal.list": 0.6},
        clock=lambda: clock[0],
    )
    with running(portal) as server:
        async with hook(server, limit_retries=0) as client:
            await client.call("crm.deal.list", {"start": -1})
            await client.call("crm.deal.list", {"start": -1})  # crosses the limit but completes
            with pytest.raises(TransientError) as info:
                await client.call("crm.deal.list", {"start": -1})
            assert info.value.code == "OPERATION_TIME_LIMIT"
            assert (await client.call("crm.company.list", {"start": -1})).result  # other methods still work
            clock[0] += 601
            client.blocked_until.clear()
            assert (await client.call("crm.deal.list", {"start": -1})).result


async def test_batch_runs_named_commands_with_references_and_per_command_errors(emulator) -> None:
    async with hook(emulator) as client:
        result = await client.batch(
            {
                "first": ("crm.company.list", {"order": {"ID": "ASC"}, "start": -1, "select": ["ID"]}),
                "owner": ("crm.company.get", {"id": "$result[first][0][ID]"}),
                "missing": ("crm.deal.get", {"id": 999999}),
                "nested": ("batch", {"cmd": {"x": "scope"}}),
            }
        )
    assert result.result["owner"]["ID"] == result.result["first"][0]["ID"]
    assert isinstance(result.errors["missing"], NotFoundError)
    assert result.errors["nested"].code == "ERROR_BATCH_METHOD_NOT_ALLOWED"


async def test_batch_splits_more_than_fifty_commands(emulator, portal) -> None:
    async with hook(emulator) as client:
        result = await client.batch({f"c{i:03d}": ("scope", {}) for i in range(120)})
    assert len(result.result) == 120 and not result.errors
    assert portal.calls_by_method.get("scope") == 120 and client.requests == 3


async def test_the_server_cuts_a_batch_at_fifty_commands(emulator, portal) -> None:
    from tests.emulators.bitrix24.portal import Portal as _P  # noqa: F401

    with portal.lock:
        out = portal.batch(
            {"cmd": {f"c{i}": "scope" for i in range(52)}},
            {"type": "webhook", "auth_id": "h", "user_id": 1, "admin": True},
        )
    assert out["result_error"]["c51"]["error"] == "ERROR_BATCH_LENGTH_EXCEEDED" and len(out["result"]) == 50


async def test_keyset_paging_through_chained_batches_reads_every_row_once(emulator, portal) -> None:
    async with hook(emulator) as client:
        ids = [int(r["ID"]) async for page in client.iter_keyset(COMPANIES) for r in page]
    assert ids == sorted(portal.tables["companies"].ids) and len(ids) == 300
    assert client.requests == 1  # 300 rows: 7 chained pages in one request


async def test_keyset_paging_one_page_per_request_stops_on_a_short_page(emulator) -> None:
    async with hook(emulator) as client:
        rows = [r async for page in client.iter_keyset(COMPANIES, {"INDUSTRY": "IT"}, chain=1) for r in page]
    assert rows and all(set(r) == {"ID", "TITLE", "ASSIGNED_BY_ID"} for r in rows)
    assert client.requests == len(rows) // 50 + 1


async def test_offset_paging_stops_when_next_is_absent_even_though_pages_wrap_around(emulator) -> None:
    async with hook(emulator) as client:
        ids = [r["ID"] async for page in client.iter_offset("crm.company.list", {"order": {"ID": "ASC"}}) for r in page]
        again = await client.call("crm.company.list", {"order": {"ID": "ASC"}, "start": 10_000})
    assert len(ids) == 300 == len(set(ids))
    assert again.result[0]["ID"] == ids[0]  # out of range: page 1 again


async def test_concurrent_calls_with_an_expired_token_refresh_it_once(emulator, portal) -> None:
    tokens = portal.issue_tokens()
    saved: list[OAuthTokens] = []

    async def persist(new: OAuthTokens) -> None:
        saved.append(new)

    client = app_client(emulator, portal, tokens)
    client.auth.on_refresh = persist
    portal.expire_tokens()
    replies = await asyncio.gather(*(client.call("crm.company.list", {"start": -1}) for _ in range(20)))
    await client.close()
    assert all(len(r.result) == 50 for r in replies)
    assert portal.refreshes == 1 and client.auth.refresh_count == 1 and len(saved) == 1
    assert saved[0].refresh_token != tokens["refresh_token"]  # rotated and handed over to be stored


async def test_a_refused_refresh_is_fatal(emulator, portal) -> None:
    tokens = portal.issue_tokens()
    portal.refresh_tokens.clear()
    portal.expire_tokens()
    async with app_client(emulator, portal, tokens) as client:
        with pytest.raises(AuthError) as info:
            await client.call("scope")
    assert info.value.code == "invalid_grant"


async def test_no_secret_reaches_a_log_line_or_an_error(emulator, portal, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    tokens = portal.issue_tokens()
    portal.inject("503", count=1)
    async with hook(emulator) as client:
        await client.call("scope")
    portal.expire_tokens()
    async with app_client(emulator, portal, tokens) as client:
        await client.call("scope")
        new_token = client.auth.tokens.access_token
    text = caplog.text
    code = next(iter(portal.webhooks.values()))
    for secret in (code, tokens["access_token"], tokens["refresh_token"], portal.client_secret, new_token):
        assert secret not in text
    assert "crm.bitrix24" in {r.name for r in caplog.records}


def test_plain_http_is_refused_except_for_loopback() -> None:
    with pytest.raises(AuthError):
        Bitrix24Client(WebhookAuth("http://portal.example.com/rest/1/abc/"))
    Bitrix24Client(WebhookAuth("http://127.0.0.1:9/rest/1/abc/"))


async def test_offline_events_are_not_for_webhooks(emulator) -> None:
    async with hook(emulator) as client:
        with pytest.raises(AuthError) as info:
            await client.call("event.offline.get", {"clear": 0})
    assert info.value.code == "WRONG_AUTH_TYPE"


async def test_the_offline_queue_merges_reserves_clears_and_marks_errors(emulator, portal) -> None:
    tokens = portal.issue_tokens()
    async with app_client(emulator, portal, tokens) as client:
        await client.call("event.bind", {"event": "ONCRMDEALUPDATE", "event_type": "offline"})
        deal = portal.tables["deals"].ids[0]
        for _ in range(5):
            portal.update("deal", deal, {"TITLE": "x"})
        first = (await client.call("event.offline.get", {"clear": 0})).result
        assert len(first["events"]) == 1 and first["process_id"]  # five changes merged into one free row
        portal.update("deal", deal, {"TITLE": "y"})  # reserved row: a new free one
        second = (await client.call("event.offline.get", {"clear": 0})).result
        assert len(second["events"]) == 1 and second["process_id"] != first["process_id"]
        again = (await client.call("event.offline.get", {"process_id": first["process_id"], "clear": 0})).result
        assert again["events"] == first["events"]  # re-read of an unfinished batch
        await client.call(
            "event.offline.clear",
            {"process_id": first["process_id"], "message_id": [first["events"][0]["MESSAGE_ID"]]},
        )
        await client.call(
            "event.offline.error",
            {"process_id": second["process_id"], "message_id": [second["events"][0]["MESSAGE_ID"]]},
        )
        assert (await client.call("event.offline.get", {"clear": 0})).result["events"] == []
        errors = (await client.call("event.offline.get", {"clear": 0, "error": 1})).result
        assert len(errors["events"]) == 1
        portal.offline_extended = False
        with pytest.raises(AuthError) as info:
            await client.call("event.offline.get", {"clear": 0})
        assert info.value.code == "WRONG_LICENSE"


async def test_changes_made_by_the_app_with_its_connector_are_not_echoed(emulator, portal) -> None:
    tokens = portal.issue_tokens()
    async with app_client(emulator, portal, tokens) as client:
        await client.call("event.bind", {"event": "ONCRMDEALUPDATE", "event_type": "offline", "auth_connector": "crm"})
        deal = portal.tables["deals"].ids[1]
        await client.call("crm.deal.update", {"id": deal, "fields": {"TITLE": "mine"}, "auth_connector": "crm"})
        assert (await client.call("event.offline.get", {"clear": 0, "auth_connector": "crm"})).result["events"] == []
        portal.update("deal", deal, {"TITLE": "theirs"})
        events = (await client.call("event.offline.get", {"clear": 0, "auth_connector": "crm"})).result["events"]
        assert len(events) == 1 and events[0]["EVENT_DATA"] == {"FIELDS": {"ID": deal}}


def test_query_limit_is_a_transient_error() -> None:
    assert QueryLimitExceeded("QUERY_LIMIT_EXCEEDED").transient


async def test_reports_are_published_to_a_chat_with_a_file_and_to_the_stream(emulator, portal) -> None:
    from crm.integrations.bitrix24 import publish

    async with hook(emulator) as client:
        message = await publish.chat_message(client, "chat2941", "Sales yesterday: 3,500")
        file_id = await publish.chat_file(client, "chat2941", "sales.png", b"\x89PNG...", "Chart")
        post = await publish.stream_post(client, "Weekly report", "Totals", "sales.xlsx", b"PK\x03\x04")
    assert message == 1 and file_id == 9001 and post > 0
    assert portal.files == [{"name": "sales.png", "size": 7, "folder": 5153}]
    assert [p["kind"] for p in portal.published] == ["message", "file", "post"]
    assert portal.published[2]["files"] == ["sales.xlsx"]


async def test_a_call_that_creates_something_is_not_repeated_after_a_server_error(emulator, portal) -> None:
    from crm.integrations.bitrix24 import publish

    portal.inject("500", count=1, method="im.message.add")
    async with hook(emulator) as client:
        with pytest.raises(TransientError):
            await publish.chat_message(client, "chat1", "hello")
        assert portal.published == [] and client.requests == 1
        portal.inject("503", count=1, method="im.message.add")  # refused before running: safe to retry
        assert await publish.chat_message(client, "chat1", "hello") == 1


async def test_an_injected_expired_token_is_refreshed_once_and_the_call_repeated(emulator, portal) -> None:
    tokens = portal.issue_tokens()
    portal.inject("expired_token", count=1, method="crm.deal.list")
    async with app_client(emulator, portal, tokens) as client:
        reply = await client.call("crm.deal.list", {"start": -1})
        assert len(reply.result) == 50 and portal.refreshes == 1
        portal.inject("expired_token", count=2, method="crm.deal.list")  # still expired after a refresh: fatal
        with pytest.raises(Exception) as info:
            await client.call("crm.deal.list", {"start": -1})
        assert getattr(info.value, "code", "") == "expired_token" and portal.refreshes == 2


async def test_a_slow_answer_within_the_timeout_is_simply_waited_for(emulator, portal) -> None:
    portal.inject("slow", count=1, method="scope", delay=0.3)
    async with hook(emulator, timeout=5) as client:
        started = time.monotonic()
        assert (await client.call("scope")).result
        assert time.monotonic() - started >= 0.3 and client.retries == 0


async def test_an_operating_limit_inside_a_chained_batch_waits_and_resumes_without_losing_rows() -> None:
    ticks = [1_000_000.0]

    def clock() -> float:  # every look at the clock moves the portal on by 20 s: the 10-minute window passes
        ticks[0] += 20.0
        return ticks[0]

    portal = Portal(
        small_dataset(), rate=1e9, bucket=1e9, operating_limit=0.5, costs={"crm.company.list": 0.2}, clock=clock
    )
    with running(portal) as server:
        async with hook(server, operating_wait=0.01) as client:
            ids = [int(r["ID"]) async for page in client.iter_keyset(COMPANIES) for r in page]
    assert ids == sorted(portal.tables["companies"].ids) and client.retries >= 1
