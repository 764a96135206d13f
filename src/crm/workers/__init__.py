"""Queue settings, the list of jobs and the cron schedule. Jobs are thin: they call feature services."""

from __future__ import annotations

import asyncio
import contextlib
from functools import lru_cache, partial

from litestar.config.app import AppConfig
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
]


class QueuePlugin(SAQPlugin):
    """litestar-saq without its heartbeat thread (our jobs report progress themselves), and without worker
    hooks in web processes that do not run the worker in-process."""

    def __init__(self, config: SAQConfig, in_process: bool) -> None:
        super().__init__(config)
        self._in_process = in_process

    def get_workers(self) -> dict[str, Worker]:
        workers = super().get_workers()
        for worker in workers.values():
            worker._enable_heartbeat_manager = False
        return workers

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config = super().on_app_init(app_config)
        workers = list(self.get_workers().values())
        if not self._in_process:
            hooks = {w.on_app_startup for w in workers} | {w.on_app_shutdown for w in workers}
            app_config.on_startup = [h for h in app_config.on_startup if h not in hooks]
            app_config.on_shutdown = [h for h in app_config.on_shutdown if h not in hooks]
            return app_config
        # litestar-saq's shutdown hook only schedules the worker's stop; the app then finishes shutting down and
        # the worker is torn down with the event loop (noisy "never retrieved" errors at exit). Wait for it instead.
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
def saq_plugin() -> QueuePlugin:
    """The queue plugin of the application built from the environment's settings."""
    return build_queue_plugin(get_settings())


def build_queue_plugin(settings: Settings) -> QueuePlugin:
    dsn = queue_url(settings)
    return QueuePlugin(
        in_process=settings.worker_in_process,
        config=SAQConfig(
            web_enabled=False,
            use_server_lifespan=False,
            queue_configs=[
                QueueConfig(
                    name=QUEUE_NAME,
                    dsn=dsn,
                    tasks=list(TASKS),
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
                    ],
                    concurrency=4,
                    separate_process=not settings.worker_in_process,
                    startup=["crm.workers.context.startup"],
                    shutdown=["crm.workers.context.shutdown"],
                    broker_options={} if dsn.startswith("redis") else {"min_size": 1, "max_size": 4},
                )
            ],
        ),
    )
