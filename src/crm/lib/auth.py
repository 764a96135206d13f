"""Who is asking: server-side sessions (rotated at sign-in), bearer tokens for the API, and guards.

The kernel knows no user model: the accounts feature registers how to load a user from a session or a
bearer token (``configure_loaders``), and the guard reads permissions from the loaded object.
"""

from __future__ import annotations

import copy
import ipaddress
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import ASGIMiddleware
from litestar.middleware.session.server_side import ServerSideSessionBackend, ServerSideSessionConfig
from litestar.types import ASGIApp, Empty, Receive, Scope, Send
from litestar.utils.dataclass import extract_dataclass_items
from sqlalchemy.ext.asyncio import AsyncSession

from crm.config import get_settings

ROTATE_SESSION = "crm_rotate_session"
SESSION_USER = "uid"
SESSION_EPOCH = "ep"
SESSION_STARTED = "t0"
SESSION_RENEWED = "tr"
SESSION_RENEW_EVERY_S = 60


class AuthUser(Protocol):
    id: uuid.UUID
    is_active: bool
    must_change_password: bool
    session_epoch: int
    locale: str | None

    def can(self, permission: str) -> bool: ...


SessionLoader = Callable[[AsyncSession, uuid.UUID, int], Awaitable[AuthUser | None]]
BearerLoader = Callable[[AsyncSession, str], Awaitable[AuthUser | None]]


@dataclass
class _Loaders:
    session: SessionLoader | None = None
    bearer: BearerLoader | None = None
    db_session: Callable[[Scope], AsyncSession] | None = None
    absolute_lifetime_s: int = 12 * 3600


_loaders = _Loaders()


def configure_loaders(
    *,
    session: SessionLoader,
    bearer: BearerLoader,
    db_session: Callable[[Scope], AsyncSession],
    absolute_lifetime_s: int,
) -> None:
    _loaders.session = session
    _loaders.bearer = bearer
    _loaders.db_session = db_session
    _loaders.absolute_lifetime_s = absolute_lifetime_s


class RotatingSessionBackend(ServerSideSessionBackend):
    """Issues a fresh session id when the handler asked for it (sign-in): no session fixation."""

    def get_session_id(self, connection: ASGIConnection) -> str:
        state = connection.scope.setdefault("state", {})
        if state.get(ROTATE_SESSION):
            new_id = state.get("crm_new_session_id")
            if not new_id:
                new_id = self.generate_session_id()
                state["crm_new_session_id"] = new_id
            return str(new_id)
        return super().get_session_id(connection)

    async def load_from_connection(self, connection: ASGIConnection) -> dict[str, Any]:
        data = await super().load_from_connection(connection)
        connection.scope.setdefault("state", {})["crm_session_loaded"] = copy.deepcopy(data)
        return data

    async def store_in_message(self, scope_session: Any, message: Any, connection: ASGIConnection) -> None:
        """Write only what changed: an empty session is not stored (anonymous visits leave no rows and get no
        cookie), and an unchanged one is written back at most once a minute, which slides its expiry (idle
        timeout) without a write and a cookie on every request."""
        if isinstance(scope_session, dict) and not scope_session:
            if not connection.cookies.get(self.config.key):
                return
            scope_session = Empty
        if scope_session is Empty:
            await self._clear(message, connection)
            return
        if isinstance(scope_session, dict):
            state = connection.scope.get("state", {})
            now = int(time.time())
            unchanged = not state.get(ROTATE_SESSION) and scope_session == state.get("crm_session_loaded")
            # a page's own background poll (opt={"background": True}, e.g. the bell's count) is not the person
            # using the app: it must not keep an unattended tab signed in past the idle timeout
            handler = connection.scope.get("route_handler")
            background = bool(getattr(handler, "opt", None) and handler.opt.get("background"))
            if unchanged and (background or now - int(scope_session.get(SESSION_RENEWED, 0)) < SESSION_RENEW_EVERY_S):
                return
            scope_session[SESSION_RENEWED] = now
        await super().store_in_message(scope_session, message, connection)

    async def _clear(self, message: Any, connection: ASGIConnection) -> None:
        """Sign-out: the stored session goes, and the browser gets a cookie that is already expired (Max-Age=0 and
        a date in 1970; Litestar's own clearing cookie expires "now" and has no Max-Age)."""
        await self.delete(
            self.get_session_id(connection), store=self.config.get_store_from_app(connection.scope["app"])
        )
        params = dict(extract_dataclass_items(self.config, exclude_none=True, include=Cookie.__dict__.keys()))
        params.pop("max_age", None)
        params.pop("expires", None)
        header = Cookie(value="", key=self.config.key, max_age=0, **params).to_header(header="")
        MutableScopeHeaders.from_message(message).add("Set-Cookie", f"{header}; expires=Thu, 01 Jan 1970 00:00:00 GMT")


