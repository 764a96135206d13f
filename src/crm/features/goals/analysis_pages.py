"""The sales-analysis pages: the dashboard of a variable and the client table (chosen columns saved as named views
per person, up to 3 filters, two-level sort, server-side pages, CSV/XLSX/PDF, inline category and reason)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any
from urllib.parse import urlencode, urlsplit

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import FromPath
from litestar.response import Redirect
from sqlalchemy import JSON, func, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts.people import find, resolve
from crm.features.goals import analysis, config, dashboard, overrides, pdf, saved_views
from crm.features.goals.api import read_query
from crm.features.goals.config import VARIABLE_LABELS
from crm.features.goals.forms import AnalysisViewForm, CategoryCellForm
from crm.features.goals.models import VARIABLES, AnalysisView
from crm.features.goals.scope import scope_for
from crm.lib.deps import Db, Me
from crm.lib.export_jobs import ListSource, export
from crm.lib.exports import ExportColumn
from crm.lib.i18n import N_, local_today
from crm.lib.i18n import gettext as _
from crm.lib.lists import ListParams, ListQuery, Page
from crm.lib.web import is_htmx, parse_int, render, toast

VIEW = {"permission": "goals.view"}
COLUMN_LABELS = {
    "revenue": N_("Revenue"),
    "i1": "I1",
    "i2": "I2",
    "i3": "I3",
    "i4": "I4",
    "abc": "ABC",
    "category": N_("Category"),
    "reason": N_("Reason"),
    "last_purchase": N_("Last purchase"),
    "responsible": N_("Responsible"),
}
OP_LABELS = {
    "eq": "=",
    "ne": "≠",
    "lt": "<",
    "le": "≤",
    "gt": ">",
    "ge": "≥",
    "contains": N_("contains"),
    "empty": N_("is empty"),
    "set": N_("is set"),
}


def _person(raw: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw) if raw else None
    except ValueError:
        return None


def _month_of(params: ListParams, year: int) -> date:
    raw = params.get("month")
    if raw:
        try:
            return date.fromisoformat(raw + "-01").replace(day=1)
        except ValueError:
            pass
    today = local_today()
    return date(year, today.month, 1) if year == today.year else date(year, 12, 1)


@get("/analysis", opt=VIEW, include_in_schema=False)
async def dashboard_page(request: Request, me: Me, db_session: Db) -> Any:
    params = ListParams.from_request(request)
    variable = params.get("variable") if params.get("variable") in VARIABLES else "revenue"
    year = parse_int(params.get("year"), 2000, 2100) or local_today().year
    family = params.get("family")[:80]
    picker = await resolve(db_session, me, params.get("person"), params.get("person_q"))  # a search picker
    person = None if picker.problem else _person(picker.value)
    month = _month_of(params, year)
    scope = await scope_for(db_session, me)
    board = await dashboard.build(db_session, scope, variable, year, family, month, person)
    label = _(VARIABLE_LABELS[variable])
    query = urlencode(
        {
            k: v
            for k, v in {"variable": variable, "year": year, "family": family, "person": str(person or "")}.items()
            if v
        }
    )
    link = f"{request.base_url}".rstrip("/") + f"/analysis?{query}"
    context = {
        "board": board,
        "label": label,
        "labels": {k: _(v) for k, v in VARIABLE_LABELS.items()},
        "variables": VARIABLES,
        "families": await analysis.families(db_session, year),
        "person_picker_state": picker,
        "many_people": (await find(db_session, me, "", 1))[1],  # more than themselves to choose from
        "query": query,
        "whatsapp": "https://wa.me/?text=" + _quote(dashboard.summary_text(board, label, link)),
        "table_link": "/analysis/clients?"
        + urlencode({"variable": variable, "month": f"{month:%Y-%m}", "family": family}),
    }
    return render(request, "goals/dashboard.html", context, block="board")


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


# --------------------------------------------------------------------------- the client table


def normalise(params: ListParams) -> ListParams:
    """The form's filter rows (``f1_field``, ``f1_op``, ``f1_value``) and sort pair (``sort``, ``sort2``) as the API's
    ``f1=field:op:value`` and ``sort``; empty rows dropped."""
    q = params.query
    items = [
        (k, v) for k, v in q.multi_items() if not k.startswith(("f1_", "f2_", "f3_")) and k not in ("sort", "sort2")
    ]
    for n in (1, 2, 3):
        f, o, v = q.get(f"f{n}_field"), q.get(f"f{n}_op"), q.get(f"f{n}_value")
        if f:
            items = [(k, val) for k, val in items if k != f"f{n}"]
            items.append((f"f{n}", f"{f}:{o or 'eq'}:{v or ''}"))
    sorts = [s for s in (*q.getall("sort", []), q.get("sort2") or "") if s]
    items += [("sort", s) for s in dict.fromkeys(sorts)]
    from litestar.datastructures import MultiDict

    return ListParams(page=params.page, page_size=params.page_size, sort="", query=MultiDict(items))


def _columns(params: ListParams) -> list[str]:
    chosen = [c for c in params.query.getall("cols", []) if c in analysis.COLUMNS]
    return chosen or list(analysis.COLUMNS)


def _filters_for_form(query: analysis.Query) -> list[dict[str, str]]:
    rows = [{"field": f.field, "op": f.op, "value": f.value} for f in query.filters[:3]]
    return rows + [{"field": "", "op": "eq", "value": ""}] * (3 - len(rows))


def _table_query(
    params: ListParams, person: str | None = None
) -> tuple[ListParams, analysis.Query | None, dict[str, str]]:
    """The table's query from the URL; ``person``: the person the picker resolved (replaces ``person``)."""
    params = normalise(params)
    if person is not None:
        params.query["person"] = person
    if not params.get("month"):
        today = local_today()
        params.query["month"] = f"{today.year}-{today.month:02d}"
    try:
        return params, read_query(params), {}
    except ValidationException as exc:
        extra = exc.extra or []
        field = extra[0]["key"] if extra and isinstance(extra, list) else "filter"
        message = extra[0]["message"] if extra and isinstance(extra, list) else str(exc.detail)
        return params, None, {field: message}


