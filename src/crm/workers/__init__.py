"""Queue settings, the list of jobs and the cron schedule. Jobs are thin: they call feature services."""

from __future__ import annotations

import asyncio
import contextlib
from functools import lru_cache, partial

from litestar.config.app import AppConfig
from litestar.plugins import InitPluginProtocol
from litestar_saq import CronJob, QueueConfig, SAQConfig, SAQPlugin
from litestar_saq.base import Worker

from crm.config import Settings, get_settings
from crm.lib.db import queue_url

QUEUE_NAME = "crm"

TASKS = [
    "crm.workers.housekeeping.purge_expired",
    "crm.workers.mail.send_password_reset",
    "crm.workers.system.send_mail_test",
    "crm.workers.leads.give_out_lead_queue",
    "crm.workers.tariffs.tariffs_import_journal",
    "crm.workers.tariffs.tariffs_send_detail",
    "crm.workers.sync.bitrix24_run",
    "crm.workers.sync.bitrix24_incremental",
    "crm.workers.sync.bitrix24_reconcile",
    "crm.workers.reports.report_schedules_tick",
]

# Slices keep their jobs in their own ``jobs`` module (TASKS: dotted paths, CRON: schedule); the older ones are
# still listed above, with their functions in this package.


def all_tasks() -> list[str]:
    """The dotted paths of every job function the worker runs: the central list and the slices' own."""
    return [*TASKS, *_slice_jobs()[0]]


def _slice_jobs() -> tuple[list[str], list[CronJob]]:
    import importlib

    tasks: list[str] = []
    cron: list[CronJob] = []
    from crm.features import SLICES

    for name in SLICES:
        try:
            module = importlib.import_module(f"crm.features.{name}.jobs")
        except ModuleNotFoundError as exc:
            if exc.name != f"crm.features.{name}.jobs":
                raise
            continue
        if not hasattr(module, "TASKS"):  # clients' jobs.py is its sync engine's runner, listed above
            continue
        tasks += module.TASKS
        cron += module.CRON
    return tasks, cron


class QueueLifecycle(InitPluginProtocol):
    """Adjusts litestar-saq's app hooks; registered right after the stock ``SAQPlugin`` (which must stay that
    exact class: ``crm workers run`` finds it with ``app.plugins.get(SAQPlugin)``, by type).

    Web processes that do not run the worker in-process get no worker start/stop hooks. The in-process worker's
    shutdown waits until the worker has stopped (litestar-saq's own hook only schedules the stop, and the worker
    is then torn down with the event loop: noisy "never retrieved" errors at exit). Our jobs report progress
    themselves, so litestar-saq's heartbeat thread is off."""

    def __init__(self, saq: SAQPlugin, in_process: bool) -> None:
        self._saq = saq
        self._in_process = in_process

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        workers = list(self._saq.get_workers().values())
        for worker in workers:
            worker._enable_heartbeat_manager = False
        if not self._in_process:
            hooks = {w.on_app_startup for w in workers} | {w.on_app_shutdown for w in workers}
            app_config.on_startup = [h for h in app_config.on_startup if h not in hooks]
            app_config.on_shutdown = [h for h in app_config.on_shutdown if h not in hooks]
            return app_config
        stops = {w.on_app_shutdown: w for w in workers}
        app_config.on_shutdown = [
            partial(_stop_in_process_worker, stops[h]) if h in stops else h for h in app_config.on_shutdown
        ]
        return app_config


async def _stop_in_process_worker(worker: Worker) -> None:
    """Stop the in-process worker and wait (bounded) until its jobs and its own task have ended."""
    running = getattr(worker, "_saq_asyncio_tasks", None)
    await worker.stop()
    if isinstance(running, asyncio.Task) and not running.done():
        with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(running, timeout=10)


@lru_cache(maxsize=1)
def saq_plugin() -> SAQPlugin:
    """The queue plugin of the application built from the environment's settings."""
    return build_queue_plugin(get_settings())


def queue_plugins(settings: Settings) -> tuple[SAQPlugin, QueueLifecycle]:
    """The queue plugin and its lifecycle adjustments, in the order the app must list them."""
    saq = saq_plugin() if settings is get_settings() else build_queue_plugin(settings)
    return saq, QueueLifecycle(saq, in_process=settings.worker_in_process)


def build_queue_plugin(settings: Settings) -> SAQPlugin:
    dsn = queue_url(settings)
    slice_tasks, slice_cron = _slice_jobs()
    return SAQPlugin(
        config=SAQConfig(
            web_enabled=False,
            use_server_lifespan=False,
            queue_configs=[
                QueueConfig(
                    name=QUEUE_NAME,
                    dsn=dsn,
                    tasks=[*TASKS, *slice_tasks],
                    scheduled_tasks=[
                        CronJob(
                            function="crm.workers.housekeeping.purge_expired",
                            cron="*/15 * * * *",
                            timeout=120,
                            retries=2,
                        ),
                        CronJob(
                            function="crm.workers.leads.give_out_lead_queue",
                            cron="* * * * *",
                            timeout=120,
                            retries=1,
                        ),
                        CronJob(
                            function="crm.workers.sync.bitrix24_incremental",
                            cron="* * * * *",
                            timeout=900,
                            retries=0,
                            unique=True,
                        ),
                        CronJob(
                            function="crm.workers.sync.bitrix24_reconcile",
                            cron="30 2 * * *",
                            timeout=3 * 3600,
                            retries=0,
                            unique=True,
                        ),
                        CronJob(
                            function="crm.workers.reports.report_schedules_tick",
                            cron="* * * * *",
                            timeout=600,
                            retries=1,
                        ),
                        *slice_cron,
                    ],
                    concurrency=4,
                    separate_process=not settings.worker_in_process,
                    startup=["crm.workers.context.startup"],
                    shutdown=["crm.workers.context.shutdown"],
                    before_process=["crm.workers.context.before_process"],
                    after_process=["crm.workers.context.after_process"],
                    broker_options={} if dsn.startswith("redis") else {"min_size": 1, "max_size": 4},
                )
            ],
        ),
    )
