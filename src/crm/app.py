"""create_app(): plugins, middleware, the routes of every feature, error pages."""

from __future__ import annotations

import asyncio
import gc
import logging
import uuid
from functools import partial
from typing import Any

from advanced_alchemy.extensions.litestar import SQLAlchemyPlugin
from advanced_alchemy.extensions.litestar.store import SQLAlchemyStore
from litestar import Litestar, Router
from litestar.config.compression import CompressionConfig
from litestar.config.csrf import CSRFConfig
from litestar.exceptions import HTTPException
from litestar.middleware import ASGIMiddleware
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.flash import FlashConfig, FlashPlugin
from litestar.plugins.htmx import HTMXPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.stores.memory import MemoryStore
from litestar.stores.redis import RedisStore
from litestar.template.config import TemplateConfig
from litestar.types import ASGIApp, Receive, Scope, Send
from sqlalchemy.exc import StatementError

from crm import models
from crm.cli import ProjectCommands
from crm.config import ASSETS_ROOT, PACKAGE_ROOT, Settings, get_settings
from crm.features.accounts.audit_labels import audit_label
from crm.features.alerts.metrics import MetricsMiddleware
from crm.lib import auth, deps, errors, i18n, logs, templating
from crm.lib.db import alchemy_config
from crm.lib.input_guard import InputGuardMiddleware

log = logging.getLogger("crm")


class RequestIdMiddleware(ASGIMiddleware):
    """Outermost: every request gets an id for logs and error pages, before anything can fail."""

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        state = scope.setdefault("state", {})
        state["request_id"] = uuid.uuid4().hex[:12]
        token = logs.bind(request_id=state["request_id"])  # log lines of this request carry its id
        try:
            await next_app(scope, receive, send)
        finally:
            logs.context.reset(token)


class LocaleMiddleware(ASGIMiddleware):
    """The UI language of this request: the user's choice, else the language cookie, else the default."""

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        user = scope.get("user")
        cookie_lang = None
        for key, value in scope.get("headers", []):
            if key == b"cookie" and b"crm_lang=" in value:
                cookie_lang = value.decode("latin-1").split("crm_lang=", 1)[1].split(";", 1)[0]
        token = i18n.set_locale((user.locale if user is not None else None) or cookie_lang or "")
        try:
            await next_app(scope, receive, send)
        finally:
            i18n._current.reset(token)


DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def _security_headers(secure: bool) -> Any:
    """A before-send hook: every response (404s of unknown paths included) carries the security headers.
    Swagger UI starts itself with an inline script, so /docs alone gets a CSP that allows it. Everything but the
    static files is ``no-store``: pages, partials, exports and API answers hold personal data and must not stay in
    a shared or back-button cache."""
    common = [
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
        (b"x-frame-options", b"DENY"),
        (b"permissions-policy", b"camera=(), microphone=(), geolocation=(self)"),
    ]
    if secure:
        common.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
    names = {name for name, _value in common} | {b"content-security-policy"}

    async def hook(message: Any, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        path = str(scope.get("path", ""))
        csp = DOCS_CSP if path.startswith("/docs") else PAGE_CSP
        headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
        headers += [*common, (b"content-security-policy", csp.encode())]
        if not path.startswith("/static/"):
            headers = [(k, v) for k, v in headers if k.lower() != b"cache-control"]
            headers.append((b"cache-control", b"no-store"))
        message["headers"] = headers

    return hook


def _route_handlers() -> list[Any]:
    """Every slice's ``routes.ROUTES``, in the order of ``crm.features.SLICES``."""
    import importlib

    from crm.features import SLICES

    return [handler for name in SLICES for handler in importlib.import_module(f"crm.features.{name}.routes").ROUTES]


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    alchemy = alchemy_config(settings)
    from crm.workers import queue_plugins

    queue_plugin, queue_lifecycle = queue_plugins(settings)
    _configure_auth(settings)
    session_store, cache_store = _stores(settings, alchemy)
    session_config = _session_config(settings)
    template_config = _template_config()
    app = Litestar(
        route_handlers=[*_route_handlers(), _static_files_router()],
        plugins=[
            SQLAlchemyPlugin(config=alchemy),
            HTMXPlugin(),
            FlashPlugin(config=FlashConfig(template_config=template_config)),
            queue_plugin,
            queue_lifecycle,
            ProjectCommands(),
        ],
        middleware=[
            RequestIdMiddleware(),
            MetricsMiddleware(),
            InputGuardMiddleware(),
            session_config.middleware,
            auth.AuthMiddleware(),
            LocaleMiddleware(),
        ],
        guards=[auth.access_guard],
        dependencies=deps.dependencies(),
        template_config=template_config,
        csrf_config=_csrf_config(settings),
        stores={"sessions": session_store, "cache": cache_store},
        before_send=[_security_headers(settings.secure_cookies)],
        compression_config=CompressionConfig(backend="gzip", minimum_size=1000, gzip_compress_level=6),
        exception_handlers={
            HTTPException: errors.handle_http,
            auth.PasswordChangeRequired: errors.handle_password_change,
            OverflowError: errors.handle_bad_data,
            StatementError: errors.handle_bad_data,
            Exception: errors.handle_internal,
        },
        openapi_config=_openapi_config(),
        logging_config=logs.logging_config(),
        on_startup=[_queue_hooks(queue_plugin, connect=True), _load_system_settings, _freeze_startup_heap],
        on_shutdown=[_queue_hooks(queue_plugin, connect=False)],
        debug=False,
    )
    app.state.alchemy = alchemy
    return app


def _configure_auth(settings: Settings) -> None:
    """How a request finds its user: the session cookie or a bearer token, loaded by the accounts slice."""
    from crm.features.accounts import services as accounts

    auth.configure_loaders(
        session=accounts.load_session_user,
        bearer=accounts.load_bearer_user,
        db_session=lambda scope: scope["app"].state.alchemy.provide_session(scope["app"].state, scope),
        absolute_lifetime_s=settings.session_absolute_hours * 3600,
    )


def _stores(settings: Settings, alchemy: Any) -> tuple[Any, Any]:
    """The sessions' and the cache's stores: Redis when configured, else the database and memory."""
    if settings.redis_url:
        session_store: Any = RedisStore.with_client(url=settings.redis_url, namespace="crm-sessions")
        cache_store: Any = RedisStore.with_client(url=settings.redis_url, namespace="crm-cache")
    else:
        session_store = SQLAlchemyStore(alchemy, model=models.SessionRecord, namespace="crm")
        cache_store = MemoryStore()
    return session_store, cache_store


def _session_config(settings: Settings) -> auth.RotatingSessionConfig:
    return auth.RotatingSessionConfig(
        key="__Host-session" if settings.secure_cookies else "crm_session",
        max_age=settings.session_idle_minutes * 60,
        renew_on_access=False,  # the backend renews by writing back at most once a minute
        secure=settings.secure_cookies,
        httponly=True,
        samesite="lax",
        store="sessions",
        exclude=["^/static/", "^/health$", "^/api/"],
    )


def _template_config() -> TemplateConfig:
    return TemplateConfig(
        directory=[PACKAGE_ROOT / "templates"],
        engine=JinjaTemplateEngine,
        engine_callback=partial(templating.configure, extra_globals={"audit_label": audit_label}),
    )


def _static_files_router() -> Any:
    return create_static_files_router(
        path="/static",
        directories=[ASSETS_ROOT / "static"],
        opt={"public": True},
        include_in_schema=False,
        send_as_attachment=False,
    )


def _csrf_config(settings: Settings) -> CSRFConfig:
    return CSRFConfig(
        secret=settings.secret_key,
        # Behind HTTPS the __Host- prefix pins the cookie to this host and path: a sibling subdomain cannot
        # plant a token of its own (the weakness of a double-submit cookie).
        cookie_name="__Host-crm_csrf" if settings.secure_cookies else "crm_csrf",
        header_name="x-csrftoken",
        cookie_secure=settings.secure_cookies,
        cookie_samesite="lax",
        exclude=["^/api/", "^/health$"],
    )


def _openapi_config() -> OpenAPIConfig:
    """/docs: Swagger UI served from the app's own static files, with the bearer token as the API's security."""
    return OpenAPIConfig(
        title="CRM API",
        openapi_router=Router("/docs", route_handlers=[], include_in_schema=False, opt={"public": True}),
        version="1",
        path="/docs",
        render_plugins=[
            SwaggerRenderPlugin(
                path="/",
                js_url="/static/vendor/swagger-ui/swagger-ui-bundle.js",
                css_url="/static/vendor/swagger-ui/swagger-ui.css",
                standalone_preset_js_url="/static/vendor/swagger-ui/swagger-ui-standalone-preset.js",
                favicon='<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">',
            )
        ],
        components=Components(
            security_schemes={
                "BearerToken": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT or crm_ API token")
            }
        ),
        security=[{"BearerToken": []}],
    )


async def _load_system_settings(app: Litestar) -> None:
    """The organisation's settings stored on /settings (the time zone, kept fresh in this process)."""
    from crm.features.system import settings as system_settings

    await system_settings.start(app.state.alchemy)


async def _freeze_startup_heap(app: Litestar) -> None:
    """Move what start-up made (modules, the ORM's mappers, templates, catalogues: a few hundred thousand objects)
    out of the collector's reach. Otherwise every full collection walks them all again: a page that allocates a lot
    (the goals list, 128 KB) paid ~220 ms every third request for it. Once per process: what later apps (tests)
    make stays collectable."""
    if gc.get_freeze_count():
        return
    gc.collect()
    gc.freeze()


def _queue_hooks(plugin: Any, *, connect: bool) -> Any:
    """Connect the app's queue at start-up (a queue that is down is logged, and /health reports it)."""

    async def hook(app: Litestar) -> None:
        from crm.workers import QUEUE_NAME

        queue = plugin.get_queue(QUEUE_NAME)
        app.state.queue = queue
        try:
            await asyncio.wait_for(queue.connect() if connect else queue.disconnect(), timeout=5)
        except Exception as exc:
            log.error("queue %s failed: %s", "connect" if connect else "disconnect", type(exc).__name__)

    return hook
