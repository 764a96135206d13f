"""Control: KPIs of a period (goal completion, retention, new clients, total sales), per-goal progress by month, and
sharing a dashboard (PDF download, email with the PDF sent by the worker, a WhatsApp link)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

from litestar import Request, Response, get, post
from litestar.response import Redirect
from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts.models import User
from crm.features.goals import analysis, dashboard, figures, pdf, services
from crm.features.goals.config import VARIABLE_LABELS
from crm.features.goals.forms import ShareForm
from crm.features.goals.models import VARIABLES, AnalysisClientMonth, Goal
from crm.features.goals.scope import Scope, scope_for
from crm.features.sales.models import ErpClient
from crm.lib.deps import Db, Me
from crm.lib.i18n import get_locale, local_today
from crm.lib.i18n import gettext as _
from crm.lib.lists import ListParams
from crm.lib.web import parse_int, render, toast

VIEW = {"permission": "goals.view"}
MAX_GOALS = 60


@dataclass
class GoalProgress:
    goal: Goal
    person: str
    targets: dict[int, Decimal]
    actual: dict[int, Decimal]
    months: range

    @property
    def target_total(self) -> Decimal:
        return sum((self.targets.get(m, Decimal(0)) for m in self.months), Decimal(0))

    @property
    def actual_total(self) -> Decimal:
        return sum((self.actual.get(m, Decimal(0)) for m in self.months), Decimal(0))

    @property
    def percent(self) -> Decimal | None:
        return analysis.percent(self.actual_total, self.target_total)


async def retention(session: AsyncSession, scope: Scope, month: date) -> Decimal | None:
    """Of the clients who bought in the 3 months before ``month``, the % who bought in it too."""
    await figures.ensure_clients(session, month, "")
    t = AnalysisClientMonth
    stmt = (
        select(func.count(), func.count().filter(t.r0 > 0))
        .select_from(t)
        .join(ErpClient, ErpClient.id == t.client_id)
        .where(and_(t.month == month, t.family == "", t.bought_prev3.is_(True)))
    )
    base, kept = (await session.execute(scope.where(stmt, ErpClient.responsible_id))).one()
    return analysis.percent(Decimal(kept), Decimal(base)) if base else None


async def kpis(session: AsyncSession, scope: Scope, year: int, first: int, last: int) -> dict[str, Any]:
    months = range(first, last + 1)
    revenue = await analysis.actuals(session, scope, "revenue", year, "")
    new = await analysis.actuals(session, scope, "new_clients", year, "")
    target = await analysis.targets(session, scope, "revenue", year, "")
    sales = sum((revenue.get(m, Decimal(0)) for m in months), Decimal(0))
    goal = sum((target.get(m, Decimal(0)) for m in months), Decimal(0))
    return {
        "sales": sales,
        "target": goal if target else None,
        "completion": analysis.percent(sales, goal) if target else None,
        "new_clients": int(sum((new.get(m, Decimal(0)) for m in months), Decimal(0))),
        "retention": await retention(session, scope, date(year, last, 1)),
    }


async def progress(session: AsyncSession, scope: Scope, year: int, months: range) -> list[GoalProgress]:
    goals = list(
        (
            await session.scalars(
                services.scoped_goals(scope).where(Goal.year == year).order_by(Goal.variable, Goal.id).limit(MAX_GOALS)
            )
        ).all()
    )
    targets = await services.targets_of(session, [g.id for g in goals])
    ids = {g.responsible_id for g in goals if g.responsible_id}
    names: dict[uuid.UUID, str] = {}
    if ids:
        names = {
            i: n or e
            for i, n, e in (await session.execute(select(User.id, User.name, User.email).where(User.id.in_(ids)))).all()
        }
    pairs = {(g.family, g.responsible_id) for g in goals if g.responsible_id}
    facts = await analysis.actuals_by_person(session, year, pairs)
    out = []
    for g in goals:
        by_month = facts.get((g.family, g.responsible_id), {}) if g.responsible_id else {}
        actual = {m: values[g.variable] for m, values in by_month.items()}
        person = names.get(g.responsible_id, "—") if g.responsible_id else "—"
        out.append(GoalProgress(g, person, targets[g.id], actual, months))
    return out


@get("/control", opt=VIEW, include_in_schema=False)
async def control_page(request: Request, me: Me, db_session: Db) -> Any:
    params = ListParams.from_request(request)
    today = local_today()
    year = parse_int(params.get("year"), 2000, 2100) or today.year
    default_last = today.month if year == today.year else 12
    first = parse_int(params.get("from"), 1, 12) or 1
    last = parse_int(params.get("to"), 1, 12) or default_last
    if last < first:
        first, last = last, first
    scope = await scope_for(db_session, me)
    context = {
        "year": year,
        "first": first,
        "last": last,
        "kpi": await kpis(db_session, scope, year, first, last),
        "goals": await progress(db_session, scope, year, range(first, last + 1)),
        "labels": {k: _(v) for k, v in VARIABLE_LABELS.items()},
        "months": range(1, 13),
    }
    return render(request, "goals/control.html", context, block="control")


# --------------------------------------------------------------------------- sharing


def board_params(raw: str) -> tuple[str, int, str, uuid.UUID | None]:
    q = {k: v[0] for k, v in parse_qs(raw[:1000]).items()}
    variable = q.get("variable") if q.get("variable") in VARIABLES else "revenue"
    year = parse_int(q.get("year"), 2000, 2100) or local_today().year
    try:
        person = uuid.UUID(q["person"]) if q.get("person") else None
    except ValueError:
        person = None
    return variable or "revenue", year, (q.get("family") or "")[:80], person


async def board_pdf(session: AsyncSession, user: Any, raw_query: str) -> tuple[bytes, str]:
    variable, year, family, person = board_params(raw_query)
    scope = await scope_for(session, user)
    month = date(year, 12, 1)
    board = await dashboard.build(session, scope, variable, year, family, month, person)
    label = _(VARIABLE_LABELS[variable])
    return pdf.dashboard_pdf(board, label), f"{label} {year}"


@get("/control/share.pdf", opt=VIEW, include_in_schema=False)
async def share_pdf(request: Request, me: Me, db_session: Db) -> Response[bytes]:
    body, _title = await board_pdf(db_session, me, request.url.query or "")
    variable, year, _f, _p = board_params(request.url.query or "")
    return Response(
        content=body,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="analysis-{variable}-{year}.pdf"'},
    )


@post("/control/share", opt=VIEW, include_in_schema=False)
async def share_mail(request: Request, me: Me, db_session: Db) -> Any:
    form = ShareForm.parse(await request.form())
    email, query = form.email, form.raw("query")[:1000]
    if not form.ok:
        toast(request, "; ".join(form.errors.values()), "error")
        return Redirect(f"/analysis?{query}", status_code=303)
    await request.app.state.queue.enqueue(
        "goals_send_dashboard",
        user_id=str(me.id),
        email=email,
        query=query,
        locale=get_locale(),
        timeout=120,
        retries=4,
        retry_delay=30.0,
    )
    toast(request, _("The dashboard will be emailed to %(email)s in a minute.", email=email))
    return Redirect(f"/analysis?{query}", status_code=303)


ROUTES: list[Any] = [control_page, share_pdf, share_mail]
