"""Plain asyncpg connections for the lead desk's hot path (intake) and its queue job.

Why not the application's SQLAlchemy engine: measured on the 2-core box, its pool pings every connection at
checkout (``pool_pre_ping``: BEGIN, a query and ROLLBACK — three round trips) and SQLAlchemy adds about
0.1 ms of CPU per statement; for an intake of five statements that was half of the app's CPU per contact.
This pool talks to the same database (its URL comes from the engine), keeps prepared statements per
connection, and skips the reset on release: every use is one transaction that ends in commit or rollback.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

POOL_SIZE = 10

_pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncpg.Pool]] = weakref.WeakKeyDictionary()
_creating: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()


def dsn_of(engine: AsyncEngine) -> str:
    """The engine's URL for asyncpg itself (the same server, database, user and socket)."""
    url = engine.url.set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


async def _no_reset(_connection: asyncpg.Connection) -> None:
    """Connections come back outside any transaction and with no session state of ours to undo."""


async def pool_for(engine: AsyncEngine) -> asyncpg.Pool:
    """One pool per event loop and database (pools cannot cross loops: tests run the app in another one)."""
    loop = asyncio.get_running_loop()
    dsn = dsn_of(engine)
    pools = _pools.setdefault(loop, {})
    pool = pools.get(dsn)
    if pool is not None:
        return pool
    async with _creating.setdefault(loop, asyncio.Lock()):
        pool = pools.get(dsn)
        if pool is None:
            pool = await asyncpg.create_pool(
                dsn, min_size=1, max_size=POOL_SIZE, reset=_no_reset, max_inactive_connection_lifetime=60.0
            )
            pools[dsn] = pool
    return pool


@asynccontextmanager
async def transaction(engine: AsyncEngine) -> AsyncIterator[asyncpg.Connection]:
    """A connection inside a READ COMMITTED transaction, committed when the block ends without an error."""
    pool = await pool_for(engine)
    async with pool.acquire() as conn, conn.transaction():
        yield conn


@asynccontextmanager
async def connection(engine: AsyncEngine) -> AsyncIterator[asyncpg.Connection]:
    pool = await pool_for(engine)
    async with pool.acquire() as conn:
        yield conn


async def close_pools() -> None:
    """Close the pools of the running loop (tests and the bench call it before their loop ends)."""
    pools = _pools.pop(asyncio.get_running_loop(), {})
    for pool in pools.values():
        await pool.close()
