"""Home page, health check and the settings page."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import Request, Response, get, post
from litestar.response import Redirect
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from crm.config import get_settings
from crm.features.alerts import health as operations
from crm.features.system import diagnostics
from crm.features.system import home as home_entries
from crm.features.system import settings as system_settings
from crm.features.system.forms import SettingsForm
from crm.lib.deps import Db, Me
from crm.lib.i18n import gettext as _
from crm.lib.web import FormErrors, render, toast


@get("/", include_in_schema=False)
async def home(request: Request, me: Me) -> Any:
    return render(request, "home.html", {"entries": home_entries.entries_for(me)})


@get(
    "/health",
    opt={"public": True},
    tags=["system"],
    summary="Database and queue status",
    description="`?detail=1` (the metrics token or an admin's bearer token) adds the queue depth, the worker's last "
    "heartbeat, the Bitrix24 sync lag and the mailbox state.",
    security=[],
)
async def health(request: Request, db_session: Db) -> Response[dict[str, Any]]:
    result: dict[str, Any] = {"status": "ok", "database": "ok", "queue": "ok"}
    try:
        await asyncio.wait_for(db_session.execute(text("SELECT 1")), timeout=3)
    except Exception:
        result["database"] = "down"
    try:
        await asyncio.wait_for(request.app.state.queue.count("queued"), timeout=3)
    except Exception:
        result["queue"] = "down"
    if request.query_params.get("detail") and result["database"] == "ok":
        if not operations.may_read_detail(request):
            refusal = {"detail": "The detail needs the metrics token or an admin's bearer token"}
            return Response(refusal, status_code=401)
        result.update(await operations.detail(db_session, getattr(request.app.state, "queue", None)))
    if "down" in result.values():
        result["status"] = "down"
        return Response(result, status_code=503)
    return Response(result)


SETTINGS = {"permission": "integrations.manage"}


async def _settings_context(db_session: AsyncSession, **extra: Any) -> dict[str, Any]:
    tests = await diagnostics.recent_mail_tests(db_session)
    row = await system_settings.stored(db_session)
    env = system_settings.from_environment()
    effective = system_settings.merge_smtp(row, get_settings().smtp, env)
    return {
        "config": diagnostics.configuration(get_settings()),
        "tests": tests,
        "waiting": any(t.status == "queued" for t in tests),
        "env": env,
        "variables": {name: " / ".join(f"CRM_{v}" for v in names) for name, names in system_settings.VARIABLES.items()},
        "effective": effective,
        "effective_security": "tls" if effective.ssl else "starttls" if effective.starttls else "none",
        "timezone": system_settings.merge_timezone(row, env),
        "password_saved": bool(row and row.smtp_password_enc),
        "security_options": [(k, _(v)) for k, v in system_settings.SECURITY.items()],
        "zones": system_settings.COMMON_ZONES,
        "default_timezone": system_settings.DEFAULT_TIMEZONE,
        "default_sender": system_settings.DEFAULT_SENDER,
        "form": system_settings.form_values(row),
        "errors": FormErrors(),
        **extra,
    }


@get("/settings", opt=SETTINGS, include_in_schema=False)
async def settings_page(request: Request, db_session: Db) -> Any:
    return render(request, "system/settings.html", await _settings_context(db_session), block="mail_tests")


@post("/settings", opt=SETTINGS, include_in_schema=False)
async def settings_save(request: Request, me: Me, db_session: Db) -> Any:
    form = SettingsForm.parse(await request.form())
    saved = await system_settings.save(db_session, me, form)
    if saved.errors:
        typed = {k: v for k, v in form.shown().items() if k != "smtp_password"}
        context = await _settings_context(db_session, errors=saved.errors, form=typed)
        return render(request, "system/settings.html", context, status_code=422)
    await db_session.commit()
    toast(request, _("Settings saved.") if saved.changes else _("Nothing to change."))
    return Redirect("/settings", status_code=303)


@post("/settings/mail-test", opt=SETTINGS, include_in_schema=False)
async def mail_test(request: Request, me: Me, db_session: Db) -> Any:
    test = await diagnostics.request_mail_test(db_session, me.email, me.email)
    await db_session.commit()
    await request.app.state.queue.enqueue("send_mail_test", test_id=test.id, timeout=60, retries=1)
    toast(request, _("A test message to %(email)s is on its way; its outcome appears below.", email=me.email))
    return Redirect("/settings", status_code=303)
