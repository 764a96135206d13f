"""Operations: /metrics (Prometheus text, parsed back), who may read it, /health?detail=1, the job outcome
counters and the admins' failure notice (one per kind per hour, mailed once) written by the real worker's hook."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from crm.features.alerts import health
from crm.features.alerts.models import JobStat, OperationFailure
from crm.features.clients.sync_models import SyncRun
from tests.conftest import login, make_user

TOKEN = "metrics-token-for-tests-0123456789"


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def _request(client: tuple[str, int], headers: dict[str, str] | None = None) -> Any:
    from litestar import Request

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/metrics",
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
        "client": client,
        "app": None,
        "state": {},
    }
    return Request(scope)  # type: ignore[arg-type]


def test_without_a_token_only_loopback_clients_may_read_the_metrics(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CRM_METRICS_TOKEN", raising=False)
    assert health.may_read_metrics(_request(("127.0.0.1", 5000)))
    assert health.may_read_metrics(_request(("::1", 5000)))
    assert not health.may_read_metrics(_request(("10.1.2.3", 5000)))
    # a reverse proxy on this machine forwarding someone else's request is not a local client
    assert not health.may_read_metrics(_request(("127.0.0.1", 5000), {"X-Forwarded-For": "203.0.113.9"}))


def test_with_a_token_set_only_requests_bearing_it_may_read_the_metrics(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRM_METRICS_TOKEN", TOKEN)
    assert not health.may_read_metrics(_request(("127.0.0.1", 5000)))  # loopback is not enough any more
    assert not health.may_read_metrics(_request(("127.0.0.1", 5000), {"Authorization": "Bearer wrong"}))
    assert health.may_read_metrics(_request(("10.1.2.3", 5000), {"Authorization": f"Bearer {TOKEN}"}))


async def test_metrics_are_prometheus_text_by_route_template_with_the_state_read_from_the_database(
    client, db, monkeypatch
):
    monkeypatch.setenv("CRM_METRICS_TOKEN", TOKEN)
    refused = await client.get("/metrics")
    assert refused.status_code == 401
    now = datetime.now(UTC)
    db.add(SyncRun(kind="incremental", status="done", finished_at=now - timedelta(seconds=90), requests=7))
    db.add(JobStat(job="tariffs_send_detail", status="failed", count=2, seconds_sum=3.0, last_at=now))
    db.add(JobStat(job="give_out_lead_queue", status="complete", count=5, seconds_sum=0.5, last_at=now))
    await db.commit()
    await make_user(db, "admin@example.com", ["admin"])
    await login(client, "admin@example.com")
    for company in ("/users/00000000-0000-0000-0000-000000000001", "/users/00000000-0000-0000-0000-000000000002"):
        await client.get(company)

    answer = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    samples = _samples(answer.text)
    # two raw paths, one route template, counted by status
    counted = [k for k in samples if k[0] == "crm_http_requests_total" and ("route", "/users/{user_id}") in k[1]]
    assert counted and sum(samples[k] for k in counted) >= 2
    assert ("status", "404") in counted[0][1]  # unknown users: the handler's 404, not a 500
    assert not [k for k in samples if "00000000-0000" in str(k)]  # never a raw path as a label
    assert ("crm_http_request_duration_seconds_count", (("method", "POST"), ("route", "/login"))) in samples
    assert samples[("crm_jobs_total", (("job", "tariffs_send_detail"), ("outcome", "failed")))] == 2
    assert samples[("crm_job_duration_seconds_sum", (("job", "give_out_lead_queue"), ("outcome", "complete")))] == 0.5
    assert samples[("crm_mail_failed_total", ())] == 2
    assert 85 <= samples[("crm_bitrix24_sync_lag_seconds", ())] < 600
    assert samples[("crm_bitrix24_requests_24h", ())] == 7
    assert samples[("crm_leads_unassigned", ())] == 0
    assert ("crm_queue_jobs", (("state", "queued"),)) in samples
    assert ("crm_db_pool_checked_out", ()) in samples
    assert samples[("crm_worker_heartbeat_timestamp_seconds", ())] == pytest.approx(now.timestamp(), abs=1)


async def test_health_stays_cheap_and_its_detail_needs_the_metrics_token_or_an_admin(client, db, monkeypatch):
    monkeypatch.setenv("CRM_METRICS_TOKEN", TOKEN)
    plain = await client.get("/health")
    assert plain.json() == {"status": "ok", "database": "ok", "queue": "ok"}
    assert (await client.get("/health?detail=1")).status_code == 401
    db.add(SyncRun(kind="incremental", status="done", finished_at=datetime.now(UTC) - timedelta(seconds=30)))
    await db.commit()
    detail = (await client.get("/health?detail=1", headers={"Authorization": f"Bearer {TOKEN}"})).json()
    assert detail["status"] == "ok" and detail["queue_depth"]["queued"] == 0
    assert 25 <= detail["sync_lag_seconds"] < 300
    assert detail["worker_heartbeat"] is None and "mailbox" in detail

    await make_user(db, "admin@example.com", ["admin"])
    await make_user(db, "manager@example.com", ["manager"])
    for email, status in (("admin@example.com", 200), ("manager@example.com", 401)):
        token = (await client.post("/api/v1/auth/token", json={"email": email, "password": "correct-horse-42"})).json()
        answer = await client.get("/health?detail=1", headers={"Authorization": f"Bearer {token['access_token']}"})
        assert answer.status_code == status, email


async def failing_import(ctx: dict[str, Any], *, n: int) -> str:
    raise RuntimeError(f"the ERP file {n} has no header row")


async def ok_job(ctx: dict[str, Any]) -> str:
    return "done"


async def _run_worker(jobs: list[tuple[Any, dict[str, Any]]]) -> None:
    """A real SAQ worker with the application's hooks, on the test database's queue, until it is idle."""
    from saq import Worker

    from crm.workers import QUEUE_NAME, saq_plugin
    from crm.workers.context import after_process, before_process, shutdown, startup

    queue = saq_plugin().get_queue(QUEUE_NAME)
    for function, kwargs in jobs:
        await queue.enqueue(function.__name__, retries=0, timeout=30, **kwargs)
    worker = Worker(
        queue,
        functions=[failing_import, ok_job],
        startup=[startup],
        shutdown=[shutdown],
        before_process=[before_process],
        after_process=[after_process],
        burst=True,
        dequeue_timeout=1,
        concurrency=1,
    )
    await worker.start()


async def test_two_failures_of_a_kind_within_the_hour_make_one_notice_and_one_mail_to_admins(client, db, mailbox):
    await make_user(db, "admin@example.com", ["admin"])
    await make_user(db, "manager@example.com", ["manager"])

    await _run_worker([(failing_import, {"n": 1}), (failing_import, {"n": 2}), (ok_job, {})])

    notices = (await db.scalars(select(OperationFailure))).all()
    assert [(n.kind, n.occurrences, n.job) for n in notices] == [("import", 2, "failing_import")]
    assert notices[0].error == "RuntimeError: the ERP file 2 has no header row"
    assert notices[0].mailed
    assert [m["To"] for m in mailbox] == ["admin@example.com"]
    assert str(make_header(decode_header(mailbox[0]["Subject"]))) == "CRM: Импорт не удался"  # the admin's language
    stats = {(s.job, s.status): s.count for s in (await db.scalars(select(JobStat))).all()}
    assert stats == {("failing_import", "failed"): 2, ("ok_job", "complete"): 1}

    await login(client, "admin@example.com")
    bell = await client.get("/alerts/count")
    assert '<span class="bell-count">1</span>' in bell.text
    page = await client.get("/alerts")
    assert "An import failed (2 times): RuntimeError: the ERP file 2 has no header row" in page.text

    client.cookies.clear()
    await login(client, "manager@example.com")
    assert "bell-count" not in (await client.get("/alerts/count")).text  # notices are for admins

    # an hour later the same kind opens a new notice, mailed again
    notices[0].first_at -= timedelta(hours=1, minutes=1)
    await db.commit()
    await _run_worker([(failing_import, {"n": 3})])
    assert len((await db.scalars(select(OperationFailure))).all()) == 2
    assert len(mailbox) == 2
