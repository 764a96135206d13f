"""Error classes of Bitrix24 answers (reference §1.4) and the redaction that keeps secrets out of logs."""

from __future__ import annotations

import re
from typing import Any

from crm.lib.logs import redact_http_client_logs

# --------------------------------------------------------------------------- secrets out of logs

_SECRET_PATTERNS = [
    (re.compile(r"(/rest/\d+/)[^/\s\"']+"), r"\1***"),
    (re.compile(r"((?:auth|access_token|refresh_token|client_secret|code)=)[^&\s\"']+", re.I), r"\1***"),
    (re.compile(r"(Bearer\s+)\S+", re.I), r"\1***"),
]


def redact(text: str) -> str:
    for pattern, repl in _SECRET_PATTERNS:
        text = pattern.sub(repl, text)
    return text


redact_http_client_logs(redact)


# --------------------------------------------------------------------------- errors


class Bitrix24Error(Exception):
    """A failed call. ``code`` is Bitrix's ``error`` ("" for legacy CRM errors); never carries a secret."""

    transient = False

    def __init__(self, code: str, description: str = "", status: int = 0, method: str = "") -> None:
        self.code, self.description, self.status, self.method = (
            code,
            redact(description or ""),
            status,
            method,
        )
        super().__init__(f"{method or 'bitrix24'}: {code or 'error'} (HTTP {status}) {self.description}".strip())


class TransientError(Bitrix24Error):
    """5xx, HTML or malformed bodies, timeouts, dropped connections: retried with back-off."""

    transient = True


class QueryLimitExceeded(TransientError):
    """503 QUERY_LIMIT_EXCEEDED: the portal's leaky bucket overflowed."""


class OperationTimeLimit(TransientError):
    """429 OPERATION_TIME_LIMIT: this method is blocked until ``reset_at``."""

    def __init__(self, *args: Any, reset_at: float | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reset_at = reset_at


class TokenExpired(Bitrix24Error):
    """401 expired_token / invalid_token: refresh once, then retry."""

    token: str = ""


class AuthError(Bitrix24Error):
    """Wrong credentials, missing scope, blocked or deleted portal: fatal until the settings are fixed."""


class NotFoundError(Bitrix24Error):
    """The legacy CRM "Not found": the record is gone (treat as deleted)."""


class MethodError(Bitrix24Error):
    """Any other 4xx: a bug in the request or a missing right; reported, not retried."""


_AUTH_CODES = {
    "NO_AUTH_FOUND",
    "INVALID_CREDENTIALS",
    "insufficient_scope",
    "authorization_error",
    "user_access_error",
    "APPLICATION_NOT_FOUND",
    "INVALID_REQUEST",
    "ERROR_METHOD_NOT_FOUND",
    "WRONG_AUTH_TYPE",
    "OVERLOAD_LIMIT",
    "PORTAL_DELETED",
    "METHOD_CONFIRM_WAITING",
    "WRONG_LICENSE",
}
_TRANSIENT_CODES = {"INTERNAL_SERVER_ERROR", "ERROR_UNEXPECTED_ANSWER", "ERROR_CORE"}


def error_from(body: dict[str, Any], status: int, method: str) -> Bitrix24Error:
    """The documented classification of an error envelope (reference §1.4)."""
    code = str(body.get("error") or "")
    text = str(body.get("error_description") or "")
    if code == "QUERY_LIMIT_EXCEEDED":
        return QueryLimitExceeded(code, text, status, method)
    if code == "OPERATION_TIME_LIMIT":
        return OperationTimeLimit(code, text, status, method)
    if code in {"expired_token", "invalid_token"}:
        return TokenExpired(code, text, status, method)
    if code in _AUTH_CODES or (code == "ACCESS_DENIED" and status == 401):
        return AuthError(code, text, status, method)
    if code in _TRANSIENT_CODES or status >= 500:
        return TransientError(code, text, status, method)
    if code == "" and text.lower().startswith("not found"):
        return NotFoundError(code, text, status, method)
    return MethodError(code, text, status, method)
