"""Fuzzing the JSON API from its OpenAPI schema: whatever a client sends, the answer is never a server error.

Schemathesis generates valid and invalid requests for every operation of /docs/openapi.json (bounded,
derandomized: the same cases on every run) and they are sent, as a signed-in admin, to the app of the test
session. Hypothesis runs in a worker thread and hands each request to the session's event loop, where the app,
its database pool and the test client live.
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from tests.conftest import DEFAULT_PASSWORD, make_user

# Cases per operation (valid and invalid ones): 30 keeps the run under a minute; `make fuzz` asks for more.
MAX_EXAMPLES = int(os.environ.get("CRM_FUZZ_EXAMPLES", "30"))
BASE_URL = "http://testserver.local"

pytestmark = pytest.mark.timeout(600)


def _operations(raw_schema: dict[str, Any]) -> list[Any]:
    schema = schemathesis.openapi.from_dict(raw_schema)
    return [result.ok() for result in schema.get_all_operations()]


def _fuzz(operation: Any, send: Any, headers: dict[str, str], failures: list[str]) -> None:
    """Runs in a worker thread: Hypothesis draws cases, ``send`` runs each request on the event loop."""
    strategy = st.one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))

    @hypothesis.settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    @hypothesis.given(case=strategy)
    def run(case: Any) -> None:
        kwargs = case.as_transport_kwargs(base_url=BASE_URL, headers=headers)
        response = send(kwargs)
        case.validate_response(response, checks=[not_a_server_error], headers=kwargs.get("headers"))

    try:
        run()
    except (Exception, BaseExceptionGroup) as exc:  # one report per operation (a FailureGroup of schemathesis)
        failures.append(f"{operation.method.upper()} {operation.path}: {exc}")


async def _seed(client: Any, db: Any, headers: dict[str, str]) -> None:
    """An operator, a source with a weight, a lead and its contact: ids 1 exist, so fuzzed ids reach past 404s."""
    await make_user(db, "operator@example.com", ["operator"])
    answers = [
        await client.post("/api/v1/operators", json={"email": "operator@example.com"}, headers=headers),
        await client.post("/api/v1/sources", json={"name": "Site"}, headers=headers),
        await client.put("/api/v1/sources/1/competences", json=[{"operator_id": 1, "weight": 10}], headers=headers),
        await client.post(
            "/api/v1/contacts", json={"source_id": 1, "lead": {"phone": "+79123456789"}}, headers=headers
        ),
    ]
    assert [a.status_code for a in answers] == [201, 201, 200, 201], [a.text for a in answers]


async def test_no_api_operation_answers_a_server_error_to_fuzzed_input(client, db):
    await make_user(db, "admin@example.com", ["admin"])
    token = await client.post("/api/v1/auth/token", json={"email": "admin@example.com", "password": DEFAULT_PASSWORD})
    assert token.status_code == 200, token.text
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    await _seed(client, db, headers)
    raw_schema = (await client.get("/docs/openapi.json")).json()
    operations = _operations(raw_schema)
    assert len(operations) > 20
    loop = asyncio.get_running_loop()

    async def request(kwargs: dict[str, Any]) -> Any:
        data = kwargs.get("data")
        sent = {
            "params": kwargs.get("params"),
            "headers": kwargs.get("headers"),
            "json": kwargs.get("json"),
            "content": data if isinstance(data, bytes | str) else None,
            "data": data if isinstance(data, dict) else None,
            "files": kwargs.get("files"),
            "cookies": kwargs.get("cookies"),
        }
        return await client.request(kwargs["method"], kwargs["url"], **{k: v for k, v in sent.items() if v})

    def send(kwargs: dict[str, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(request(kwargs), loop).result(timeout=60)

    failures: list[str] = []
    started = time.monotonic()
    for operation in operations:
        await asyncio.to_thread(_fuzz, operation, send, headers, failures)
    elapsed = time.monotonic() - started
    assert not failures, f"{len(failures)} server error(s) in {elapsed:.0f} s:\n" + "\n\n".join(failures[:20])