@get("/analysis/clients", opt=VIEW, include_in_schema=False)
async def clients_page(request: Request, me: Me, db_session: Db) -> Any:
    asked = ListParams.from_request(request)
    picker = await resolve(db_session, me, asked.get("person"), asked.get("person_q"))  # a search picker
    params, query, errors = _table_query(asked, person="" if picker.problem else picker.value)
    if "filter" in errors:
        errors["filter"] = _filter_error(_typed_filters(params))
    scope = await scope_for(db_session, me)
    if query is not None and params.format:
        return await export(request, db_session, analysis_source, params)
    if query is not None and params.get("format") == "pdf":
        printed = await analysis.table_page(db_session, scope, query, 1, pdf.MAX_ROWS)
        body = pdf.table_pdf(query, _columns(params), list(printed.rows), _(VARIABLE_LABELS[query.variable]))
        return Response(
            content=body,
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="clients-{query.month:%Y-%m}.pdf"'},
        )
    page: Page[Any] = Page(rows=[], total=0, page=1, page_size=params.page_size)
    variable = (
        query.variable if query else (params.get("variable") if params.get("variable") in VARIABLES else "revenue")
    )
    if query is not None:
        page = await analysis.table_page(db_session, scope, query, params.page, params.page_size)
    rows = list(page.rows)
    views = (
        await db_session.scalars(select(AnalysisView).where(AnalysisView.user_id == me.id).order_by(AnalysisView.name))
    ).all()
    context = {
        "person_picker_state": picker,
        "many_people": (await find(db_session, me, "", 1))[1],
        "query": query,
        "params": params,
        "page": page,
        "rows": rows,
        "errors": errors,
        "variable": variable,
        "month": params.get("month"),
        "columns": _columns(params),
        "all_columns": analysis.COLUMNS,
        "column_labels": {k: _(v) for k, v in COLUMN_LABELS.items()},
        "fields": [("code", _("Code")), ("name", _("Client")), *[(k, _(v)) for k, v in COLUMN_LABELS.items()]],
        "ops": [(k, _(v)) for k, v in OP_LABELS.items()],
        "filter_rows": _filters_for_form(query) if query else _typed_filters(params),
        "sort_keys": (query.sort if query else params.query.getall("sort", [])) + ["", ""],
        "labels": {k: _(v) for k, v in VARIABLE_LABELS.items()},
        "variables": VARIABLES,
        "views": views,
        "view_query": _view_query(params),
        "families": await analysis.families(db_session, int(params.get("month")[:4]) if query else local_today().year),
    }
    return render(request, "goals/clients.html", context, block="table", status_code=422 if errors else 200)


