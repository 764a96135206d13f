"""Logging of the web and worker processes: what a person running the service needs at INFO, and no secrets.

SAQ logs every enqueue, start and finish at INFO (four cron lines a minute) and prints a failed job with its full
keyword arguments. Its logger is kept at WARNING, and a filter replaces every job in a SAQ record by its abridged
form (function, key, status: never the kwargs); the worker logs one line per job outcome itself
(``crm.workers.context.after_process``).
"""

from __future__ import annotations

import logging
from typing import Any

from litestar.logging import LoggingConfig


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
    return LoggingConfig(
        root={"level": "INFO", "handlers": ["queue_listener"]},
        filters={"job_redaction": {"()": JobRedaction}},
        loggers={
            "saq": {"level": "WARNING", "filters": ["job_redaction"], "propagate": True},
        },
        log_exceptions="debug",
        disable_stack_trace={404, 401, 403, 400, 422, 405},
    )
