"""Who is asking: server-side sessions (rotated at sign-in), bearer tokens for the API, and guards.

The kernel knows no user model: the accounts feature registers how to load a user from a session or a
bearer token (``configure_loaders``), and the guard reads permissions from the loaded object.
"""

from __future__ import annotations

import copy
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import ASGIMiddleware
from litestar.middleware.session.server_side import ServerSideSessionBackend, ServerSideSessionConfig
from litestar.types import ASGIApp, Empty, Receive, Scope, Send
from sqlalchemy.ext.asyncio import AsyncSession

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
        if isinstance(scope_session, dict):
            state = connection.scope.get("state", {})
            now = int(time.time())
            unchanged = not state.get(ROTATE_SESSION) and scope_session == state.get("crm_session_loaded")
            if unchanged and now - int(scope_session.get(SESSION_RENEWED, 0)) < SESSION_RENEW_EVERY_S:
                return
            scope_session[SESSION_RENEWED] = now
        await super().store_in_message(scope_session, message, connection)


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
    return connection.scope.get("user")


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
                    return None, None
                try:
                    user_id = uuid.UUID(str(raw_id))
                except ValueError:
                    return None, None
                user = await _loaders.session(_loaders.db_session(scope), user_id, int(session.get(SESSION_EPOCH, -1)))
                return user, ("session" if user else None)
        return None, None


class PasswordChangeRequired(Exception):
    """The user signed in with a temporary password and must set their own first."""


async def access_guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    """The one app-wide guard: sign-in unless ``opt['public']``, then ``opt['permission']`` (any of)."""
    opt = handler.opt
    if opt.get("public"):
        return
    user = connection.scope.get("user")
    if user is None:
        raise NotAuthorizedException(detail="Authentication required")
    if user.must_change_password and not opt.get("allow_password_change") and connection.scope.get("auth") == "session":
        raise PasswordChangeRequired
    required = opt.get("permission")
    if required:
        needed = (required,) if isinstance(required, str) else tuple(required)
        if not any(user.can(p) for p in needed):
            raise PermissionDeniedException(detail="missing_permission", extra={"permission": needed[0]})
