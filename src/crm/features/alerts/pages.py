"""The bell (its count, loaded by htmx after the page), the alerts page with the daily-mail switch, and the API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from litestar import Request, get, post
from litestar.response import Redirect

from crm.features.alerts import services
from crm.features.alerts.forms import DailyMailForm
from crm.features.alerts.registry import alerts_for
from crm.lib.deps import Db, Me
from crm.lib.i18n import gettext as _
from crm.lib.lists import ApiPage, PageNo, PageSize, api_items
from crm.lib.web import render, toast


@get("/alerts/count", opt={"background": True}, include_in_schema=False)
async def bell(request: Request, me: Me, db_session: Db) -> Any:
    """The bell's inside: the number of the user's current alerts (a provider that fails is left out)."""
    rows = await alerts_for(db_session, me)
    return render(request, "alerts/_bell.html", {"count": len(rows)})


@get("/alerts", include_in_schema=False)
async def alerts_page(request: Request, me: Me, db_session: Db) -> Any:
    rows = await alerts_for(db_session, me)
    setting = await services.mail_setting(db_session, me.id)
    return render(
        request,
        "alerts/alerts.html",
        {
            "rows": [(services.kind_label(a.kind), a) for a in rows],
            "daily": bool(setting and setting.daily),
            "email": me.email,
        },
    )


@post("/alerts/mail", include_in_schema=False)
async def mail_switch(request: Request, me: Me, db_session: Db) -> Any:
    """Turns the daily mail of one's alerts on or off (a checkbox: present means on)."""
    daily = DailyMailForm.parse(await request.form()).daily
    await services.set_daily(db_session, me.id, daily)
    await db_session.commit()
    toast(request, _("The daily mail of your alerts is on.") if daily else _("The daily mail of your alerts is off."))
    return Redirect("/alerts", status_code=303)


class AlertOut(msgspec.Struct):
    kind: str
    message: str
    link: str
    created_at: datetime


@get(
    "/api/v1/alerts",
    tags=["alerts"],
    summary="The current user's alerts, newest first",
    description="Every slice's current alerts for the user who calls (in their scope); the bell shows their count.",
    response_description='{"total": 1, "page": 1, "page_size": 50, "rows": [{"kind": "goal_behind", '
    '"message": "…", "link": "/analysis", "created_at": "2026-12-02T07:00:00Z"}]}',
)
async def api_alerts(me: Me, db_session: Db, page: PageNo = 1, page_size: PageSize = 50) -> ApiPage[AlertOut]:
    rows = await alerts_for(db_session, me)
    out = [AlertOut(kind=a.kind, message=a.message, link=a.link, created_at=a.created_at) for a in rows]
    return api_items(out, page, page_size)


ROUTES: list[Any] = [bell, alerts_page, mail_switch, api_alerts]
