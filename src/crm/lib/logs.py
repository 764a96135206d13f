"""Logging of the web and worker processes: what a person running the service needs at INFO, and no secrets.

SAQ logs every enqueue, start and finish at INFO (four cron lines a minute) and prints a failed job with its full
keyword arguments. Its logger is kept at WARNING, and a filter replaces every job in a SAQ record by its abridged
form (function, key, status: never the kwargs); the worker logs one line per job outcome itself
(``crm.workers.context.after_process``).
"""

from __future__ import annotations

import contextvars
import copy
import json
import logging
import os
import re
from datetime import UTC, datetime
from typing import Any

from litestar.logging import LoggingConfig
from litestar.logging.config import default_handlers

# The request or job a log line belongs to: set by the request-id middleware and by the worker before each job.
context: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar("crm_log_context", default=None)


def bind(**values: str) -> contextvars.Token[dict[str, str] | None]:
    return context.set({**(context.get() or {}), **values})


_SECRETS = [
    # key=value, key: value, "key": "value" for anything that names a secret
    (
        re.compile(
            r"(?i)((?:password|passwd|secret|token|api[_-]?key|authorization|client_secret|webhook_url)"
            r"[\w-]*[\"']?\s*[:=]\s*[\"']?)(?:bearer\s+)?[^\s\"',&;)}]+"
        ),
        r"\1***",
    ),
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{6,}"), r"\1 ***"),
    (re.compile(r"\bcrm_[A-Za-z0-9_-]{8,}"), "crm_***"),  # personal API tokens
    (re.compile(r"(?i)(\w+://)[^/\s:@]+:[^/\s@]+@"), r"\1***@"),  # user:password@ in URLs
    (re.compile(r"(/rest/\d+/)[A-Za-z0-9]{6,}"), r"\1***"),  # Bitrix24 webhook keys
]


def redact(text: str) -> str:
    """The text with anything that looks like a password, token or key replaced by ***."""
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


class ContextFilter(logging.Filter):
    """Copies the request or job id of the current task onto the record (a handler filter runs in the caller's
    context, before the queue listener's thread formats the line)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in (context.get() or {}).items():
            setattr(record, key, value)
        return True


class RedactingFormatter(logging.Formatter):
    """The house's plain line, with secrets redacted and the request or job id when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        ids = " ".join(f"{k}={getattr(record, k)}" for k in ("request_id", "job_id") if getattr(record, k, None))
        return redact(f"{line} [{ids}]" if ids else line)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id/job_id, exception; secrets redacted."""

    def format(self, record: logging.LogRecord) -> str:
        event: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        for key in ("request_id", "job_id", "job"):
            if getattr(record, key, None):
                event[key] = getattr(record, key)
        if record.exc_info:
            event["exception"] = redact(self.formatException(record.exc_info))
        elif record.exc_text:
            event["exception"] = redact(record.exc_text)
        return json.dumps(event, ensure_ascii=False, default=str)


def json_logs() -> bool:
    return os.environ.get("CRM_LOG_FORMAT", "").strip().lower() == "json"


class JobRedaction(logging.Filter):
    """Jobs in SAQ's log records are shown without their arguments (a reset link, a file name, a client)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(_abridged(arg) for arg in args)
        return True


def _abridged(value: Any) -> Any:
    info = getattr(value, "info", None)
    if callable(info) and type(value).__name__ == "Job":
        return info(False)
    return value


def logging_config() -> LoggingConfig:
    """``CRM_LOG_FORMAT=json``: one JSON object per line (for a log collector); otherwise plain lines."""
    handlers = copy.deepcopy(default_handlers)
    for handler in handlers.values():
        handler["filters"] = ["log_context"]
    formatter = JsonFormatter if json_logs() else RedactingFormatter
    return LoggingConfig(
        root={"level": "INFO", "handlers": ["queue_listener"]},
        formatters={
            "standard": {"()": formatter, "format": "%(levelname)s - %(asctime)s - %(name)s - %(module)s - %(message)s"}
        },
        handlers=handlers,
        filters={"job_redaction": {"()": JobRedaction}, "log_context": {"()": ContextFilter}},
        loggers={
            "saq": {"level": "WARNING", "filters": ["job_redaction"], "propagate": True},
            # uvicorn's own lines (the access log has the query string) go through the same redaction and format
            **{
                name: {"level": "INFO", "handlers": ["queue_listener"], "propagate": False}
                for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
            },
        },
        log_exceptions="debug",
        disable_stack_trace={404, 401, 403, 400, 422, 405},
    )


class _HttpClientRedaction(logging.Filter):
    """Runs one client's ``redact`` over the HTTP client libraries' own log lines (request URLs carry secrets:
    Bitrix24 webhook keys, Telegram bot tokens), whatever formatter the process uses."""

    def __init__(self, redact: Any) -> None:
        super().__init__()
        self.redact = redact

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # pragma: no cover - a broken record is not ours to fix
            return True
        cleaned = self.redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


def redact_http_client_logs(redact: Any) -> None:
    """Install ``redact`` (text → text) on httpx's and httpcore's loggers, once per function."""
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _HttpClientRedaction) and f.redact is redact for f in logger.filters):
            logger.addFilter(_HttpClientRedaction(redact))
