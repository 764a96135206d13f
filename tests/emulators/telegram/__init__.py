"""A Telegram Bot API emulator, a real HTTP server: ``python -m tests.emulators.telegram --port 8091``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tests.emulators.telegram.server import Bot, BotApiServer


@contextmanager
def running(bot: Bot, port: int = 0) -> Iterator[BotApiServer]:
    server = BotApiServer(bot, port=port).start()
    try:
        yield server
    finally:
        server.stop()


__all__ = ["Bot", "BotApiServer", "running"]
