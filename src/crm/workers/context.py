"""Worker start-up: a database session factory in the job context, the organisation's settings loaded."""

from __future__ import annotations

import logging
from typing import Any

from crm.features.alerts import operations
from crm.features.system import settings as system_settings
from crm.lib import logs
from crm.lib.db import alchemy_config

log = logging.getLogger("crm.worker")


async def startup(ctx: dict[str, Any]) -> None:
    config = alchemy_config()
    ctx["db"] = config
    await system_settings.start(config)  # the time zone (kept fresh); the SMTP settings are read per mail
    log.info("worker started")


async def shutdown(ctx: dict[str, Any]) -> None:
    config = ctx.get("db")
    if config is not None:
        await config.get_engine().dispose()


# Sweeps every few minutes that usually find nothing to do: their successful runs are logged at DEBUG only.
QUIET_WHEN_DONE = {
    "give_out_lead_queue",
    "bitrix24_incremental",
    "purge_expired",
    "report_schedules_tick",
    "sales_mailbox_check",
    "tasks_sweep_series",
}


async def before_process(ctx: dict[str, Any]) -> None:
    """Log lines written while the job runs carry its id and name."""
    job = ctx.get("job")
    if job is not None:
        logs.bind(job_id=str(job.id), job=job.function)


async def after_process(ctx: dict[str, Any]) -> None:
    """One line per job outcome (SAQ's own per-job lines are below the log level): name, status, time, attempt.
    Never the job's arguments."""
    job = ctx.get("job")
    if job is None:
        return
    status = job.status.name.lower() if job.status is not None else "unknown"
    seconds = max(0, (job.completed or job.touched or 0) - (job.started or 0)) / 1000
    if status == "complete":
        level = logging.DEBUG if job.function in QUIET_WHEN_DONE else logging.INFO
    elif status in ("queued", "active"):  # to be retried
        level = logging.WARNING
    else:
        level = logging.ERROR
    log.log(level, "job %s %s in %.2f s (attempt %s)", job.function, status, seconds, job.attempts)
    if ctx.get("db") is not None:
        try:  # the outcome counters, the heartbeat and the admins' notice of a failure for good
            await operations.after_job(ctx["db"], job.function, status, seconds, job.result, job.error)
        except Exception:
            log.exception("recording the outcome of job %s failed", job.function)
    logs.context.set(None)
