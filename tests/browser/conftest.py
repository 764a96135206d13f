"""A live server (the real `crm run`, worker in-process) and headless Debian Chromium driven by Playwright.

Screenshots land in test-artifacts/screenshots/ for people to look at.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ARTIFACTS, require_service

CHROMIUM = os.environ.get("CRM_CHROMIUM", "/usr/bin/chromium")
SHOTS = ARTIFACTS / "screenshots"
VIEWPORTS = {"desktop": {"width": 1280, "height": 860}, "phone": {"width": 360, "height": 740}}


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(database: str) -> Iterator[str]:
    port = _port()
    env = {**os.environ, "CRM_WORKER_IN_PROCESS": "true", "CRM_BASE_URL": f"http://127.0.0.1:{port}"}
    ARTIFACTS.mkdir(exist_ok=True)
    log = open(ARTIFACTS / "live-server.log", "w")  # noqa: SIM115 - closed when the server stops
    crm = Path(sys.executable).with_name("crm")
    process = subprocess.Popen(
        [str(crm), "run", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            pytest.fail(f"crm run exited with {process.returncode}; see {ARTIFACTS / 'live-server.log'}")
        time.sleep(0.3)
    else:
        process.terminate()
        pytest.fail("the live server did not become healthy in 30 s")
    yield url
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Any]:
    require_service(Path(CHROMIUM).exists() or bool(shutil.which("chromium")), "Debian chromium (/usr/bin/chromium)")
    from playwright.async_api import async_playwright, expect

    # The suite shares two cores with the live server, its worker and PostgreSQL: an HTMX swap can take longer
    # than Playwright's 5 s default under that load without anything being wrong. Waits stay waits for a state.
    expect.set_options(timeout=15_000)
    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        await browser.close()


@pytest.fixture(params=list(VIEWPORTS))
async def page(request: pytest.FixtureRequest, browser: Any, live_server: str, client: Any) -> AsyncIterator[Any]:
    """A fresh browser page at desktop and at phone width, on an empty database; console errors fail the test."""
    context = await browser.new_context(viewport=VIEWPORTS[request.param], base_url=live_server, locale="ru-RU")
    page = await context.new_page()
    page.viewport_name = request.param  # type: ignore[attr-defined]
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    await context.close()
    # Form validation answers 422 on purpose; anything else in the console is a defect.
    assert not [e for e in errors if "status of 422" not in e], errors


async def shot(page: Any, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}-{page.viewport_name}.png"
    # caret="initial": Playwright otherwise hides the caret with an empty style attribute on every input, which
    # htmx then copies onto swapped-in inputs (blocked by the page's CSP, a console error)
    await page.screenshot(path=str(path), full_page=True, caret="initial")
    return path


async def sign_in(page: Any, email: str, password: str) -> None:
    await page.goto("/login")
    await page.fill("input[name=email]", email)
    await page.fill("input[name=password]", password)
    async with page.expect_navigation():
        await page.click("form[action='/login'] button[type=submit]")
