"""A small Telegram Bot API client for publishing reports: ``sendMessage``, ``sendPhoto`` and ``sendDocument``
(multipart). The token is part of the URL (``/bot<token>/<method>``), so it is kept out of every log line and every
error text: httpx's request lines are redacted and errors are built from the answer, never from the URL."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from crm.lib.logs import redact_http_client_logs

DEFAULT_API = "https://api.telegram.org"
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
_TOKEN_IN_URL = re.compile(r"/bot[^/\s\"']+")


def redact(text: str) -> str:
    return _TOKEN_IN_URL.sub("/bot***", text)


redact_http_client_logs(redact)


def api_base() -> str:
    """The Bot API's address: ``CRM_TELEGRAM_API_URL`` (a local Bot API server, or the tests' emulator)."""
    base = (os.environ.get("CRM_TELEGRAM_API_URL") or DEFAULT_API).rstrip("/")
    parts = urlsplit(base)
    if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")):
        raise ValueError("the Telegram API address must be https (plain http only for loopback)")
    return base


@dataclass
class TelegramError(Exception):
    """A refused or failed call. ``transient``: try again later (429 with ``retry_after``, 5xx, network, not JSON);
    otherwise the request itself is wrong (bad token, chat not found, bot blocked)."""

    method: str
    code: int
    description: str
    transient: bool = False
    retry_after: float | None = None

    def __str__(self) -> str:
        text = f"Telegram {self.method}: {self.code} {self.description}".strip()
        if self.retry_after is not None:
            text += f" (retry after {self.retry_after:g} s)"
        return redact(text)


def valid_token(token: str) -> bool:
    """The shape of a bot token: ``<bot id>:<35 characters>`` (letters, digits, ``_`` and ``-``)."""
    return bool(re.fullmatch(r"\d{3,20}:[A-Za-z0-9_-]{20,80}", token or ""))


def valid_chat_id(chat_id: str) -> bool:
    return bool(re.fullmatch(r"-?\d{1,20}|@[A-Za-z][A-Za-z0-9_]{4,31}", chat_id or ""))


class TelegramBot:
    def __init__(self, token: str, *, timeout: float = 60.0, base: str | None = None) -> None:
        self._token = token
        self._base = base or api_base()
        self._http = httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=10.0))

    async def __aenter__(self) -> TelegramBot:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._http.aclose()

    def __repr__(self) -> str:  # never the token
        return "TelegramBot(***)"

    async def call(self, method: str, data: dict[str, Any], files: dict[str, Any] | None = None) -> Any:
        url = f"{self._base}/bot{self._token}/{method}"
        try:
            if files:
                reply = await self._http.post(url, data={k: str(v) for k, v in data.items()}, files=files)
            else:
                reply = await self._http.post(url, json=data)
        except httpx.TimeoutException:
            raise TelegramError(method, 0, "no answer in time", transient=True) from None
        except httpx.HTTPError as exc:
            raise TelegramError(method, 0, f"network error ({type(exc).__name__})", transient=True) from None
        try:
            body = json.loads(reply.content)
        except ValueError:
            body = None
        if not isinstance(body, dict) or "ok" not in body:
            kind = reply.headers.get("content-type", "?").split(";")[0]
            raise TelegramError(
                method, reply.status_code, f"not a Bot API answer ({kind})", transient=reply.status_code >= 500
            )
        if body.get("ok") is True:
            return body.get("result")
        code = int(body.get("error_code") or reply.status_code)
        description = str(body.get("description") or "error")[:300]
        parameters: dict[str, Any] = body["parameters"] if isinstance(body.get("parameters"), dict) else {}
        retry_after = parameters.get("retry_after")
        if code == 429:
            wait = float(retry_after) if isinstance(retry_after, (int, float)) else 30.0
            raise TelegramError(method, code, description, transient=True, retry_after=wait)
        if parameters.get("migrate_to_chat_id"):
            description += f" (the group is now the supergroup {parameters['migrate_to_chat_id']})"
        raise TelegramError(method, code, description, transient=code >= 500)

    async def send_message(self, chat_id: str, text: str) -> Any:
        return await self.call(
            "sendMessage",
            {"chat_id": chat_id, "text": text[:TEXT_LIMIT], "parse_mode": "HTML", "disable_web_page_preview": True},
        )

    async def send_photo(self, chat_id: str, filename: str, content: bytes, caption: str = "") -> Any:
        data = {"chat_id": chat_id, "caption": caption[:CAPTION_LIMIT]}
        return await self.call("sendPhoto", data, files={"photo": (filename, content, "image/png")})

    async def send_document(self, chat_id: str, filename: str, content: bytes, caption: str = "") -> Any:
        data = {"chat_id": chat_id, "caption": caption[:CAPTION_LIMIT]}
        return await self.call("sendDocument", data, files={"document": (filename, content, "application/pdf")})
