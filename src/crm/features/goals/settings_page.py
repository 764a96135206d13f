"""The analysis settings screen (goals.manage): ABC thresholds, index formulas, and per variable the categories,
reasons and the condition rules that assign a category."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.goals import config
from crm.features.goals.forms import AnalysisSettingsForm, ItemForm, RuleForm
from crm.features.goals.models import INDEX_FORMULAS, VARIABLES
from crm.lib.deps import Db, Me
from crm.lib.i18n import gettext as _
from crm.lib.web import render, toast

MANAGE = {"permission": "goals.manage"}


async def _context(
    session: AsyncSession, variable: str, typed: dict[str, Any] | None = None, errors: dict[str, str] | None = None
) -> dict[str, Any]:
    row = await config.settings_row(session)
    categories = await config.categories(session, variable)
    names = {c.id: c.name for c in categories}
    return {
        "variable": variable,
        "variables": [(v, _(config.VARIABLE_LABELS[v])) for v in VARIABLES],
        "typed": typed
        or {
            "abc_a": f"{row.abc_a:g}",
            "abc_b": f"{row.abc_b:g}",
            "i1": row.i1,
            "i2": row.i2,
            "i3": row.i3,
            "i4": row.i4,
        },
        "errors": errors or {},
        "formulas": [(f, _(config.FORMULA_LABELS[f])) for f in INDEX_FORMULAS],
        "categories": categories,
        "reasons": await config.reasons(session, variable),
        "rules": [(r, names.get(r.category_id, "?")) for r in await config.rules_of(session, variable)],
        "metrics": [(m, m.upper() if m != "revenue" else _("Revenue")) for m in config.METRICS],
        "ops": [(o, o) for o in config.OPS],
    }


def _variable(raw: Any) -> str:
    value = str(raw or "revenue")
    return value if value in VARIABLES else "revenue"


@get("/analysis/settings", opt=MANAGE, include_in_schema=False)
async def settings_page(request: Request, db_session: Db) -> Any:
    variable = _variable(request.query_params.get("variable"))
    context = await _context(db_session, variable)
    await db_session.commit()
    return render(request, "goals/settings.html", context)


@post("/analysis/settings", opt=MANAGE, include_in_schema=False)
async def settings_save(request: Request, me: Me, db_session: Db) -> Any:
    form = AnalysisSettingsForm.parse(await request.form())
    errors = await config.save_settings(db_session, me, form)
    if errors:
        typed = {name: form.raw(name) for name in form.fields}
        context = await _context(db_session, form.variable, typed, errors)
        return render(request, "goals/settings.html", context, status_code=422)
    await db_session.commit()
    toast(request, _("Analysis settings saved."))
    return Redirect(f"/analysis/settings?variable={form.variable}", status_code=303)


@post("/analysis/settings/{kind:str}", opt=MANAGE, include_in_schema=False)
async def settings_item(request: Request, me: Me, db_session: Db, kind: FromPath[str]) -> Any:
    """Add or remove a category, a reason or a rule of a variable (a hidden variable or id no screen sends
    wrong: 422 naming it)."""
    message: str | None = None
    if kind in ("category", "reason"):
        item = ItemForm.parse(await request.form())
        item.refuse_if_invalid("variable", "remove")
        variable = item.variable
        if item.remove is not None:
            await config.remove_item(db_session, me, kind, item.remove)
        else:
            message = await config.add_item(db_session, me, kind, variable, item.raw("name"))
    elif kind == "rule":
        rule = RuleForm.parse(await request.form())
        rule.refuse_if_invalid("variable", "remove")
        variable = rule.variable
        if rule.remove is not None:
            await config.remove_rule(db_session, me, rule.remove)
        else:
            errors = await config.add_rule(db_session, me, rule)
            if errors:
                context = await _context(db_session, variable)
                context["rule_errors"] = errors
                context["rule_typed"] = {name: rule.raw(name) for name in ("metric", "op", "value", "category_id")}
                return render(request, "goals/settings.html", context, status_code=422)
    else:
        raise NotFoundException()
    if message:
        toast(request, _(message), "error")
        return Redirect(f"/analysis/settings?variable={variable}", status_code=303)
    await db_session.commit()
    toast(request, _("Saved."))
    return Redirect(f"/analysis/settings?variable={variable}", status_code=303)


ROUTES: list[Any] = [settings_page, settings_save, settings_item]
