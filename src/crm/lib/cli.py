"""What every slice's console commands share: run a coroutine, stop with a message, work in one session."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn, TypeVar

import click

T = TypeVar("T")


def run_async(fn: Callable[[], Awaitable[T]]) -> T:
    return asyncio.run(fn())  # type: ignore[arg-type]


def fail(message: str) -> NoReturn:
    """Print the reason in red on stderr and exit 1: what every command does on bad input."""
    click.secho(f"Error: {message}", fg="red", err=True)
    sys.exit(1)


async def with_session(work: Callable[[Any], Awaitable[T]]) -> T:
    """Run ``work(session)`` in one transaction committed at the end, on an engine disposed afterwards."""
    from crm.lib.db import alchemy_config

    config = alchemy_config()
    try:
        async with config.get_session() as session:
            result = await work(session)
            await session.commit()
            return result
    finally:
        await config.get_engine().dispose()
