"""Helpers shared by the benchmarks: a fresh database, the real app in a subprocess, a signed-in client.

Settings are read once per process (``crm.config.get_settings`` is cached), so importing this module sets
the ``CRM_*`` environment before anything from ``crm`` is imported. Import it first in every benchmark.

Connection: CRM_BENCH_PG (default postgresql://postgres@127.0.0.1:5432, trust auth); the database is
``crm_bench``, dropped and recreated by ``reset_database``.
"""

from __future__ import annotations

import asyncio
import atexit
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = ROOT / ".venv" / "bin"
PG_SERVER = os.environ.get("CRM_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
# CRM_BENCH_DB names another database, so that two benchmarks can keep their data side by side
BENCH_DB = os.environ.get("CRM_BENCH_DB", "crm_bench")
PG_DSN = f"{PG_SERVER}/{BENCH_DB}"
SECRET_KEY = "bench-secret-key-not-for-production-0123456789"
ADMIN_EMAIL = "admin@example.com"
# Every generated user has this password (one Argon2 hash is computed and reused for all of them).
PASSWORD = "bench-password-2026"

VAR_DIR = Path(tempfile.mkdtemp(prefix="crm-bench-var-"))
atexit.register(shutil.rmtree, VAR_DIR, ignore_errors=True)

BENCH_ENV = {
    "CRM_DATABASE_URL": f"{PG_SERVER.replace('postgresql://', 'postgresql+asyncpg://')}/{BENCH_DB}",
    "CRM_WORKER_IN_PROCESS": "false",
    "CRM_SECRET_KEY": SECRET_KEY,
    "CRM_VAR_DIR": str(VAR_DIR),
}
# Whatever the caller's shell has must not change the figures (Redis sessions, another queue, locale).
UNSET = (
    "CRM_QUEUE_URL",
    "CRM_REDIS_URL",
    "CRM_TIMEZONE",
    "CRM_LOCALE",
    "CRM_SECURE_COOKIES",
    "CRM_PASSWORD_HASH_PROFILE",
    "CRM_SMTP_HOST",
)

os.environ.update(BENCH_ENV)
for _key in UNSET:
    os.environ.pop(_key, None)


# --------------------------------------------------------------------------- database


async def _admin_execute(*statements: str) -> None:
    conn = await asyncpg.connect(f"{PG_SERVER}/postgres")
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


async def reset_database() -> None:
    """Drop and recreate ``crm_bench``, create the schema from the models and seed the built-in roles."""
    from crm import models
    from crm.features.accounts.services import ensure_builtin_roles
    from crm.lib.db import alchemy_config

    await _admin_execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)', f'CREATE DATABASE "{BENCH_DB}"')
    config = alchemy_config()
    try:
        async with config.get_engine().begin() as conn:
            await conn.run_sync(models.metadata.create_all)
            await create_trigram_indexes(conn)
        async with config.get_session() as session:
            await ensure_builtin_roles(session)
            await session.commit()
    finally:
        await config.get_engine().dispose()


async def create_trigram_indexes(conn: Any) -> None:
    """The search indexes the migrations make where the server has pg_trgm (not part of the models)."""
    from sqlalchemy import text

    from crm.features.clients.models import TRIGRAM_INDEXES

    await conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    for statement in TRIGRAM_INDEXES:
        await conn.execute(text(statement))


async def connect() -> asyncpg.Connection:
    """A raw asyncpg connection to the bench database (COPY, EXPLAIN, ANALYZE)."""
    return await asyncpg.connect(PG_DSN)


async def analyze() -> None:
    """Fresh planner statistics after bulk loading, as autovacuum would have them in production."""
    conn = await connect()
    try:
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()


async def server_version() -> str:
    conn = await connect()
    try:
        return str(await conn.fetchval("SELECT version()"))
    finally:
        await conn.close()


def run(coro: object) -> object:
    return asyncio.run(coro)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- the app in a subprocess


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Case:
    """One timed GET of a page benchmark."""

    name: str
    path: str
    params: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    # What a correct answer looks like (the benchmark fails rather than time an error page).
    check: Callable[[httpx.Response], str | None] = lambda r: None
    page: bool = True  # a list page: the p95 target applies
    partial: bool = False  # the 50-row table partial: the size target applies


@dataclass
class Server:
    base_url: str
    process: subprocess.Popen[bytes]
    log: Path


def _wait_healthy(server: Server, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"the server exited with {server.process.returncode}:\n{server.log.read_text()[-4000:]}")
        try:
            response = httpx.get(f"{server.base_url}/health", timeout=2)
            if response.status_code == 200:
                return
            last = f"{response.status_code} {response.text}"
        except httpx.TransportError as exc:
            last = repr(exc)
        time.sleep(0.2)
    raise RuntimeError(f"/health did not answer 200 within {timeout:.0f} s ({last}):\n{server.log.read_text()[-4000:]}")


