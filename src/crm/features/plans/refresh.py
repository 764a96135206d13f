""" "Refresh data for a period" on the statistics screen (heads, admins: ``sync.period``): starts the Bitrix24 period
re-sync of the shown month (or year) through the clients' period run, shows its progress by polling, and reloads the
page when it ends so the grid shows the updated aggregates."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.clients.period import start_period_sync
from crm.features.clients.sync_models import SyncRun
from crm.features.plans.forms import RefreshForm
from crm.features.plans.stats import period_bounds
from crm.lib.deps import Db, Me
from crm.lib.i18n import gettext as _
from crm.lib.i18n import local_today
from crm.lib.web import parse_int, render, toast

SYNC = {"permission": "sync.period"}
FINISHED = ("done", "failed")


@post("/plans/refresh", opt=SYNC, include_in_schema=False)
async def refresh_start(request: Request, me: Me, db_session: Db) -> Any:
    form = RefreshForm.parse(await request.form())
    today = local_today()
    if not form.ok:  # the buttons send a year and a month of the grid: a hand-made request says what is wrong
        toast(request, "; ".join(form.errors.values()), "error")
        return Redirect("/plans", status_code=303)
    year, month = form.year or today.year, form.month
    since, until = period_bounds(year, month)
    until = min(until, today)
    back = f"/plans?year={year}" + (f"&month={month}" if month else "")
    scope = form.scope_query
    if scope and all(part.partition("=")[0] in ("department", "employee") for part in scope.split("&")):
        back += "&" + scope
    if since > today:
        toast(request, _("This period has not begun: nothing to refresh."), "error")
        return Redirect(back, status_code=303)
    queue = getattr(request.app.state, "queue", None)
    run = await start_period_sync(db_session, queue, since, until, me.id)
    if run.status == "failed":
        toast(request, _("Could not start the sync: the job queue is not reachable."), "error")
    else:
        toast(request, _("Refreshing the period from Bitrix24; progress is shown above the grid."))
    return Redirect(f"{back}&run={run.id}", status_code=303)


@get("/plans/refresh/{run_id:int}", opt=SYNC, include_in_schema=False)
async def refresh_status(request: Request, run_id: FromPath[int], db_session: Db) -> Any:
    """The progress panel (polled every 2 s while the run goes); when it has ended, the page reloads itself."""
    run = await db_session.get(SyncRun, run_id)
    if run is None or run.kind != "period":
        raise NotFoundException()
    if run.status in FINISHED and request.headers.get("hx-request") == "true":
        return Response(content="", status_code=200, headers={"HX-Refresh": "true"})
    return render(request, "plans/_refresh.html", {"run": run})


async def run_for_page(session: AsyncSession, raw: str | None) -> SyncRun | None:
    run_id = parse_int(raw, 1, 2**63 - 1)
    run = await session.get(SyncRun, run_id) if run_id else None
    return run if run is not None and run.kind == "period" else None


ROUTES: list[Any] = [refresh_start, refresh_status]
