"""Test set-up on real services: a fresh PostgreSQL database per run, Redis, a real SMTP server.

Settings are read once per process, so the environment is set here before anything from ``crm`` is imported.
Connection details: CRM_TEST_PG (default postgresql://postgres@127.0.0.1:5432) and CRM_TEST_REDIS
(default redis://127.0.0.1:6379/15).
"""

from __future__ import annotations

import functools
import os
import socket
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

PG_SERVER = os.environ.get("CRM_TEST_PG", "postgresql://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("CRM_TEST_REDIS", "redis://127.0.0.1:6379/15")
TEST_DB = f"crm_test_{os.getpid()}"
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


SMTP_PORT = _free_port()
os.environ.update(
    {
        "CRM_DATABASE_URL": f"{PG_SERVER.replace('postgresql://', 'postgresql+asyncpg://')}/{TEST_DB}",
        "CRM_WORKER_IN_PROCESS": "false",
        "CRM_PASSWORD_HASH_PROFILE": "cheapest",
        "CRM_SECRET_KEY": "test-secret-key-not-for-production-0123456789",
        "CRM_VAR_DIR": tempfile.mkdtemp(prefix="crm-test-var-"),
        "CRM_SMTP_HOST": "127.0.0.1",
        "CRM_SMTP_PORT": str(SMTP_PORT),
        "CRM_SMTP_FROM": "crm@example.com",
        "CRM_BASE_URL": "http://testserver.local",
    }
)
for key in ("CRM_QUEUE_URL", "CRM_REDIS_URL", "CRM_TIMEZONE", "CRM_LOCALE", "CRM_SECURE_COOKIES"):
    os.environ.pop(key, None)

from litestar import Litestar  # noqa: E402
from litestar.testing import AsyncTestClient  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine  # noqa: E402

IN_CI = os.environ.get("CI", "").lower() == "true"


async def _admin_execute(*statements: str) -> None:
    engine = create_async_engine(
        PG_SERVER.replace("postgresql://", "postgresql+asyncpg://") + "/postgres",
        isolation_level="AUTOCOMMIT",
    )
    try:
        async with engine.connect() as conn:
            for statement in statements:
                await conn.execute(text(statement))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
async def database() -> AsyncIterator[str]:
    """A new database with the schema of the models and the built-in roles."""
    from crm import models
    from crm.lib.db import alchemy_config

    await _admin_execute(f'DROP DATABASE IF EXISTS "{TEST_DB}" WITH (FORCE)', f'CREATE DATABASE "{TEST_DB}"')
    config = alchemy_config()
    async with config.get_engine().begin() as conn:
        await conn.run_sync(models.metadata.create_all)
    await config.get_engine().dispose()
    yield TEST_DB
    await _admin_execute(f'DROP DATABASE IF EXISTS "{TEST_DB}" WITH (FORCE)')


@pytest.fixture(scope="session")
async def app(database: str) -> Litestar:
    from crm.app import create_app

    return create_app()


@pytest.fixture(scope="session")
async def _client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        yield client


@pytest.fixture(autouse=True)
def _forget_sqlalchemy_configs() -> Iterator[None]:
    """Configs made during a test (jobs' worker contexts, commands) leave their keys in advanced-alchemy's class-wide
    registries, which it searches recursively for a free key: forgotten after each test, so a long suite cannot
    overflow the stack. (A process of the product makes a handful of configs in its life.)"""
    from advanced_alchemy.extensions.litestar.plugins.init.config.asyncio import SQLAlchemyAsyncConfig

    names = ("_SESSION_SCOPE_KEY_REGISTRY", "_ENGINE_APP_STATE_KEY_REGISTRY", "_SESSIONMAKER_APP_STATE_KEY_REGISTRY")
    before = {name: set(getattr(SQLAlchemyAsyncConfig, name)) for name in names}
    yield
    for name in names:
        getattr(SQLAlchemyAsyncConfig, name).intersection_update(before[name])


@functools.cache
def _test_config() -> Any:
    """One SQLAlchemy config for the tests' own sessions: advanced-alchemy registers every config's session key in a
    class-wide registry and finds a free one recursively, so a new config per test overflows the stack past ~900
    tests. Its engine is disposed after each use (every test has its own event loop)."""
    from crm.lib.db import alchemy_config

    return alchemy_config()


async def _reset_data(app: Litestar) -> None:
    from crm import models
    from crm.features.accounts.services import ensure_builtin_roles

    config = _test_config()
    names = [t.name for t in models.metadata.sorted_tables]
    # TRUNCATE of all 86 tables takes ~0.7 s, a test usually fills a handful: empty only those that have rows
    # (one probe, ~30 ms), then restart every sequence, as RESTART IDENTITY on all of them would.
    probe = " UNION ALL ".join(f"SELECT '{n}' WHERE EXISTS (SELECT 1 FROM \"{n}\")" for n in names)  # noqa: S608
    async with config.get_session() as session:
        filled = [f'"{name}"' for (name,) in (await session.execute(text(probe))).all()]
        if filled:
            await session.execute(text(f"TRUNCATE {', '.join(filled)} CASCADE"))
        await session.execute(
            text(
                "SELECT setval(c.oid, 1, false) FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace "
                "WHERE c.relkind = 'S' AND s.nspname = 'public' AND c.relname NOT LIKE 'saq%'"
            )
        )
        await ensure_builtin_roles(session)
        await session.commit()
    await config.get_engine().dispose()


@pytest.fixture
async def client(app: Litestar, _client: AsyncTestClient[Litestar]) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """A client with no cookies, on an empty database (built-in roles only), with throttles reset."""
    await _reset_data(app)
    await app.stores.get("cache").delete_all()
    _client.cookies.clear()
    # Pages in English for assertions on texts; Russian, the default, is covered by the i18n and browser tests.
    _client.cookies.set("crm_lang", "en", domain="testserver.local")
    yield _client


@pytest.fixture
async def db(client: AsyncTestClient[Litestar]) -> AsyncIterator[AsyncSession]:
    """A session for arranging data and checking results; commit to make changes visible to the app."""
    config = _test_config()
    async with config.get_session() as session:
        yield session
    await config.get_engine().dispose()


# --------------------------------------------------------------------------- helpers


DEFAULT_PASSWORD = "correct-horse-42"


async def make_user(
    session: AsyncSession, email: str, roles: list[str], *, password: str = DEFAULT_PASSWORD, **kwargs: Any
) -> Any:
    from crm.features.accounts import services

    user = await services.create_user(session, email=email, password=password, roles=roles, **kwargs)
    await session.commit()
    return user


def set_cookie(client: AsyncTestClient[Litestar], name: str, value: str) -> None:
    client.cookies.delete(name)
    client.cookies.set(name, value, domain="testserver.local")


def csrf_token(client: AsyncTestClient[Litestar]) -> str:
    return client.cookies.get("crm_csrf") or ""


async def prime_csrf(client: AsyncTestClient[Litestar]) -> str:
    if not client.cookies.get("crm_csrf"):
        await client.get("/login")
    return csrf_token(client)


async def post_form(client: AsyncTestClient[Litestar], url: str, data: dict[str, Any], **kwargs: Any) -> Any:
    token = await prime_csrf(client)
    return await client.post(url, data={**data, "_csrf_token": token}, **kwargs)


async def login(client: AsyncTestClient[Litestar], email: str, password: str = DEFAULT_PASSWORD) -> Any:
    response = await post_form(client, "/login", {"email": email, "password": password})
    assert response.status_code in (200, 303), response.text
    return response


# --------------------------------------------------------------------------- SMTP


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[list[Any]]:
    """A real SMTP server (aiosmtpd) on the port the settings point at; yields the received messages."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    received: list[Any] = []

    class Collect(Message):
        def handle_message(self, message: Any) -> None:
            received.append(message)

    controller = Controller(Collect(), hostname="127.0.0.1", port=SMTP_PORT)
    controller.start()
    yield received
    controller.stop()


@pytest.fixture
def mailbox(smtp_server: list[Any]) -> list[Any]:
    smtp_server.clear()
    return smtp_server


def require_service(available: bool, what: str) -> None:
    """Skip locally when a service is missing; under CI=true that is a failure instead."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is required under CI=true")
    pytest.skip(f"{what} is not available")


