"""Logs: CRM_LOG_FORMAT=json gives one JSON object per line with the request's id; no password, token or key of
what went through the service appears in them (a real `crm run` with its real logging)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import httpx

from crm.lib import logs
from tests.conftest import ARTIFACTS, _free_port, make_user

PASSWORD = "Sup3r-secret-pass-2026"


def _record(message: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("crm.test", logging.WARNING, __file__, 1, message, args, None)


def test_a_json_line_carries_the_request_id_and_no_secret() -> None:
    token = logs.bind(request_id="r1234")
    try:
        record = _record(
            "calling %s with password=%s and Authorization: Bearer %s",
            "https://portal.bitrix24.ru/rest/1/q1w2e3r4t5y6/crm.deal.list",
            "hunter2-hunter2",
            "eyJhbGciOiJIUzI1NiJ9.payload.sig",
        )
        logs.ContextFilter().filter(record)
    finally:
        logs.context.reset(token)
    line = logs.JsonFormatter().format(record)
    event = json.loads(line)
    assert event["request_id"] == "r1234" and event["level"] == "warning" and event["logger"] == "crm.test"
    for secret in ("q1w2e3r4t5y6", "hunter2", "eyJhbGciOiJIUzI1NiJ9"):
        assert secret not in line
    assert "/rest/1/***/crm.deal.list" in event["message"]


def test_the_plain_format_redacts_too() -> None:
    formatter = logs.RedactingFormatter("%(levelname)s %(message)s")
    line = formatter.format(_record('smtp {"password": "pa55word!", "user": "crm"} via smtp://crm:pa55word!@mail'))
    assert "pa55word" not in line and '"user": "crm"' in line


async def test_a_running_server_with_json_logs_writes_no_password_or_token(db, tmp_path: Path) -> None:
    await make_user(db, "admin@example.com", ["admin"], password=PASSWORD)
    port = _free_port()
    log_path = ARTIFACTS / "json-logs-server.log"
    ARTIFACTS.mkdir(exist_ok=True)
    env = {**os.environ, "CRM_LOG_FORMAT": "json", "CRM_WORKER_IN_PROCESS": "false"}
    with log_path.open("w") as out:
        server = subprocess.Popen(  # noqa: ASYNC220 - the server runs beside the test, not awaited
            [str(Path(sys.executable).with_name("crm")), "run", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            async with httpx.AsyncClient(base_url=url) as http:
                for _ in range(100):
                    try:
                        if (await http.get("/health", timeout=1)).status_code == 200:
                            break
                    except httpx.HTTPError:
                        await asyncio.sleep(0.3)
                await http.post(
                    "/api/v1/auth/token", json={"email": "admin@example.com", "password": "wrong-" + PASSWORD}
                )
                pair = (
                    await http.post("/api/v1/auth/token", json={"email": "admin@example.com", "password": PASSWORD})
                ).json()
                bearer = {"Authorization": f"Bearer {pair['access_token']}"}
                assert (await http.get("/api/v1/me", headers=bearer)).status_code == 200
                await http.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
                await http.get("/api/v1/me", headers={"Authorization": "Bearer crm_not-a-real-token-0123456789"})
                await http.get(f"/companies?password={PASSWORD}&token={pair['refresh_token']}")  # secrets in a URL
                await http.get("/api/v1/companies?page=-1", headers=bearer)  # a refused request
                await http.get("/metrics")
        finally:
            server.terminate()
            server.wait(15)
    text = log_path.read_text()
    lines = [line for line in text.splitlines() if line.strip()]
    assert lines, "the server wrote no log line"
    events = [json.loads(line) for line in lines if line.startswith("{")]
    assert len(events) == len(lines), text[:3000]
    assert any(e["logger"] == "uvicorn.access" and "/companies?password=***" in e["message"] for e in events)
    for secret in (PASSWORD, pair["access_token"], pair["refresh_token"], "crm_not-a-real-token"):
        assert secret not in text
