"""Home page, health check and the settings page."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.response import Redirect
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from crm.config import get_settings
from crm.features.system import services
from crm.lib.auth import current_user
from crm.lib.i18n import gettext as _
from crm.lib.web import render, toast


@get("/", include_in_schema=False)
async def home(request: Request) -> Any:
    return render(request, "home.html", {})


@get("/health", opt={"public": True}, tags=["system"], summary="Database and queue status", security=[])
async def health(request: Request, db_session: NamedDependency[AsyncSession]) -> Response[dict[str, str]]:
    result = {"status": "ok", "database": "ok", "queue": "ok"}
    try:
        await asyncio.wait_for(db_session.execute(text("SELECT 1")), timeout=3)
    except Exception:
        result["database"] = "down"
    try:
        await asyncio.wait_for(request.app.state.queue.count("queued"), timeout=3)
    except Exception:
        result["queue"] = "down"
    if "down" in result.values():
        result["status"] = "down"
        return Response(result, status_code=503)
    return Response(result)


SETTINGS = {"permission": "integrations.manage"}


@get("/settings", opt=SETTINGS, include_in_schema=False)
async def settings_page(request: Request, db_session: NamedDependency[AsyncSession]) -> Any:
    tests = await services.recent_mail_tests(db_session)
    return render(
        request,
        "system/settings.html",
        {
            "config": services.configuration(get_settings()),
            "tests": tests,
            "waiting": any(t.status == "queued" for t in tests),
        },
        block="mail_tests",
    )


@post("/settings/mail-test", opt=SETTINGS, include_in_schema=False)
async def mail_test(request: Request, db_session: NamedDependency[AsyncSession]) -> Any:
    user = current_user(request)
    test = await services.request_mail_test(db_session, user.email, user.email)
    await db_session.commit()
    await request.app.state.queue.enqueue("send_mail_test", test_id=test.id, timeout=60, retries=1)
    toast(request, _("A test message to %(email)s is on its way; its outcome appears below.", email=user.email))
    return Redirect("/settings", status_code=303)


ROUTES = [home, health, settings_page, mail_test]
