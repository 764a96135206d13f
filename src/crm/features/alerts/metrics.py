"""``/metrics`` in Prometheus' text format.

Per process (counted in memory by ``MetricsMiddleware``): HTTP requests and their latency by route template and
status. Read from the database and the queue at scrape time (the same for every web process, whatever the
workers did in theirs): queue depth, job outcomes and durations per job name, the worker's heartbeat, the
Bitrix24 sync lag and requests, the mailbox check, the lead desk's unassigned queue, failed mail sends; and the
database pool of this process. CRM_METRICS_TOKEN set → ``Authorization: Bearer <token>`` required; unset →
loopback clients only."""

from __future__ import annotations

import time
from typing import Any

from litestar import Request, Response, get
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, SummaryMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.alerts import health
from crm.lib.deps import Db

REGISTRY = CollectorRegistry(auto_describe=True)
REQUESTS = Counter(
    "crm_http_requests", "HTTP requests by route template and status", ["method", "route", "status"], registry=REGISTRY
)
LATENCY = Histogram(
    "crm_http_request_duration_seconds",
    "HTTP request latency by route template",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)
SKIPPED = ("/static/", "/metrics")


class MetricsMiddleware(ASGIMiddleware):
    """Counts each routed request under its path template (``/companies/{company_id:int}``, never the raw path:
    bounded label values) and its final status."""

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if scope["type"] != "http" or str(scope.get("path", "")).startswith(SKIPPED):
            await next_app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await next_app(scope, receive, sending)
        finally:
            route = str(scope.get("path_template") or "<unmatched>")
            method = str(scope.get("method", ""))
            REQUESTS.labels(method, route, str(status)).inc()
            LATENCY.labels(method, route).observe(time.perf_counter() - started)


def _pool_families(request: Request) -> list[Any]:
    pool = request.app.state.alchemy.get_engine().pool
    size = GaugeMetricFamily("crm_db_pool_size", "Connections the pool keeps (this process)")
    used = GaugeMetricFamily("crm_db_pool_checked_out", "Connections in use (this process)")
    overflow = GaugeMetricFamily("crm_db_pool_overflow", "Connections beyond the pool size (this process)")
    for family, name in ((size, "size"), (used, "checkedout"), (overflow, "overflow")):
        getter = getattr(pool, name, None)
        if callable(getter):
            family.add_metric([], float(getter()))
    return [size, used, overflow]


async def scrape_families(request: Request, session: AsyncSession) -> list[Any]:
    shot = await health.snapshot(session, getattr(request.app.state, "queue", None))
    families: list[Any] = _pool_families(request)
    depth = GaugeMetricFamily("crm_queue_jobs", "Jobs in the queue by state", labels=["state"])
    for state, n in shot.queue.items():
        depth.add_metric([state], n)
    outcomes = CounterMetricFamily("crm_jobs", "Finished jobs by name and outcome", labels=["job", "outcome"])
    durations = SummaryMetricFamily(
        "crm_job_duration_seconds", "Job run time by name and outcome", labels=["job", "outcome"]
    )
    for job, status, n, seconds in sorted(shot.jobs):
        name = job.rsplit(".", 1)[-1]
        outcomes.add_metric([name, status], n)
        durations.add_metric([name, status], count_value=n, sum_value=seconds)
    families += [depth, outcomes, durations]
    if shot.heartbeat is not None:
        beat = GaugeMetricFamily("crm_worker_heartbeat_timestamp_seconds", "When a worker last finished a job")
        beat.add_metric([], shot.heartbeat.timestamp())
        families.append(beat)
    if shot.sync_lag_seconds is not None:
        lag = GaugeMetricFamily("crm_bitrix24_sync_lag_seconds", "Seconds since the last successful Bitrix24 poll")
        lag.add_metric([], shot.sync_lag_seconds)
        families.append(lag)
    spent = GaugeMetricFamily("crm_bitrix24_requests_24h", "Bitrix24 REST requests of the sync runs of the last 24 h")
    spent.add_metric([], shot.bitrix24_requests_24h)
    running = GaugeMetricFamily("crm_bitrix24_sync_running", "Sync runs in progress")
    running.add_metric([], shot.sync_running)
    families += [spent, running]
    if shot.mailbox is not None and shot.mailbox["last_check_at"] is not None:
        checked = GaugeMetricFamily("crm_mailbox_last_check_timestamp_seconds", "When the ERP mailbox was last checked")
        checked.add_metric([], shot.mailbox["last_check_at"].timestamp())
        ok = GaugeMetricFamily("crm_mailbox_last_check_ok", "1 when the last mailbox check succeeded")
        ok.add_metric([], 1.0 if shot.mailbox["state"] == "ok" else 0.0)
        families += [checked, ok]
    if shot.unassigned_leads is not None:
        waiting = GaugeMetricFamily("crm_leads_unassigned", "Open lead desk contacts waiting for an operator")
        waiting.add_metric([], shot.unassigned_leads)
        families.append(waiting)
    failed = CounterMetricFamily("crm_mail_failed", "Mail jobs that failed for good")
    failed.add_metric([], shot.mail_failed)
    families.append(failed)
    return families


class _Families:
    def __init__(self, families: list[Any]) -> None:
        self._families = families

    def collect(self) -> Any:
        return iter(self._families)


@get("/metrics", opt={"public": True}, include_in_schema=False)
async def metrics(request: Request, db_session: Db) -> Response[bytes]:
    if not health.may_read_metrics(request):  # a plain 401 for the scraper (no sign-in page)
        return Response(
            b"A metrics token (Authorization: Bearer) or a loopback client is required\n",
            status_code=401,
            media_type="text/plain",
        )
    scraped = CollectorRegistry(auto_describe=False)
    scraped.register(_Families(await scrape_families(request, db_session)))
    body = generate_latest(REGISTRY) + generate_latest(scraped)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


ROUTES: list[Any] = [metrics]
