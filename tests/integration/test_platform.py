"""Health, headers, error pages, migrations, both queue back-ends, the command line."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import create_async_engine

from crm.config import get_settings
from crm.features.accounts.models import User
from crm.lib.db import managed_by_migrations
from tests.conftest import (
    PG_SERVER,
    REDIS_URL,
    _admin_execute,
    drain_queue,
    login,
    make_user,
    require_service,
)

ROOT = Path(__file__).resolve().parents[2]


async def test_health_reports_database_and_queue(client):
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "queue": "ok"}


async def test_health_answers_503_when_the_database_is_down(database):
    from crm.app import create_app

    broken = replace(
        get_settings(),
        database_url=f"{PG_SERVER.replace('postgresql://', 'postgresql+asyncpg://')}/no_such_db_x",
    )
    async with AsyncTestClient(create_app(broken)) as client:
        response = await client.get("/health")
    assert response.status_code == 503
    assert response.json()["database"] == "down" and response.json()["status"] == "down"


async def test_an_unexpected_error_shows_a_reference_not_a_traceback_and_is_logged(database):
    import logging

    from crm.app import create_app

    broken = replace(
        get_settings(), database_url=f"{PG_SERVER.replace('postgresql://', 'postgresql+asyncpg://')}/no_such_db_x"
    )
    app = create_app(broken)
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logging.getLogger("crm.errors").addHandler(handler)
    async with AsyncTestClient(app, base_url="http://testserver.local") as client:
        await client.get("/login")
        response = await client.post(
            "/login",
            data={"email": "a@example.com", "password": "whatever-1", "_csrf_token": client.cookies["crm_csrf"]},
        )
        api = await client.post("/api/v1/auth/token", json={"email": "a@example.com", "password": "whatever-1"})
    assert response.status_code == 500
    assert "Traceback" not in response.text and "no_such_db_x" not in response.text
    logging.getLogger("crm.errors").removeHandler(handler)
    reference = response.text.split('class="error-page"')[1]
    logged_ids = [r.getMessage().split("request_id=")[1].split()[0] for r in records]
    assert logged_ids and all(len(rid) == 12 for rid in logged_ids)
    assert logged_ids[0] in reference
    assert api.status_code == 500 and "request" in api.json()["detail"] and "no_such_db_x" not in api.text


async def test_every_page_carries_the_security_headers(client):
    for url in ("/login", "/health", "/no-such-page"):
        headers = (await client.get(url)).headers
        assert "script-src 'self'" in headers["content-security-policy"], url
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"


async def test_anonymous_visits_leave_no_session_behind(client, db):
    response = await client.get("/login")
    assert "crm_session" not in response.headers.get("set-cookie", "")
    count = await db.scalar(text("SELECT count(*) FROM session_store"))
    assert count == 0


async def test_unknown_addresses_get_a_friendly_404_page_and_api_404_json(client, db):
    await make_user(db, "anna@example.com", ["admin"])
    await login(client, "anna@example.com")
    page = await client.get("/no-such-page")
    assert page.status_code == 404 and "<html" in page.text and "Traceback" not in page.text
    api = await client.get("/api/v1/no-such-thing")
    assert api.status_code == 404 and "detail" in api.json()
    user = await client.get("/users/00000000-0000-0000-0000-000000000000")
    assert user.status_code == 404


async def test_the_migrations_build_exactly_the_schema_of_the_models(database):
    """Upgrade a fresh database with alembic, then autogenerate must find nothing to do."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from crm import models

    name = f"{database}_migrations"
    await _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
    url = f"{PG_SERVER.replace('postgresql://', 'postgresql+asyncpg://')}/{name}"
    env = {**os.environ, "CRM_DATABASE_URL": url}
    crm = Path(sys.executable).with_name("crm")
    result = subprocess.run(
        [str(crm), "database", "upgrade", "--no-prompt"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:

            def diff(sync_conn):  # type: ignore[no-untyped-def]
                opts = {"compare_type": True, "include_object": managed_by_migrations}
                context = MigrationContext.configure(sync_conn, opts=opts)
                return compare_metadata(context, models.metadata)

            changes = await conn.run_sync(diff)
            roles = (await conn.execute(text("SELECT name FROM roles ORDER BY id"))).scalars().all()
    finally:
        await engine.dispose()
        await _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    assert changes == [], changes
    assert roles == ["admin", "head", "manager", "operator", "telegraph", "billing"]


async def test_the_postgresql_queue_runs_the_housekeeping_job(client, db):
    from crm.workers import QUEUE_NAME, saq_plugin

    queue = saq_plugin().get_queue(QUEUE_NAME)
    await db.execute(
        text(
            "INSERT INTO session_store (id, key, namespace, value, expires_at) "
            "VALUES (gen_random_uuid(), 'old', 'crm', '\\x00', now() - interval '1 day')"
        )
    )
    await db.commit()
    job = await queue.enqueue("purge_expired", timeout=30, retries=1)
    await drain_queue(queue)
    await job.refresh()
    assert job.status == "complete" and job.result["sessions"] == 1


async def test_the_redis_queue_runs_the_same_jobs(client, db):
    from saq import Queue

    redis_up = True
    try:
        import redis

        redis.Redis.from_url(REDIS_URL).ping()
    except Exception:
        redis_up = False
    require_service(redis_up, f"Redis at {REDIS_URL}")
    queue = Queue.from_url(REDIS_URL, name="crm-test")
    await queue.connect()
    try:
        job = await queue.enqueue("purge_expired", timeout=30, retries=1)
        await drain_queue(queue)
        await job.refresh()
        assert job.status == "complete" and set(job.result) == {"sessions", "refresh_tokens", "reset_tokens"}
    finally:
        await queue.disconnect()


async def test_sessions_live_in_redis_when_it_is_configured(database):
    from crm.app import create_app
    from crm.features.accounts import services
    from crm.lib.db import alchemy_config

    config = alchemy_config()
    async with config.get_session() as session:
        await services.ensure_builtin_roles(session)
        if not await services.email_taken(session, "redis@example.com"):
            await services.create_user(session, email="redis@example.com", password="redis-pass-123", roles=["manager"])
        await session.commit()
    await config.get_engine().dispose()
    settings = replace(get_settings(), redis_url=REDIS_URL)
    app = create_app(settings)
    async with AsyncTestClient(app, base_url="http://testserver.local") as client:
        await client.get("/login")
        response = await client.post(
            "/login",
            data={
                "email": "redis@example.com",
                "password": "redis-pass-123",
                "_csrf_token": client.cookies["crm_csrf"],
            },
            follow_redirects=False,
        )
        assert response.status_code == 303
        assert (await client.get("/profile")).status_code == 200
        import redis

        assert redis.Redis.from_url(REDIS_URL).exists(f"crm-sessions:{client.cookies['crm_session']}")


@pytest.mark.parametrize("role", ["admin", "billing"])
async def test_crm_users_create_makes_an_account_from_the_command_line(database, db, role):
    crm = Path(sys.executable).with_name("crm")
    email = f"cli-{role}@example.com"
    ok = subprocess.run(
        [
            str(crm),
            "users",
            "create",
            "--email",
            email,
            "--password",
            "cli-pass-123",
            "--role",
            role,
            "--name",
            "Кли",
        ],
        env=os.environ,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ok.returncode == 0, ok.stderr[-2000:]
    assert email in ok.stdout
    user = await db.scalar(select(User).where(User.email == email))
    assert user is not None and user.role_names == [role] and user.name == "Кли"

    again = subprocess.run(
        [str(crm), "users", "create", "--email", email, "--password", "cli-pass-123", "--role", role],
        env=os.environ,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode != 0 and "already exists" in again.stderr
    bad_role = subprocess.run(
        [
            str(crm),
            "users",
            "create",
            "--email",
            "x@example.com",
            "--password",
            "cli-pass-123",
            "--role",
            "wizard",
        ],
        env=os.environ,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad_role.returncode != 0 and "unknown role" in bad_role.stderr