# --------------------------------------------------------------------------- queue


def job_functions() -> list[Any]:
    from litestar.utils.module_loader import import_string

    from crm.workers import all_tasks

    return [import_string(path) for path in all_tasks()]


async def drain_queue(queue: Any | None = None) -> None:
    """Run a real SAQ worker on the queue until it has nothing left to do (burst mode)."""
    from saq import Worker

    from crm.workers import QUEUE_NAME, saq_plugin
    from crm.workers.context import shutdown, startup

    queue = queue or saq_plugin().get_queue(QUEUE_NAME)
    if type(queue).__name__ == "RedisQueue":
        # SAQ's Redis worker sweeps as it starts; a job it dequeues in that same moment is still "queued" in
        # the sweep's eyes and gets aborted. Sweeping first takes the sweep lock for a minute and avoids the race.
        await queue.sweep()
    worker = Worker(
        queue,
        functions=job_functions(),
        startup=[startup],
        shutdown=[shutdown],
        burst=True,
        dequeue_timeout=1,
        concurrency=2,
    )
    await worker.start()


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    """Browser tests last: their live server runs a worker on the test database's queue for the rest of the
    session, and it must not take jobs that the integration tests enqueue and run themselves."""
    items.sort(key=lambda item: "/tests/browser/" in str(item.fspath))