@dataclass
class RotatingSessionConfig(ServerSideSessionConfig):
    _backend_class = RotatingSessionBackend


def start_session(connection: ASGIConnection, user: AuthUser) -> None:
    """Sign a user in on this connection: new session id, user and epoch in the session."""
    connection.scope["state"][ROTATE_SESSION] = True
    connection.set_session(
        {SESSION_USER: str(user.id), SESSION_EPOCH: user.session_epoch, SESSION_STARTED: int(time.time())}
    )


def current_user(connection: ASGIConnection) -> Any:
    """The signed-in user or None. Route handlers declare ``me: Me`` (crm.lib.deps) instead; this is for public
    routes (no one may be signed in) and for helpers that receive the connection."""
    return connection.scope.get("user")


@lru_cache(maxsize=8)
def _networks(spec: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in spec.split(",") if part.strip())


def _trusted(address: str, networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(connection: ASGIConnection) -> str:
    """The address a request comes from. ``X-Forwarded-For`` is believed only when the peer is one of
    CRM_TRUSTED_PROXIES, and then read from the right: the first address that is not a trusted proxy is the
    client (whatever a client wrote to the left of it is its own claim)."""
    peer = connection.client.host if connection.client else "unknown"
    networks = _networks(get_settings().trusted_proxies)
    if not networks or not _trusted(peer, networks):
        return peer
    forwarded = ",".join(connection.headers.getall("x-forwarded-for", []))
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, networks):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer  # garbage from the proxy's client: count it against the proxy's own entry
    return hops[0] if hops else peer


class AuthMiddleware(ASGIMiddleware):
    """Resolves the user for every request (or None); guards decide what anonymous users may reach."""

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        scope.setdefault("state", {})
        scope["user"] = None
        scope["auth"] = None
        if _loaders.db_session is not None and scope["type"] == "http":
            scope["user"], scope["auth"] = await self._resolve(scope)
        await next_app(scope, receive, send)

    async def _resolve(self, scope: Scope) -> tuple[AuthUser | None, str | None]:
        assert _loaders.db_session and _loaders.session and _loaders.bearer
        headers = dict(scope.get("headers", []))
        authorization = headers.get(b"authorization", b"").decode("latin-1")
        if authorization.lower().startswith("bearer "):
            token = authorization[7:].strip()
            if not token:
                return None, None
            return await _loaders.bearer(_loaders.db_session(scope), token), "bearer"
        if not str(scope.get("path", "")).startswith("/api/"):
            raw = scope.get("session")
            session: dict[str, Any] = raw if isinstance(raw, dict) else {}
            raw_id = session.get(SESSION_USER)
            if raw_id:
                started = int(session.get(SESSION_STARTED, 0))
                if time.time() - started > _loaders.absolute_lifetime_s:
                    session.clear()
                    return None, None
                try:
                    user_id = uuid.UUID(str(raw_id))
                except ValueError:
                    return None, None
                user = await _loaders.session(_loaders.db_session(scope), user_id, int(session.get(SESSION_EPOCH, -1)))
                if user is None:
                    session.clear()  # ended (deactivated, password changed elsewhere): drop it and expire the cookie
                return user, ("session" if user else None)
        return None, None


class PasswordChangeRequired(Exception):
    """The user signed in with a temporary password and must set their own first: pages send them to the password
    form, the API answers 403 (sessions, access tokens and personal API tokens alike)."""


def password_change_refusal() -> PermissionDeniedException:
    """The API's 403 while a temporary password is unchanged: the API has no password change, the web page has."""
    url = f"{get_settings().base_url}/profile/password"
    return PermissionDeniedException(
        detail=f"Password change required: the account has a temporary password; set your own at {url} first"
    )


async def access_guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    """The one app-wide guard: sign-in unless ``opt['public']``, then ``opt['permission']`` (any of)."""
    opt = handler.opt
    if opt.get("public"):
        return
    user = connection.scope.get("user")
    if user is None:
        raise NotAuthorizedException(detail="Authentication required")
    if user.must_change_password and not opt.get("allow_password_change"):
        if str(connection.scope.get("path", "")).startswith("/api/"):
            raise password_change_refusal()
        raise PasswordChangeRequired
    required = opt.get("permission")
    if required:
        needed = (required,) if isinstance(required, str) else tuple(required)
        if not any(user.can(p) for p in needed):
            raise PermissionDeniedException(detail="missing_permission", extra={"permission": needed[0]})
