"""Pages of scheduled reports (admins and heads): the list, the form (report, schedule, destinations; the bot token
is a "set/replace" field, never shown back), "run now", "send me a test", and the archive of runs with the files."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.connection import ASGIConnection
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.handlers import BaseRouteHandler
from litestar.response import Redirect
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from crm.features.accounts.services import user_names
from crm.features.reports import schedules
from crm.features.reports.forms import ScheduleForm
from crm.features.reports.models import ReportDelivery, ReportRun, ReportSchedule
from crm.features.reports.sales_data import FIELD_LABELS, choices
from crm.lib.auth import current_user
from crm.lib.deps import Db, Me
from crm.lib.i18n import N_
from crm.lib.i18n import gettext as _
from crm.lib.web import render, toast

MANAGE = {"permission": schedules.MANAGE}


def _reports_too(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
    """Admins and heads (the app-wide guard) who may also read reports: a schedule sends report figures."""
    user = connection.scope.get("user")
    if user is not None and not user.can("reports.view"):
        raise PermissionDeniedException(detail="missing_permission", extra={"permission": "reports.view"})


GUARDS = [_reports_too]
TICK = "report_schedules_tick"
WEEKDAYS = (N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"), N_("Saturday"), N_("Sunday"))


def _when(schedule: ReportSchedule) -> str:
    at = f"{schedule.hour:02d}:{schedule.minute:02d}"
    if schedule.frequency == "weekly" and schedule.weekday is not None:
        return _("weekly: %(day)s at %(time)s", day=_(WEEKDAYS[schedule.weekday]), time=at)
    if schedule.frequency == "monthly":
        if schedule.month_day == 31:
            return _("monthly on the last day at %(time)s", time=at)
        return _("monthly on day %(day)s at %(time)s", day=schedule.month_day, time=at)
    return _("daily at %(time)s", time=at)


async def _options(session: AsyncSession) -> dict[str, Any]:
    offered = await choices(session)
    return {
        "periods": [(k, _(v)) for k, v in schedules.PERIOD_LABELS.items()],
        "pipelines": offered.pipelines,
        "type_fields": [
            (f, _(FIELD_LABELS[f]) if f in FIELD_LABELS else f.replace("_", " ")) for f in offered.type_fields
        ],
        "frequencies": [("daily", _("Daily")), ("weekly", _("Weekly")), ("monthly", _("Monthly"))],
        "weekdays": [(str(i), _(d)) for i, d in enumerate(WEEKDAYS)],
        "month_days": [(str(d), str(d) if d < 31 else _("31 (the last day)")) for d in range(1, 32)],
    }


async def _schedule_or_404(session: AsyncSession, request: Request, schedule_id: int) -> ReportSchedule:
    schedule = await schedules.get_visible(session, current_user(request), schedule_id)
    if schedule is None:
        raise NotFoundException()
    return schedule


@get("/reports/schedules", opt=MANAGE, guards=GUARDS, include_in_schema=False)
async def schedule_list(request: Request, me: Me, db_session: Db) -> Any:
    rows = (await db_session.scalars(schedules.visible(me).order_by(ReportSchedule.name, ReportSchedule.id))).all()
    last = {}
    if rows:
        latest = (
            select(ReportRun.schedule_id, func.max(ReportRun.id))
            .where(ReportRun.schedule_id.in_([r.id for r in rows]), ReportRun.kind != "test")
            .group_by(ReportRun.schedule_id)
        )
        ids = {run_id for _sid, run_id in (await db_session.execute(latest)).all()}
        for run in await db_session.scalars(select(ReportRun).where(ReportRun.id.in_(ids))):
            last[run.schedule_id] = run
    owners = await user_names({r.owner_id for r in rows if r.owner_id}, db_session)
    context = {
        "rows": rows,
        "last": last,
        "owners": owners,
        "when": _when,
        "kind_labels": {k: _(v) for k, v in schedules.KIND_LABELS.items()},
        "period_labels": {k: _(v) for k, v in schedules.PERIOD_LABELS.items()},
    }
    return render(request, "reports/schedules.html", context)


def _form_context(options: dict[str, Any], typed: dict[str, Any], errors: dict[str, str], **extra: Any) -> Any:
    return {**options, "typed": typed, "errors": errors, **extra}


@get("/reports/schedules/new", opt=MANAGE, guards=GUARDS, include_in_schema=False)
async def schedule_new(request: Request, me: Me, db_session: Db) -> Any:
    typed = schedules.blank_form(me)
    context = _form_context(await _options(db_session), typed, {}, schedule=None, has_token=False)
    return render(request, "reports/schedule_form.html", context)


@get("/reports/schedules/{schedule_id:int}", opt=MANAGE, guards=GUARDS, include_in_schema=False)
async def schedule_edit(request: Request, db_session: Db, schedule_id: int) -> Any:
    schedule = await _schedule_or_404(db_session, request, schedule_id)
    context = _form_context(
        await _options(db_session),
        schedules.form_of(schedule),
        {},
        schedule=schedule,
        has_token=bool(schedule.telegram_token_enc),
        when=_when(schedule),
    )
    return render(request, "reports/schedule_form.html", context)


async def _save(request: Request, session: AsyncSession, schedule: ReportSchedule | None) -> Any:
    form = ScheduleForm.parse(await request.form())
    offered = await choices(session)
    has_token = bool(schedule and schedule.telegram_token_enc)
    schedules.check_choices(form, {p for p, _n in offered.pipelines}, offered.type_fields, has_token)
    if not form.ok:
        typed = form.shown_without_token()
        context = _form_context(await _options(session), typed, form.errors, schedule=schedule, has_token=has_token)
        return render(request, "reports/schedule_form.html", context, status_code=422)
    schedule = await schedules.save(session, current_user(request), schedule, form)
    await session.commit()
    toast(request, _("Schedule saved."))
    return Redirect(f"/reports/schedules/{schedule.id}", status_code=303)


@post("/reports/schedules/new", opt=MANAGE, guards=GUARDS, include_in_schema=False)
async def schedule_create(request: Request, db_session: Db) -> Any:
    return await _save(request, db_session, None)


@post("/reports/schedules/{schedule_id:int}", opt=MANAGE, guards=GUARDS, include_in_schema=False)
async def schedule_update(request: Request, db_session: Db, schedule_id: int) -> Any:
    return await _save(request, db_session, await _schedule_or_404(db_session, request, schedule_id))


@post("/reports/schedules/{schedule_id:int}/delete", opt=MANAGE, guards=GUARDS, include_in_schema=False)
async def schedule_delete(request: Request, me: Me, db_session: Db, schedule_id: int) -> Any:
    schedule = await _schedule_or_404(db_session, request, schedule_id)
    await schedules.audit(db_session, me, schedule, "delete", schedules.audited(schedule))
    await db_session.delete(schedule)
    await db_session.commit()
    toast(request, _("Schedule deleted with its archive."))
    return Redirect("/reports/schedules", status_code=303)


async def _start(request: Request, session: AsyncSession, schedule_id: int, test: bool) -> Any:
    schedule = await _schedule_or_404(session, request, schedule_id)
    user = current_user(request)
    if test and not user.email:
        toast(request, _("Your account has no email address."), "error")
        return Redirect(f"/reports/schedules/{schedule_id}", status_code=303)
    await schedules.request_run(session, schedule, user, test=test)
    await session.commit()
    await request.app.state.queue.enqueue(TICK, timeout=600, retries=1)
    if test:
        toast(request, _("A test is being sent to %(email)s.", email=user.email))
    else:
        toast(request, _("The report is being made and sent; its outcome appears in the archive."))
    return Redirect(f"/reports/schedules/{schedule_id}/runs", status_code=303)


@post("/reports/schedules/{schedule_id:int}/run", opt=MANAGE, guards=GUARDS, include_in_schema=False)
async def schedule_run_now(request: Request, db_session: Db, schedule_id: int) -> Any:
    return await _start(request, db_session, schedule_id, test=False)


@post("/reports/schedules/{schedule_id:int}/test", opt=MANAGE, guards=GUARDS, include_in_schema=False)
async def schedule_test(request: Request, db_session: Db, schedule_id: int) -> Any:
    return await _start(request, db_session, schedule_id, test=True)


@get("/reports/schedules/{schedule_id:int}/runs", opt=MANAGE, guards=GUARDS, include_in_schema=False)
async def schedule_runs(request: Request, db_session: Db, schedule_id: int) -> Any:
    schedule = await _schedule_or_404(db_session, request, schedule_id)
    runs = (
        await db_session.scalars(
            select(ReportRun).where(ReportRun.schedule_id == schedule.id).order_by(ReportRun.id.desc()).limit(100)
        )
    ).all()
    deliveries: dict[int, list[ReportDelivery]] = {}
    if runs:
        found = await db_session.scalars(
            select(ReportDelivery).where(ReportDelivery.run_id.in_([r.id for r in runs])).order_by(ReportDelivery.id)
        )
        for item in found:
            deliveries.setdefault(item.run_id, []).append(item)
    context = {
        "schedule": schedule,
        "runs": runs,
        "deliveries": deliveries,
        "when": _when(schedule),
        "kind_labels": {k: _(v) for k, v in schedules.KIND_LABELS.items()},
        "reason": _,  # our own stored reasons are msgids (N_); a remote server's text stays as it came
    }
    return render(request, "reports/schedule_runs.html", context)


@get("/reports/schedules/runs/{run_id:int}/{kind:str}", opt=MANAGE, guards=GUARDS, include_in_schema=False)
async def run_file(me: Me, db_session: Db, run_id: int, kind: str) -> Any:
    if kind not in ("pdf", "png"):
        raise NotFoundException()
    run = await db_session.scalar(
        select(ReportRun).where(ReportRun.id == run_id).options(undefer(ReportRun.pdf), undefer(ReportRun.png))
    )
    if run is None or await schedules.get_visible(db_session, me, run.schedule_id) is None:
        raise NotFoundException()
    content = run.pdf if kind == "pdf" else run.png
    if not content:
        raise NotFoundException()
    stem = (run.texts or {}).get("stem") or f"report_{run.id}"
    media = "application/pdf" if kind == "pdf" else "image/png"
    return Response(
        content=content,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{stem}.{kind}"', "Cache-Control": "no-store"},
    )


ROUTES: list[Any] = [
    schedule_list,
    schedule_new,
    schedule_create,
    schedule_edit,
    schedule_update,
    schedule_delete,
    schedule_run_now,
    schedule_test,
    schedule_runs,
    run_file,
]