def _typed_filters(params: ListParams) -> list[dict[str, str]]:
    """The filter rows as typed (the form is shown again with them when one cannot be used)."""
    rows = []
    for n in (1, 2, 3):
        field, _sep, rest = params.get(f"f{n}").partition(":")
        op, _sep, value = rest.partition(":")
        rows.append({"field": field, "op": op or "eq", "value": value})
    return rows


def _filter_error(rows: list[dict[str, str]]) -> str:
    """Which filter row cannot be used and why, in the user's language (the API's message is English)."""
    labels = {"code": _("Code"), "name": _("Client"), **{k: _(v) for k, v in COLUMN_LABELS.items()}}
    for n, row in enumerate(rows, 1):
        if not row["field"]:
            continue
        try:
            analysis.parse_filter(row["field"], row["op"], row["value"])
        except analysis.BadInput:
            where = {"n": n, "field": labels.get(row["field"], row["field"])}
            if row["field"] in analysis.NUMERIC and row["op"] in analysis.OPS:
                return _("Filter %(n)s (%(field)s): enter a number, e.g. 1500.50", **where)
            if row["field"] == "last_purchase" and row["op"] in analysis.OPS and row["op"] != "contains":
                return _("Filter %(n)s (%(field)s): enter a date as 2026-11-30", **where)
            if row["op"] == "contains":
                return _("Filter %(n)s (%(field)s): “contains” is only for text columns", **where)
            return _("Filter %(n)s: choose a column and a comparison from the lists", n=n)
    return _("At most 3 filters.")


def _view_query(params: ListParams) -> str:
    return urlencode([(k, v) for k, v in params.query.multi_items() if k not in ("page", "format") and v])


def _getter(key: str) -> Any:
    return lambda row: row.get(key)


async def analysis_source(session: AsyncSession, user: Any, params: ListParams) -> ListSource:
    """The client table as a file: the columns shown, in the table's own order."""
    params, query, _errors = _table_query(params)
    if query is None:
        raise ValidationException(detail="month: expected YYYY-MM", extra=[{"key": "month", "message": "YYYY-MM"}])
    sub, stmt = await analysis.table_select(session, await scope_for(session, user), query)
    keys = ["code", "name", *_columns(params)]
    obj = type_coerce(func.json_build_object(*[x for k in keys for x in (k, sub.c[k])]), JSON)
    labels = {"code": _("Code"), "name": _("Client"), **{k: _(v) for k, v in COLUMN_LABELS.items()}}
    columns = [ExportColumn(labels[k], _getter(k)) for k in keys]
    table = ListQuery(stmt.with_only_columns(obj), {}, default="", tiebreak=None)
    return ListSource(table, columns, f"clients-{query.variable}-{query.month:%Y-%m}")


