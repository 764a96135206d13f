"""The Bitrix24 REST transport: JSON POST, error classes, a per-portal leaky bucket, operating-time awareness,
retries with back-off and jitter, single-flight OAuth refresh, ``batch`` and both paging styles (the ways to
sign in: ``auth``).

Secrets (webhook code, tokens, client secret) never appear in a log line or an exception message: errors
name the method, never the URL, and the httpx logger is filtered.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from crm.integrations.bitrix24.auth import OAuthAuth, OAuthTokens, WebhookAuth, check_url
from crm.integrations.bitrix24.errors import (  # noqa: F401 - re-exported
    AuthError,
    Bitrix24Error,
    MethodError,
    NotFoundError,
    OperationTimeLimit,
    QueryLimitExceeded,
    TokenExpired,
    TransientError,
    error_from,
    redact,
)
from crm.integrations.bitrix24.limits import LeakyBucket, bucket_for
from crm.integrations.bitrix24.query import http_build_query

log = logging.getLogger("crm.bitrix24")

PAGE = 50
MAX_BATCH = 50


# --------------------------------------------------------------------------- responses


@dataclass
class Response:
    result: Any
    total: int | None = None
    next: int | None = None
    time: dict[str, Any] = field(default_factory=dict)


@dataclass
class BatchResult:
    result: dict[str, Any]
    errors: dict[str, Bitrix24Error]
    total: dict[str, int]
    next: dict[str, int]
    time: dict[str, Any]
    outer: dict[str, Any] = field(default_factory=dict)


def _as_map(value: Any) -> dict[str, Any]:
    """Batch maps: a dict, a list (numeric keys) or ``[]`` (empty)."""
    if isinstance(value, dict):
        return value
    if isinstance(value, list):
        return {str(i): v for i, v in enumerate(value)}
    return {}


@dataclass(frozen=True)
class ListSpec:
    """How one list method names its parameters (case matters, reference §3.3)."""

    method: str
    filter_key: str = "filter"
    order: str = "crm"  # "crm": order={"ID":"ASC"}; "sort": SORT="ID", ORDER="ASC"
    id_field: str = "ID"
    select: tuple[str, ...] = ()

    def params(self, flt: dict[str, Any], start: int = -1) -> dict[str, Any]:
        p: dict[str, Any] = {self.filter_key: flt, "start": start}
        if self.order == "crm":
            p["order"] = {self.id_field: "ASC"}
        else:
            p["SORT"], p["ORDER"] = self.id_field, "ASC"
        if self.select:
            p["select"] = list(dict.fromkeys([*self.select, self.id_field]))
        return p


# --------------------------------------------------------------------------- the client


class Bitrix24Client:
    def __init__(
        self,
        auth: WebhookAuth | OAuthAuth,
        *,
        rate: float = 2.0,
        burst: float = 40.0,
        timeout: float = 90.0,
        max_retries: int = 6,
        limit_retries: int = 40,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        http: httpx.AsyncClient | None = None,
        bucket: LeakyBucket | None = None,
        operating_wait: float = 60.0,
    ) -> None:
        check_url(auth.base)
        self.auth = auth
        self.max_retries, self.limit_retries = max_retries, limit_retries
        self.backoff, self.max_backoff = backoff, max_backoff
        self._own_http = http is None
        self.http = http or httpx.AsyncClient(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 15.0)),
            headers={"Accept": "application/json", "User-Agent": "crm-bitrix24/1.0"},
            follow_redirects=True,
        )
        self.bucket = bucket or bucket_for(auth.portal, rate, burst)
        self.blocked_until: dict[str, float] = {}
        self.operating_wait = operating_wait
        self.requests = 0
        self.retries = 0
        self.server_time: float | None = None

    async def close(self) -> None:
        if self._own_http:
            await self.http.aclose()

    async def __aenter__(self) -> Bitrix24Client:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # ---------------------------------------------------------------- one request

    async def _send(self, method: str, params: dict[str, Any]) -> Response:
        headers = {}
        used = ""
        if isinstance(self.auth, OAuthAuth):
            used = self.auth.tokens.access_token
            headers["Authorization"] = f"Bearer {used}"
        await self.bucket.acquire()
        self.requests += 1
        try:
            reply = await self.http.post(self.auth.base + method, json=params, headers=headers)
        except httpx.ConnectError:
            raise TransientError("CONNECT", "cannot connect", 0, method) from None  # nothing was sent
        except httpx.TimeoutException:
            raise TransientError("TIMEOUT", "no answer in time", 0, method) from None
        except httpx.HTTPError as exc:
            raise TransientError("NETWORK", type(exc).__name__, 0, method) from None
        try:
            body = json.loads(reply.content)
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise TransientError(
                "BAD_BODY",
                f"not a JSON object ({reply.headers.get('content-type', '?')})",
                reply.status_code,
                method,
            )
        if "error" in body:
            err = error_from(body, reply.status_code, method)
            if isinstance(err, OperationTimeLimit):
                err.reset_at = _reset_at(body.get("time"))
            if isinstance(err, TokenExpired):
                err.token = used
            raise err
        if reply.status_code >= 400:
            raise TransientError("HTTP", f"status {reply.status_code} without an error", reply.status_code, method)
        tm: dict[str, Any] = body["time"] if isinstance(body.get("time"), dict) else {}
        self._note_operating(method, tm)
        if isinstance(tm.get("start"), (int, float)):
            self.server_time = float(tm["start"])  # the portal's clock, for watermarks
        return Response(body.get("result"), _int(body.get("total")), _int(body.get("next")), tm)

    def _note_operating(self, method: str, tm: dict[str, Any]) -> None:
        operating = tm.get("operating")
        if isinstance(operating, (int, float)) and operating > 400:
            # close to the 480 s/10 min block: slow this method down before the portal blocks it
            self.blocked_until[method] = max(self.blocked_until.get(method, 0.0), time.time() + 5)

    async def _wait_unblocked(self, method: str) -> None:
        until = self.blocked_until.get(method, 0.0)
        if until > time.time():
            await asyncio.sleep(until - time.time())

    def _delay(self, attempt: int) -> float:
        return random.uniform(0, min(self.max_backoff, self.backoff * (2**attempt)))

    async def call(self, method: str, params: dict[str, Any] | None = None, idempotent: bool = True) -> Response:
        """One method call with the retry policy of reference §2.4. A call that creates something
        (``idempotent=False``) is not repeated after it may have run (timeout, dropped connection, 5xx)."""
        params = params or {}
        attempt = limit_attempt = 0
        refreshed = False
        while True:
            await self._wait_unblocked(method)
            try:
                return await self._send(method, params)
            except QueryLimitExceeded:
                self.bucket.fill()
                limit_attempt += 1
                if limit_attempt > self.limit_retries:
                    raise
                self.retries += 1
                delay = self._delay(min(limit_attempt, 6))
                log.info("bitrix24 %s: rate limited, retry %d in %.2fs", method, limit_attempt, delay)
                await asyncio.sleep(delay)
            except OperationTimeLimit as exc:
                limit_attempt += 1
                if limit_attempt > self.limit_retries:
                    raise
                self.retries += 1
                self.block(method, exc.reset_at)
                log.info(
                    "bitrix24 %s: operating time limit, blocked for %.1fs",
                    method,
                    self.blocked_until[method] - time.time(),
                )
            except TokenExpired as exc:
                if refreshed or not isinstance(self.auth, OAuthAuth):
                    raise
                await self.refresh(exc.token)
                refreshed = True
            except TransientError as exc:
                if not idempotent and exc.code != "CONNECT":
                    raise
                attempt += 1
                if attempt > self.max_retries:
                    raise
                self.retries += 1
                delay = self._delay(attempt)
                log.info("bitrix24 %s: %s, retry %d in %.2fs", method, exc.code, attempt, delay)
                await asyncio.sleep(delay)

    def block(self, method: str, reset_at: float | None) -> None:
        until = (reset_at + 1) if reset_at else time.time() + self.operating_wait
        self.blocked_until[method] = max(self.blocked_until.get(method, 0.0), min(until, time.time() + 600))

    async def refresh(self, stale_access_token: str) -> None:
        """Single-flight: the first caller refreshes, the others wait and then use the new token."""
        auth = self.auth
        assert isinstance(auth, OAuthAuth)
        async with auth._lock:
            if auth.tokens.access_token != stale_access_token:
                return
            params = {
                "grant_type": "refresh_token",
                "client_id": auth.client_id,
                "client_secret": auth.client_secret,
                "refresh_token": auth.tokens.refresh_token,
            }
            try:
                reply = await self.http.get(auth.oauth_url, params=params)
                body = reply.json()
            except (httpx.HTTPError, ValueError):
                raise TransientError("OAUTH", "token refresh failed", 0, "oauth/token") from None
            if not isinstance(body, dict) or "access_token" not in body:
                code = str(body.get("error", "invalid_grant")) if isinstance(body, dict) else "invalid_grant"
                raise AuthError(
                    code, "token refresh refused; reinstall the application", reply.status_code, "oauth/token"
                )
            auth.tokens = OAuthTokens(
                access_token=body["access_token"],
                refresh_token=body.get("refresh_token", auth.tokens.refresh_token),
                client_endpoint=body.get("client_endpoint") or auth.tokens.client_endpoint,
                expires=_int(body.get("expires")),
            )
            auth.refresh_count += 1
            log.info("bitrix24: access token refreshed")
            if auth.on_refresh is not None:
                await auth.on_refresh(auth.tokens)

    # ---------------------------------------------------------------- batch

    async def batch(self, commands: dict[str, tuple[str, dict[str, Any]]], halt: bool = False) -> BatchResult:
        """Up to 50 named commands per request (more are split); per-command errors come back in ``errors``.
        Command names must not be numeric (PHP would turn the maps into lists)."""
        out = BatchResult({}, {}, {}, {}, {})
        names = list(commands)
        for i in range(0, len(names), MAX_BATCH):
            chunk = names[i : i + MAX_BATCH]
            cmd = {n: f"{commands[n][0]}?{http_build_query(commands[n][1])}" for n in chunk}
            reply = await self.call("batch", {"halt": 1 if halt else 0, "cmd": cmd})
            res = reply.result if isinstance(reply.result, dict) else {}
            out.result.update(_as_map(res.get("result")))
            for name, body in _as_map(res.get("result_error")).items():
                body = body if isinstance(body, dict) else {"error": str(body)}
                err = error_from(body, 200, commands.get(name, ("batch",))[0])
                out.errors[name] = err
            out.total.update({k: int(v) for k, v in _as_map(res.get("result_total")).items() if _int(v) is not None})
            out.next.update({k: int(v) for k, v in _as_map(res.get("result_next")).items() if _int(v) is not None})
            times = _as_map(res.get("result_time"))
            for name, tm in times.items():  # nested calls count against their own methods' operating time
                if name in commands and isinstance(tm, dict):
                    self._note_operating(commands[name][0], tm)
            out.time.update(times)
            out.outer = reply.time
        return out

    # ---------------------------------------------------------------- paging

    async def iter_offset(self, method: str, params: dict[str, Any] | None = None) -> AsyncIterator[list[Any]]:
        """Offset paging: follow ``next`` until it is absent (never stop on an empty page)."""
        params = dict(params or {})
        start = 0
        while True:
            reply = await self.call(method, {**params, "start": start})
            rows = reply.result if isinstance(reply.result, list) else []
            yield rows
            if reply.next is None or reply.next <= start:
                return
            start = reply.next

    async def iter_keyset(
        self,
        spec: ListSpec,
        flt: dict[str, Any] | None = None,
        after: int = 0,
        chain: int = MAX_BATCH,
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Keyset scan (``start=-1``, ``>ID``, ``order ID ASC``), ``chain`` pages per request through batch
        references ``$result[prev][49][ID]``; stops on a short page. Yields pages of rows in ID order."""
        flt = dict(flt or {})
        last = after
        blocked = 0
        while True:
            if chain <= 1:
                reply = await self.call(spec.method, spec.params({**flt, f">{spec.id_field}": last}))
                rows = reply.result if isinstance(reply.result, list) else []
                if rows:
                    yield rows
                    last = int(rows[-1][spec.id_field])
                if len(rows) < PAGE:
                    return
                continue
            commands: dict[str, tuple[str, dict[str, Any]]] = {}
            for k in range(chain):
                ref: Any = last if k == 0 else f"$result[p{k - 1:02d}][{PAGE - 1}][{spec.id_field}]"
                commands[f"p{k:02d}"] = (spec.method, spec.params({**flt, f">{spec.id_field}": ref}))
            result = await self.batch(commands, halt=True)
            for k in range(chain):
                name = f"p{k:02d}"
                if name in result.errors:
                    err = result.errors[name]
                    if isinstance(err, OperationTimeLimit) and blocked < self.limit_retries:
                        blocked += 1
                        self.retries += 1
                        self.block(spec.method, _reset_at(result.time.get(name)) or _reset_at(result.outer))
                        await self._wait_unblocked(spec.method)
                        break  # resume from ``last``
                    raise err
                got = result.result.get(name)
                rows = got if isinstance(got, list) else []
                if rows:
                    yield rows
                    last = int(rows[-1][spec.id_field])
                if len(rows) < PAGE:
                    return
                if name not in result.result:
                    break

    async def get_by_ids(
        self, spec: ListSpec, ids: list[int], extra: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """Current state of some records (``@ID`` filter): 50 ids per command, 50 commands per request."""
        ids = sorted(set(ids))
        commands = {
            f"g{i:04d}": (
                spec.method,
                spec.params({**(extra or {}), f"@{spec.id_field}": ids[i : i + PAGE]}, start=-1),
            )
            for i in range(0, len(ids), PAGE)
        }
        if not commands:
            return []
        result = await self.batch(commands)
        if result.errors:
            raise next(iter(result.errors.values()))
        rows: list[dict[str, Any]] = []
        for name in commands:
            value = result.result.get(name)
            rows.extend(value if isinstance(value, list) else [])
        return rows


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None and value != "" else None
    except (TypeError, ValueError):
        return None


def _reset_at(tm: Any) -> float | None:
    if not isinstance(tm, dict):
        return None
    value = tm.get("operating_reset_at")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        from crm.integrations.bitrix24.values import as_datetime

        if value.isdigit():
            return float(value)
        parsed = as_datetime(value)
        return parsed.timestamp() if parsed else None
    return None
