"""How the client signs in to a portal: an incoming webhook or OAuth tokens (the client refreshes them, once for
concurrent callers); and the rule that a portal's URL is https (plain http only for loopback)."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from crm.integrations.bitrix24.errors import (
    AuthError,
)


@dataclass(frozen=True)
class WebhookAuth:
    """An incoming webhook URL ``https://<portal>/rest/<user_id>/<code>/``."""

    url: str = field(repr=False)

    @property
    def base(self) -> str:
        return self.url.rstrip("/") + "/"

    @property
    def portal(self) -> str:
        return urlsplit(self.url).netloc


@dataclass
class OAuthTokens:
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    client_endpoint: str
    expires: int | None = None


@dataclass
class OAuthAuth:
    """A local application: tokens refreshed lazily (only on expired_token), single-flight, rotated refresh
    token handed to ``on_refresh`` to be persisted."""

    client_id: str
    client_secret: str = field(repr=False)
    tokens: OAuthTokens
    oauth_url: str = "https://oauth.bitrix.info/oauth/token/"
    on_refresh: Callable[[OAuthTokens], Awaitable[None]] | None = None
    refresh_count: int = 0
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)

    @property
    def base(self) -> str:
        return self.tokens.client_endpoint.rstrip("/") + "/"

    @property
    def portal(self) -> str:
        return urlsplit(self.tokens.client_endpoint).netloc


def check_url(url: str) -> None:
    """https only, except for loopback addresses (the emulator, tests)."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        return
    host = parts.hostname or ""
    loopback = host == "localhost"
    with contextlib.suppress(ValueError):
        loopback = loopback or ipaddress.ip_address(host).is_loopback
    if parts.scheme != "http" or not loopback:
        raise AuthError("INVALID_REQUEST", "https is required (plain http only for loopback addresses)")
