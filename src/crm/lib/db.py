"""Database kernel: model bases, the SQLAlchemy config, and the embedded PostgreSQL for `make run`."""

from __future__ import annotations

import json
import logging
import os
import warnings
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from advanced_alchemy.base import BigIntAuditBase, DefaultBase, UUIDv7AuditBase, orm_registry
from advanced_alchemy.extensions.litestar import (
    AlembicAsyncConfig,
    AsyncSessionConfig,
    EngineConfig,
    SQLAlchemyAsyncConfig,
)
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession

from crm.config import ASSETS_ROOT, Settings, get_settings

log = logging.getLogger(__name__)

__all__ = [
    "AsyncSession",
    "BigIntAuditBase",
    "DefaultBase",
    "UUIDv7AuditBase",
    "alchemy_config",
    "create_with",
    "database_url",
    "managed_by_migrations",
    "metadata",
    "queue_url",
]

metadata = orm_registry.metadata


def create_with(table: str, statements: Sequence[str]) -> None:
    """Run ``statements`` (trigger functions and triggers kept beside a model) whenever ``metadata.create_all``
    creates ``table``: the tests and the benchmarks build the schema from the models; a migration makes the same
    statements on a real database."""

    def create(target: Any, connection: Any, **_kw: Any) -> None:
        if connection.dialect.name == "postgresql" and table in target.tables:
            for statement in statements:
                connection.execute(text(statement))

    event.listen(metadata, "after_create", create)


def managed_by_migrations(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """What alembic compares with the models: not SAQ's own tables (the queue makes them), nor the optional
    ``*_trgm`` search indexes (made by the migrations only where the server has pg_trgm; the embedded server
    has not)."""
    if type_ == "table" and name is not None and name.startswith("saq_"):
        return False
    return not (type_ == "index" and name is not None and name.endswith("_trgm"))


@lru_cache(maxsize=1)
def _embedded_uri() -> str:
    """Start (or join) PostgreSQL under ``var/pg``: unix socket only, stopped when the last user exits."""
    try:
        with warnings.catch_warnings():
            # platformdirs warns that XDG_RUNTIME_DIR is unset (servers, containers) and uses /tmp/runtime-UID for
            # pgserver's lock file, which is what we want: the warning only alarms the person starting the app.
            warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
            import pgserver
    except ImportError as exc:  # pragma: no cover - depends on the interpreter
        raise SystemExit(
            "The embedded PostgreSQL (pgserver) is not available for this Python. "
            "Set CRM_DATABASE_URL=postgresql+asyncpg://user:pass@host/db to use your own server."
        ) from exc
    settings = get_settings()
    pgdata = settings.var_dir / "pg"
    pgdata.mkdir(parents=True, exist_ok=True)
    _forget_dead_handles(pgdata)
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
    server.psql("SELECT 1;")
    return server.get_uri("postgres")


def _forget_dead_handles(pgdata: Path) -> None:
    """pgserver stops the server when the last process that uses it exits, by a list of pids in the data
    directory. A process that was killed (kill -9, a crash) stays in that list and the server would then never be
    stopped again: drop the pids of processes that no longer exist."""
    handles = pgdata / ".handle_pids.json"
    try:
        pids = json.loads(handles.read_text())
    except (OSError, ValueError):
        return
    alive = [pid for pid in pids if isinstance(pid, int) and _alive(pid)]
    if alive != pids:
        handles.write_text(json.dumps(alive))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _with_driver(url: str, driver: str) -> str:
    parts = urlsplit(url)
    scheme = parts.scheme.split("+", 1)[0]
    if scheme in {"postgres", "postgresql"}:
        scheme = "postgresql" if not driver else f"postgresql+{driver}"
    query = dict(parse_qsl(parts.query))
    return urlunsplit((scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def database_url(settings: Settings | None = None) -> str:
    """The asyncpg URL of the application database (embedded PostgreSQL when none is configured)."""
    settings = settings or get_settings()
    raw = settings.database_url or _embedded_uri()
    return _with_driver(raw, "asyncpg")


def queue_url(settings: Settings | None = None) -> str:
    """The SAQ broker: Redis when configured, otherwise the application's PostgreSQL (psycopg URL)."""
    settings = settings or get_settings()
    if settings.queue_url:
        if settings.queue_url.startswith("redis"):
            return settings.queue_url
        return _with_driver(settings.queue_url, "")
    return _with_driver(database_url(settings), "")


def alchemy_config(settings: Settings | None = None, **engine_kwargs: Any) -> SQLAlchemyAsyncConfig:
    settings = settings or get_settings()
    return SQLAlchemyAsyncConfig(
        connection_string=database_url(settings),
        before_send_handler="autocommit_include_redirects",
        session_config=AsyncSessionConfig(expire_on_commit=False),
        # No pre-ping: it costs round trips on every checkout; connections are recycled instead.
        engine_config=EngineConfig(pool_size=10, max_overflow=10, pool_recycle=1800, **engine_kwargs),
        alembic_config=AlembicAsyncConfig(
            script_config=str(ASSETS_ROOT / "alembic.ini"),
            script_location=str(ASSETS_ROOT / "migrations"),
            version_table_name="alembic_version",
            compare_type=True,
            render_as_batch=False,
        ),
    )
