"""The year screen: 12 month grids; admins click a day to toggle it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from crm.features.calendar import services
from crm.lib.deps import Db, Me
from crm.lib.i18n import get_locale, local_tz
from crm.lib.web import render


@get("/calendar", include_in_schema=False)
async def calendar_year(request: Request, me: Me, db_session: Db, year: FromQuery[int | None] = None) -> Any:
    today = datetime.now(local_tz()).date()
    year = year or today.year
    if not services.MIN_YEAR <= year <= services.MAX_YEAR:
        raise NotFoundException()
    days = await services.year_days(db_session, year)
    months = [(m, services.month_weeks(year, m)) for m in range(1, 13)]
    working = sum(1 for d in days.values() if d.is_working)
    return render(
        request,
        "calendar/year.html",
        {
            "year": year,
            "days": days,
            "months": months,
            "today": today,
            "working": working,
            "holiday_names": services.holiday_names(year, get_locale()),
            "can_edit": me.can("calendar.manage"),
        },
    )


@post("/calendar/{day:date}/toggle", opt={"permission": "calendar.manage"}, include_in_schema=False)
async def calendar_toggle(request: Request, me: Me, day: FromPath[date], db_session: Db) -> Any:
    if not services.MIN_YEAR <= day.year <= services.MAX_YEAR:
        raise NotFoundException()
    row = await services.toggle_day(db_session, day, me)
    if request.headers.get("hx-request") != "true":
        return Redirect(f"/calendar?year={day.year}", status_code=303)
    names = services.holiday_names(day.year, get_locale())
    context = {"d": day, "info": row, "can_edit": True, "today": None, "holiday_names": names}
    return render(request, "calendar/_day.html", context)