@contextmanager
def app_server(timeout: float = 60.0, processes: int = 1) -> Iterator[Server]:
    """``crm run --port <free port>`` (uvicorn, ``processes`` worker processes) on the bench database; stopped on
    exit."""
    port = free_port()
    log = VAR_DIR / f"server-{port}.log"
    env = {**os.environ, **BENCH_ENV}
    with log.open("wb") as out:
        command = [str(VENV_BIN / "crm"), "run", "--host", "127.0.0.1", "--port", str(port)]
        process = subprocess.Popen(
            [*command, "--web-concurrency", str(processes)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(base_url=f"http://127.0.0.1:{port}", process=process, log=log)
    try:
        _wait_healthy(server, timeout)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def sign_in(base_url: str, email: str = ADMIN_EMAIL, password: str = PASSWORD) -> httpx.Client:
    """A client signed in through the real /login form (CSRF cookie first, then the form post)."""
    client = httpx.Client(base_url=base_url, timeout=30, follow_redirects=False)
    client.get("/login").raise_for_status()
    token = client.cookies.get("crm_csrf")
    if not token:
        raise RuntimeError("GET /login set no crm_csrf cookie")
    response = client.post("/login", data={"email": email, "password": password, "_csrf_token": token})
    if response.status_code != 303:
        raise RuntimeError(f"sign-in as {email} failed: {response.status_code}\n{response.text[:2000]}")
    return client


# --------------------------------------------------------------------------- figures


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0–100) with linear interpolation between the closest ranks."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    lo, hi = math.floor(rank), math.ceil(rank)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (rank - lo)


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        kids += [int(k) for k in task.read_text().split()]
    return kids


def cpu_seconds(pid: int) -> float:
    """User + system CPU time so far of a process and its live descendants (Linux /proc), e.g. uvicorn's
    worker processes: the app's own work, whatever else runs on the machine."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return own + sum(cpu_seconds(child) for child in _children(pid))


def machine_summary() -> str:
    """What the figures were measured on: nproc, free -h, lscpu | head, date, load, PostgreSQL."""
    parts = []
    for title, command in (
        ("nproc", "nproc"),
        ("free -h", "free -h"),
        ("lscpu | head", "lscpu | head"),
        ("date", "date -u '+%Y-%m-%d %H:%M UTC'"),
        ("uptime", "uptime"),
    ):
        output = subprocess.run(command, shell=True, capture_output=True, text=True, check=False).stdout  # noqa: S602
        parts.append(f"$ {title}\n{output.rstrip()}")
    parts.append(f"PostgreSQL: {run(server_version())}")
    parts.append(f"Python: {sys.version.split()[0]}")
    return "\n".join(parts)


# --------------------------------------------------------------------------- --explain of any page


def _clip(line: str, width: int = 200) -> str:
    return line if len(line) <= width else line[:width] + "…"


async def explain_requests(slowest: Sequence[tuple[str, str, Case]], statements: int = 2, lines: int = 18) -> str:
    """Each case again inside this process (the app on the bench database, signed in as the email with the
    password), every SELECT its handler sends captured and explained (ANALYZE, BUFFERS), the slowest first."""
    from litestar.testing import AsyncTestClient
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from crm.app import create_app

    captured: list[tuple[str, Any]] = []

    def before(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        captured.append((statement, parameters))

    event.listen(Engine, "before_cursor_execute", before)
    out: list[str] = []
    conn = await connect()
    try:
        async with AsyncTestClient(create_app(), base_url="http://testserver.local") as client:
            for email, password, case in slowest:
                client.cookies.clear()
                await client.get("/login")
                token = client.cookies.get("crm_csrf") or ""
                await client.post("/login", data={"email": email, "password": password, "_csrf_token": token})
                await client.get(case.path, params=case.params, headers=case.headers)  # warm
                captured.clear()
                await client.get(case.path, params=case.params, headers=case.headers)
                plans: list[tuple[float, str, list[str]]] = []
                for sql, params in captured:
                    head = sql.lstrip().upper()
                    if not head.startswith(("SELECT", "WITH")) or re.search(r"\b(INSERT|UPDATE|DELETE)\b", head):
                        continue
                    if "FROM SESSION_STORE" in head or ("FROM USERS" in head and "LIMIT" not in head):
                        continue
                    try:
                        rows = await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", *(params or ()))
                    except Exception as exc:
                        plans.append((0.0, sql, [f"(not explained: {exc})"]))
                        continue
                    text = [r[0] for r in rows]
                    ms = next((float(t.split(":")[1].split()[0]) for t in text if t.startswith("Execution Time")), 0.0)
                    plans.append((ms, sql, text))
                plans.sort(key=lambda p: -p[0])
                total = sum(p[0] for p in plans)
                out.append(
                    f"\n### {case.name} ({len(plans)} SELECTs, {total:.1f} ms in the database)\n\n"
                    f"`GET {case.path}` {case.params or ''}\n"
                )
                for ms, sql, text in plans[:statements]:
                    out.append(f"```\n-- {ms:.1f} ms: {_clip(' '.join(sql.split()), 300)}")
                    out += [_clip(t) for t in text[:lines]]
                    if len(text) > lines:
                        out.append(f"… {len(text) - lines} more lines")
                    out.append("```")
    finally:
        event.remove(Engine, "before_cursor_execute", before)
        await conn.close()
    return "\n".join(out)
