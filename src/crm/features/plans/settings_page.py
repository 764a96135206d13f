"""The report settings screen (admins): the deadline for editing past plans, the department shown by default."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.org.tree import all_departments, indented
from crm.features.plans import services
from crm.features.plans.forms import PlanSettingsForm
from crm.lib.deps import Db, Me
from crm.lib.i18n import gettext as _
from crm.lib.web import render, toast

MANAGE = {"permission": "integrations.manage"}


async def _context(session: AsyncSession) -> dict[str, Any]:
    row = await services.settings(session)
    departments = [(d.id, "\u2003" * depth + d.name) for d, depth in indented(await all_departments(session))]
    typed = {"edit_deadline_day": row.edit_deadline_day, "default_department_id": row.default_department_id or ""}
    return {"departments": departments, "typed": typed, "errors": {}}


@get("/plans/settings", opt=MANAGE, include_in_schema=False)
async def settings_form(request: Request, db_session: Db) -> Any:
    return render(request, "plans/settings.html", await _context(db_session))


@post("/plans/settings", opt=MANAGE, include_in_schema=False)
async def settings_save(request: Request, me: Me, db_session: Db) -> Any:
    form = PlanSettingsForm.parse(await request.form())
    errors = await services.save_settings(db_session, me, form)
    if errors:
        context = await _context(db_session)
        typed = {name: form.raw(name) for name in form.fields}
        return render(request, "plans/settings.html", {**context, "typed": typed, "errors": errors}, status_code=422)
    await db_session.commit()
    toast(request, _("Report settings saved."))
    return Redirect("/plans/settings", status_code=303)


ROUTES: list[Any] = [settings_form, settings_save]
