"""The worker's part of scheduled reports, one ``tick`` a minute (and right after "run now"):

1. due schedules get a run (unique per schedule and time, schedules locked with SKIP LOCKED) and their next time;
2. pending runs are rendered once (figures, PDF, chart PNG, message texts kept in the archive) and get one delivery
   row per destination (unique per run and destination);
3. due deliveries are claimed one by one with an atomic UPDATE (a lease), delivered step by step (a step done is
   recorded at once and never repeated), then marked sent, or retried later with back-off (Telegram's
   ``retry_after`` honoured; Bitrix24's 503/429 waited out by its client first), or failed with the reason;
4. runs whose deliveries are all finished get their outcome: done, partial or failed.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from crm.features.accounts.models import User
from crm.features.reports import charts, sales_output, schedules_message, telegram
from crm.features.reports import schedules_senders as senders
from crm.features.reports.models import ReportDelivery, ReportRun, ReportSchedule
from crm.features.reports.sales import parse_period, report
from crm.features.reports.sales_data import DEFAULT_TYPE_FIELD, sale_rows
from crm.features.reports.schedules import timing_of, token_of
from crm.features.reports.schedules_senders import Retry
from crm.features.reports.schedules_timing import next_run
from crm.features.system.settings import with_effective_smtp
from crm.lib import i18n

log = logging.getLogger("crm.worker.reports")

SessionFactory = Callable[[], Any]  # an async context manager giving an AsyncSession
Bitrix24Factory = Callable[[], Awaitable[Any]]  # a connected client, or None when Bitrix24 is not connected
MAX_ATTEMPTS = 5
BACKOFF = 60.0  # seconds before the 2nd attempt; doubled each time
MAX_BACKOFF = 3600.0
LEASE = timedelta(minutes=10)  # a claimed delivery whose worker died is taken again after this
STEPS = {
    "bitrix24_chat": ("message", "chart"),
    "bitrix24_stream": ("post",),
    "telegram": ("message", "photo", "document"),
    "email": ("mail",),
}


def steps_of(kind: str, target: str) -> tuple[str, ...]:
    """A Bitrix24 user's private dialog (a numeric DIALOG_ID) gets the message: the chart travels through a chat's
    Drive folder (``im.disk.folder.get``), which only group chats have."""
    if kind == "bitrix24_chat" and target.isdigit():
        return ("message",)
    return STEPS.get(kind, ())


class CannotRender(Exception):
    """The run cannot be made, for a reason people can act on (stored as it is)."""


# --------------------------------------------------------------------------- 1. due schedules


async def plan_due(factory: SessionFactory, now: datetime) -> int:
    created = 0
    zone = i18n.local_tz()
    async with factory() as session:
        # the organisation's zone changed since a schedule's next time was computed: its times mean the new zone
        moved = (
            await session.scalars(
                select(ReportSchedule)
                .where(ReportSchedule.active.is_(True), ReportSchedule.zone != zone.key)
                .with_for_update(skip_locked=True)
            )
        ).all()
        for schedule in moved:
            schedule.next_run_at, schedule.zone = next_run(timing_of(schedule), zone, now), zone.key
        due = (
            await session.scalars(
                select(ReportSchedule)
                .where(ReportSchedule.active.is_(True), ReportSchedule.next_run_at <= now)
                .with_for_update(skip_locked=True)
            )
        ).all()
        for schedule in due:
            moment = schedule.next_run_at
            inserted = await session.scalar(
                insert(ReportRun)
                .values(
                    schedule_id=schedule.id,
                    scheduled_for=moment,
                    kind="scheduled",
                    status="pending",
                    destinations=list(schedule.destinations or []),
                    texts={},
                    error="",
                )
                .on_conflict_do_nothing(constraint="uq_report_runs_schedule_time")
                .returning(ReportRun.id)
            )
            created += inserted is not None
            schedule.last_run_at = moment
            schedule.next_run_at = next_run(timing_of(schedule), zone, max(now, moment))  # missed runs: only one
            schedule.zone = zone.key
        await session.commit()
    return created


# --------------------------------------------------------------------------- 2. rendering


def destination_key(item: dict[str, Any]) -> str:
    return f"{item.get('kind')}:{item.get('target', '')}"[:400]


async def _render(session: AsyncSession, run: ReportRun, schedule: ReportSchedule) -> None:
    owner = await session.get(User, schedule.owner_id) if schedule.owner_id else None
    if owner is None or not owner.is_active:
        raise CannotRender(i18n.N_("the schedule's owner is no longer an active user"))
    params = schedule.params or {}
    today = run.scheduled_for.astimezone(i18n.local_tz()).date()
    day_from, day_to = parse_period(params.get("period") or "yesterday", today)
    rows = await sale_rows(
        session, owner, day_from, day_to, params.get("pipeline_id"), params.get("field") or DEFAULT_TYPE_FIELD
    )
    figures = report(rows, day_from, day_to)
    name = schedule.name
    run.day_from, run.day_to = day_from, day_to
    run.total_sum, run.total_count = figures.total.sum, figures.total.count
    run.pdf = sales_output.pdf_report(figures)
    run.png = charts.report_png(figures)
    run.texts = {
        "telegram": schedules_message.telegram_html(figures, name),
        "bitrix": schedules_message.bitrix_bb(figures, name),
        "plain": schedules_message.plain(figures, name),
        "subject": schedules_message.subject(figures, name),
        "title": charts.title_of(figures),
        "stem": schedules_message.file_stem(figures),
    }


async def render_pending(factory: SessionFactory) -> int:
    done = 0
    while True:
        async with factory() as session:
            run = await session.scalar(
                select(ReportRun)
                .where(ReportRun.status == "pending")
                .order_by(ReportRun.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
            if run is None:
                return done
            run_id, schedule = run.id, await session.get(ReportSchedule, run.schedule_id)
            try:
                async with session.begin_nested():
                    await _render(session, run, schedule)
            except Exception as exc:  # a bug or bad data: the run says so instead of staying pending
                if not isinstance(exc, CannotRender):
                    log.exception("report run %s could not be rendered", run_id)
                reason = str(exc) if isinstance(exc, CannotRender) else f"{type(exc).__name__}: {exc}"
                run.status, run.error, run.finished_at = "failed", reason[:500], func.now()
                await session.commit()
                continue
            keys = {destination_key(d): d for d in run.destinations or []}
            if keys:
                await session.execute(
                    insert(ReportDelivery)
                    .values(
                        [
                            {"run_id": run.id, "destination": k, "kind": d["kind"], "target": d.get("target", "")}
                            | {"state": "pending", "attempts": 0, "steps": [], "error": ""}
                            for k, d in keys.items()
                        ]
                    )
                    .on_conflict_do_nothing(constraint="uq_report_deliveries_run_destination")
                )
                run.status = "delivering"
            else:  # only the archive
                run.status, run.finished_at = "done", func.now()
            await session.commit()
            done += 1


# --------------------------------------------------------------------------- 3. deliveries


async def claim(factory: SessionFactory) -> int | None:
    """Take one due delivery (pending, or sending whose lease ran out) for this worker, atomically."""
    due = (
        select(ReportDelivery.id)
        .join(ReportRun, ReportRun.id == ReportDelivery.run_id)
        .where(
            ReportDelivery.state.in_(("pending", "sending")),
            ReportDelivery.next_attempt_at <= func.now(),
            ReportRun.status == "delivering",
        )
        .order_by(ReportDelivery.next_attempt_at, ReportDelivery.id)
        .limit(1)
        .with_for_update(of=ReportDelivery, skip_locked=True)
        .scalar_subquery()
    )
    async with factory() as session:
        claimed = await session.scalar(
            update(ReportDelivery)
            .where(ReportDelivery.id == due)
            .values(state="sending", attempts=ReportDelivery.attempts + 1, next_attempt_at=func.now() + LEASE)
            .returning(ReportDelivery.id)
        )
        await session.commit()
        return claimed


class Deliverer:
    """Delivers claimed deliveries; one Bitrix24 client for the whole tick."""

    def __init__(self, factory: SessionFactory, bitrix24: Bitrix24Factory | None) -> None:
        self.factory, self._bitrix24_factory = factory, bitrix24
        self._bitrix24: Any = None

    async def bitrix24(self) -> Any:
        if self._bitrix24 is None:
            client = await self._bitrix24_factory() if self._bitrix24_factory else None
            if client is None:
                raise RuntimeError(i18n.N_("Bitrix24 is not connected (Integrations screen)"))
            self._bitrix24 = client
        return self._bitrix24

    async def close(self) -> None:
        if self._bitrix24 is not None:
            await self._bitrix24.close()

    async def _step_done(self, delivery_id: int, step: str) -> None:
        async with self.factory() as session:
            await session.execute(
                update(ReportDelivery)
                .where(ReportDelivery.id == delivery_id)
                .values(
                    steps=func.coalesce(ReportDelivery.steps, func.jsonb_build_array()).op("||")(
                        func.jsonb_build_array(step)
                    )
                )
            )
            await session.commit()

    async def run_one(self, delivery_id: int) -> str:
        async with self.factory() as session:
            delivery = await session.get(ReportDelivery, delivery_id)
            run = (
                await session.get(ReportRun, delivery.run_id, options=[undefer(ReportRun.pdf), undefer(ReportRun.png)])
                if delivery is not None
                else None
            )
            schedule = await session.get(ReportSchedule, run.schedule_id) if run is not None else None
            if delivery is None or run is None or schedule is None:
                return "gone"  # the schedule was deleted meanwhile (its runs and deliveries with it)
            job = {
                "kind": delivery.kind,
                "target": delivery.target,
                "done": list(delivery.steps or []),
                "attempts": delivery.attempts,
                "texts": dict(run.texts or {}),
                "pdf": run.pdf or b"",
                "png": run.png or b"",
                "token": token_of(schedule) if delivery.kind == "telegram" else "",
            }
        state, error, delay = "sent", "", None
        try:
            for step in steps_of(job["kind"], job["target"]):
                if step in job["done"]:
                    continue
                await self._send(job, step)
                await self._step_done(delivery_id, step)
        except Retry as exc:
            state, error, delay = "pending", str(exc), exc.delay
        except Exception as exc:
            state, error = "failed", senders.reason(exc)
        if state == "pending" and job["attempts"] >= MAX_ATTEMPTS:
            state = "failed"
        if state == "pending" and delay is None:
            delay = min(MAX_BACKOFF, BACKOFF * 2 ** (job["attempts"] - 1))
        async with self.factory() as session:
            values: dict[str, Any] = {"state": state, "error": telegram.redact(error)[:500]}
            if state == "sent":
                values["sent_at"] = func.now()
            if state == "pending":
                values["next_attempt_at"] = func.now() + timedelta(seconds=delay or 0)
            await session.execute(update(ReportDelivery).where(ReportDelivery.id == delivery_id).values(**values))
            await session.commit()
        if state != "sent":
            log.warning("report delivery %s %s: %s", delivery_id, state, telegram.redact(error))
        return state

    async def _smtp(self) -> Any:
        async with self.factory() as session:
            return await with_effective_smtp(session)

    async def _send(self, job: dict[str, Any], step: str) -> None:
        await senders.send(job, step, self.bitrix24, self._smtp)


# --------------------------------------------------------------------------- 4. outcome of runs


async def finish_runs(factory: SessionFactory) -> None:
    async with factory() as session:
        open_runs = (
            await session.scalars(
                select(ReportRun).where(ReportRun.status == "delivering").with_for_update(skip_locked=True)
            )
        ).all()
        for run in open_runs:
            states = list(await session.scalars(select(ReportDelivery.state).where(ReportDelivery.run_id == run.id)))
            if any(s in ("pending", "sending") for s in states):
                continue
            sent = sum(s == "sent" for s in states)
            run.status = "done" if sent == len(states) else "failed" if sent == 0 else "partial"
            run.finished_at = datetime.now(UTC)
        await session.commit()


async def tick(
    factory: SessionFactory, bitrix24: Bitrix24Factory | None = None, *, now: datetime | None = None, locale: str = ""
) -> dict[str, int]:
    """One pass of the whole pipeline; safe to run twice at the same time."""
    from crm.config import get_settings

    token = i18n.set_locale(locale or get_settings().default_locale)
    deliverer = Deliverer(factory, bitrix24)
    counts = {"planned": 0, "rendered": 0, "sent": 0, "pending": 0, "failed": 0}
    try:
        counts["planned"] = await plan_due(factory, now or datetime.now(UTC))
        counts["rendered"] = await render_pending(factory)
        while (delivery_id := await claim(factory)) is not None:
            state = await deliverer.run_one(delivery_id)
            counts[state] = counts.get(state, 0) + 1
        await finish_runs(factory)
    finally:
        await deliverer.close()
        i18n._current.reset(token)
    return counts
