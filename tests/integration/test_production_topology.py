"""Production as it runs: a web process with no worker inside and a separate ``crm workers run`` process.

A job asked for on a page (a password reset mail) must wait in the queue while only the web process runs, and be
done by the worker process once it starts, on a Redis queue and on a PostgreSQL queue alike.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ARTIFACTS, PG_SERVER, REDIS_URL, _admin_execute, _free_port, make_user, require_service

CRM = Path(sys.executable).with_name("crm")
QUEUE_DB = f"crm_test_queue_{os.getpid()}"


def _redis_queue_url() -> str:
    """A Redis database of its own (the other tests use REDIS_URL's), emptied before use."""
    import redis

    url = REDIS_URL.rsplit("/", 1)[0] + "/14"
    try:
        client = redis.Redis.from_url(url)
        client.flushdb()
        client.close()
    except Exception:
        require_service(False, f"Redis at {url}")
    return url


class Process:
    """A ``crm`` subprocess with its output in test-artifacts, stopped with SIGTERM like a service manager does."""

    def __init__(self, name: str, args: list[str], env: dict[str, str]) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.log_path = ARTIFACTS / f"topology-{name}.log"
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen([str(CRM), *args], env=env, stdout=self._log, stderr=subprocess.STDOUT)

    def output(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> int:
        self.process.terminate()
        try:
            code = self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait(5)
        self._log.close()
        return code


@pytest.fixture(params=["redis", "postgresql"])
def production_env(request: pytest.FixtureRequest, database: str) -> Iterator[dict[str, str]]:
    if request.param == "redis":
        queue = _redis_queue_url()
    else:
        asyncio.run(_admin_execute(f'DROP DATABASE IF EXISTS "{QUEUE_DB}"', f'CREATE DATABASE "{QUEUE_DB}"'))
        queue = f"{PG_SERVER}/{QUEUE_DB}"
    env = {**os.environ, "CRM_QUEUE_URL": queue}
    env.pop("CRM_WORKER_IN_PROCESS", None)  # production leaves it unset: a queue URL means no in-process worker
    yield env
    if request.param == "postgresql":
        asyncio.run(_admin_execute(f'DROP DATABASE IF EXISTS "{QUEUE_DB}" WITH (FORCE)'))


def _wait_healthy(url: str, web: Process) -> None:
    deadline = time.time() + 30
    while time.time() < deadline:
        if not web.alive():
            pytest.fail(f"crm run exited:\n{web.output()[-3000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    pytest.fail(f"the web process did not become healthy in 30 s:\n{web.output()[-3000:]}")


def _ask_for_a_reset_mail(url: str, email: str) -> None:
    with httpx.Client(base_url=url, timeout=10) as browser:
        assert browser.get("/password/forgot").status_code == 200
        token = browser.cookies.get("crm_csrf") or ""
        answer = browser.post("/password/forgot", data={"email": email, "_csrf_token": token})
        assert answer.status_code == 200, answer.text[:500]


async def _wait_for_mail(mailbox: list[Any], seconds: float) -> bool:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if mailbox:
            return True
        await asyncio.sleep(0.2)
    return bool(mailbox)


async def test_a_job_asked_on_a_page_is_done_by_the_separate_worker_process(production_env, db, mailbox):
    await make_user(db, "owner@example.com", ["manager"])
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    web = Process("web", ["run", "--host", "127.0.0.1", "--port", str(port)], {**production_env, "CRM_BASE_URL": url})
    worker: Process | None = None
    try:
        _wait_healthy(url, web)
        await asyncio.to_thread(_ask_for_a_reset_mail, url, "owner@example.com")
        # The web process runs no worker: the job waits in the queue.
        assert not await _wait_for_mail(mailbox, 3), "the web process ran a job although it has no worker"

        worker = Process("worker", ["workers", "run"], production_env)
        assert await _wait_for_mail(mailbox, 30), f"the worker process sent no mail:\n{worker.output()[-3000:]}"
        assert worker.alive(), worker.output()[-3000:]
        message = mailbox[0]
        assert message["To"] == "owner@example.com"
        text = "".join(
            part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
            for part in message.walk()
            if part.get_content_type() == "text/plain"
        )
        assert f"{url}/password/reset/" in text
        assert "SAQPlugin" not in worker.output()
    finally:
        if worker is not None:
            assert worker.stop() in (0, -15), worker.output()[-3000:]
        web.stop()