async def _cell_context(
    session: AsyncSession, scope: Any, client_id: int, variable: str, month: str, back: str
) -> dict[str, Any]:
    try:
        first = date.fromisoformat(month + "-01") if len(month) == 7 else local_today().replace(day=1)
    except ValueError:
        first = local_today().replace(day=1)
    query = analysis.Query(variable=variable, month=first)
    sub, stmt = await analysis.table_select(session, scope, query)
    row = (await session.execute(stmt.where(sub.c.client_id == client_id))).first()
    if not back.startswith("/analysis/clients"):
        back = "/analysis/clients"
    return {
        "r": row,
        "client_id": client_id,
        "variable": variable,
        "month": f"{first:%Y-%m}",
        "back": back,
        "categories": await config.categories(session, variable),
        "reasons": await config.reasons(session, variable),
        "edit": True,
    }


@get("/analysis/clients/{client_id:int}/category", opt=VIEW, include_in_schema=False)
async def edit_cell(request: Request, me: Me, db_session: Db, client_id: FromPath[int]) -> Any:
    """The inline edit form of a row's category and reason (the cell for htmx, a small page without script)."""
    scope = await scope_for(db_session, me)
    if not await overrides.client_in_scope(db_session, scope, client_id):
        raise NotFoundException()
    q = request.query_params
    variable = q.get("variable") or "revenue"
    if variable not in VARIABLES:
        raise NotFoundException()
    back = q.get("back") or ""
    if not back:  # without script: back to the table the link was followed from
        referer = urlsplit(request.headers.get("referer") or "")
        back = f"{referer.path}?{referer.query}" if referer.path == "/analysis/clients" else ""
    context = await _cell_context(db_session, scope, client_id, variable, q.get("month") or "", back)
    template = "goals/_category_cell.html" if is_htmx(request) else "goals/category_edit.html"
    return render(request, template, context)


@post("/analysis/clients/{client_id:int}/category", opt=VIEW, include_in_schema=False)
async def override_cell(request: Request, me: Me, db_session: Db, client_id: FromPath[int]) -> Any:
    """The inline category/reason of a row: saved, then the cell again (htmx) or back to the table."""
    scope = await scope_for(db_session, me)
    if not await overrides.client_in_scope(db_session, scope, client_id):
        raise NotFoundException()
    form = CategoryCellForm.parse(await request.form())
    form.refuse_if_invalid("variable", "month", "back")
    variable, category, reason, back = form.variable, form.category, form.reason, form.back_url
    if form.ok:
        found = await overrides.set_override(db_session, me, client_id, variable, category, reason)
        for name, message in found.items():
            form.errors.add(name, _(message))
    errors = form.errors
    if not is_htmx(request):
        if errors:
            toast(request, "; ".join(errors.values()), "error")
        else:
            await db_session.commit()
            toast(request, _("Category saved."))
        return Redirect(back, status_code=303)
    if not errors:
        await db_session.commit()
    context = await _cell_context(db_session, scope, client_id, variable, form.month, back)
    context["edit"] = bool(errors)
    context["cell_errors"] = dict(errors)
    if errors:
        context["chosen"] = {"category": form.raw("category"), "reason": form.raw("reason")}
    return render(request, "goals/_category_cell.html", context, status_code=422 if errors else 200)


@post("/analysis/views", opt=VIEW, include_in_schema=False)
async def save_view(request: Request, me: Me, db_session: Db) -> Any:
    form = AnalysisViewForm.parse(await request.form())
    query = form.raw("query")[: saved_views.MAX_QUERY]
    refused = await saved_views.save(db_session, me.id, form.view_name, query)
    if refused:
        toast(request, _(refused), "error")
    else:
        await db_session.commit()
        toast(request, _("View “%(name)s” saved.", name=form.view_name))
    return Redirect(f"/analysis/clients?{query}", status_code=303)


@post("/analysis/views/{view_id:int}/delete", opt=VIEW, include_in_schema=False)
async def delete_view(request: Request, me: Me, db_session: Db, view_id: FromPath[int]) -> Any:
    await saved_views.remove(db_session, me.id, view_id)
    await db_session.commit()
    toast(request, _("View deleted."))
    return Redirect("/analysis/clients", status_code=303)


ROUTES: list[Any] = [dashboard_page, clients_page, edit_cell, override_cell, save_view, delete_view]
