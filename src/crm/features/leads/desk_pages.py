"""Pages that set the desk up: operators (load, availability, max load), sources with the weights matrix and
their intake keys, and the distribution statistics."""

from __future__ import annotations

from typing import Any

from jinja2_fragments.litestar import HTMXBlockTemplate
from litestar import MediaType, Request, get, post
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import FromPath
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.leads import api, desk, desk_sources, stats
from crm.features.leads.forms import ActiveForm, MaxLoadForm, OperatorForm, SourceForm, WeightForm
from crm.features.leads.pages import MANAGE, desk_context, htmx_events
from crm.lib.deps import Db, Me
from crm.lib.i18n import gettext as _
from crm.lib.web import FormErrors, is_htmx, render, toast

# --------------------------------------------------------------------------- operators


async def _operators_context(request: Request, db_session: AsyncSession, **extra: Any) -> dict[str, Any]:
    return {
        **await desk_context(request, db_session, "operators"),
        "operators": await desk.list_operators(db_session),
        "sources": await desk_sources.list_sources(db_session),
        "candidates": await desk.users_without_profile(db_session),
        "errors": FormErrors(),
        "form": {"user_id": "", "email": "", "max_load": "10"},
        **extra,
    }


@get("/leads/operators", opt=MANAGE, include_in_schema=False)
async def operators_page(request: Request, db_session: Db) -> Any:
    return render(request, "leads/operators.html", await _operators_context(request, db_session))


@post("/leads/operators", opt=MANAGE, include_in_schema=False)
async def operator_add(request: Request, me: Me, db_session: Db) -> Any:
    form = OperatorForm.parse(await request.form())
    errors = form.errors
    user, problems = await desk.operator_user(db_session, form.user_id, form.email)
    for name, message in problems.items():
        errors.add(name, _(message))
    max_load = form.max_load
    if not errors and user is not None and max_load is not None:
        try:
            await desk.create_operator(db_session, user, me, max_load=max_load)
        except desk.DeskError as exc:
            errors.add(exc.field, exc.text(localized=True))
    if errors or user is None:
        typed = {"user_id": form.raw("user_id"), "email": form.raw("email"), "max_load": form.raw("max_load")}
        context = await _operators_context(request, db_session, errors=errors, form=typed)
        return render(request, "leads/operators.html", context, status_code=422)
    toast(
        request,
        _("%(name)s is on the desk now. Give them weights on the sources they serve.", name=user.name or user.email),
    )
    return Redirect("/leads/operators", status_code=303)


async def _operator_row(request: Request, db_session: AsyncSession, operator_id: int, **extra: Any) -> Any:
    view = await desk.get_operator(db_session, operator_id)
    if view is None:
        raise NotFoundException()
    context = {"o": view, "sources": await desk_sources.list_sources(db_session), "row_error": "", "typed": "", **extra}
    return render(request, "leads/_operator_row.html", context, status_code=422 if context["row_error"] else 200)


@post("/leads/operators/{operator_id:int}/active", opt=MANAGE, include_in_schema=False)
async def operator_active(request: Request, me: Me, operator_id: FromPath[int], db_session: Db) -> Any:
    active = ActiveForm.parse(await request.form()).active
    try:
        _op, _changes, more_room = await desk.update_operator(db_session, operator_id, me, is_active=active)
    except LookupError:
        raise NotFoundException() from None
    await db_session.commit()
    if more_room:
        await desk.enqueue_give_out(getattr(request.app.state, "queue", None), operator_id)
    if not is_htmx(request):
        return Redirect("/leads/operators", status_code=303)
    response = await _operator_row(request, db_session, operator_id)
    message = _("Takes new contacts again.") if active else _("Takes no new contacts now; their open contacts stay.")
    response.headers.update(htmx_events(toast=message))
    return response


@post("/leads/operators/{operator_id:int}/max-load", opt=MANAGE, include_in_schema=False)
async def operator_max_load(request: Request, me: Me, operator_id: FromPath[int], db_session: Db) -> Any:
    form = MaxLoadForm.parse(await request.form())
    value = form.max_load
    if value is None:  # the form has novalidate: a bad figure comes here and is answered next to the field
        return await _operator_row(
            request, db_session, operator_id, row_error=form.errors["max_load"], typed=form.raw("max_load")[:20]
        )
    try:
        _op, _changes, more_room = await desk.update_operator(db_session, operator_id, me, max_load=value)
    except LookupError:
        raise NotFoundException() from None
    await db_session.commit()
    if more_room:
        await desk.enqueue_give_out(getattr(request.app.state, "queue", None), operator_id)
    if not is_htmx(request):
        return Redirect("/leads/operators", status_code=303)
    response = await _operator_row(request, db_session, operator_id)
    response.headers.update(htmx_events(toast=_("Maximum load saved.")))
    return response


# --------------------------------------------------------------------------- sources and weights


async def _sources_context(request: Request, db_session: AsyncSession, **extra: Any) -> dict[str, Any]:
    return {
        **await desk_context(request, db_session, "sources"),
        "sources": await desk_sources.list_sources(db_session),
        "operators": await desk.list_operators(db_session),
        "errors": FormErrors(),
        "name": "",
        "new_key": None,
        "oob": False,
        **extra,
    }


NEW_KEY = "leads.new_key"


def _remember_key(request: Request, name: str, raw: str) -> None:
    """The key is shown once, on the page the redirect leads to: kept in the (server-side) session until then."""
    request.session[NEW_KEY] = [name, raw]


@get("/leads/sources", opt=MANAGE, include_in_schema=False)
async def sources_page(request: Request, db_session: Db) -> Any:
    new_key = request.session.pop(NEW_KEY, None) if isinstance(request.session, dict) else None
    context = await _sources_context(request, db_session, new_key=tuple(new_key) if new_key else None)
    return render(request, "leads/sources.html", context, block="weights")


@post("/leads/sources", opt=MANAGE, include_in_schema=False)
async def source_add(request: Request, me: Me, db_session: Db) -> Any:
    """Post-redirect-get: a reload of the page that shows the new key adds nothing."""
    form = SourceForm.parse(await request.form())
    name = form.raw("name").strip()
    try:
        source, raw = await desk_sources.create_source(db_session, name, me)
    except desk.DeskError as exc:
        errors = FormErrors()
        errors.add(exc.field, exc.text(localized=True))
        context = await _sources_context(request, db_session, errors=errors, name=name)
        return render(request, "leads/sources.html", context, status_code=422)
    await db_session.commit()
    _remember_key(request, source.name, raw)
    toast(request, _("Source %(name)s added. Give it weights below.", name=source.name))
    return Redirect("/leads/sources", status_code=303)


@post("/leads/sources/{source_id:int}/rotate", opt=MANAGE, include_in_schema=False)
async def source_rotate(request: Request, me: Me, source_id: FromPath[int], db_session: Db) -> Any:
    try:
        raw = await desk_sources.rotate_intake_key(db_session, source_id, me)
    except LookupError:
        raise NotFoundException() from None
    await db_session.commit()
    view = await desk_sources.get_source(db_session, source_id)
    _remember_key(request, view.name if view else "", raw)
    return Redirect("/leads/sources", status_code=303)


@post("/leads/sources/{source_id:int}/active", opt=MANAGE, include_in_schema=False)
async def source_active(request: Request, me: Me, source_id: FromPath[int], db_session: Db) -> Any:
    active = ActiveForm.parse(await request.form()).active
    try:
        source = await desk_sources.update_source(db_session, source_id, me, is_active=active)
    except LookupError:
        raise NotFoundException() from None
    await db_session.commit()
    toast(request, _("%(name)s accepts contacts again.", name=source.name) if active
          else _("%(name)s accepts no contacts now (its key answers 404).", name=source.name))  # fmt: skip
    return Redirect("/leads/sources", status_code=303)


@post("/leads/sources/{source_id:int}/weights/{operator_id:int}", opt=MANAGE, include_in_schema=False)
async def weight_set(
    request: Request, me: Me, source_id: FromPath[int], operator_id: FromPath[int], db_session: Db
) -> Any:
    """One cell of the matrix; the answer is the whole matrix (sums and expected shares change with it)."""
    form = WeightForm.parse(await request.form())
    typed, value = form.raw("weight").strip(), form.weight
    cell_error = None
    if value is None:  # the form has novalidate: a bad figure comes here and is answered in its cell
        cell_error = (source_id, operator_id, form.errors["weight"], typed[:20])
    else:
        try:
            before = await desk_sources.set_weight(db_session, source_id, operator_id, value, me)
        except LookupError:
            raise NotFoundException() from None
        except desk.DeskError as exc:
            cell_error = (source_id, operator_id, exc.text(localized=True), typed[:20])
        else:
            await db_session.commit()
            if value > (before or 0):
                await desk.enqueue_give_out(getattr(request.app.state, "queue", None), operator_id)
    if not is_htmx(request):
        return Redirect("/leads/sources", status_code=303)
    # The matrix, and the sources table out of band: its "no weights" warnings follow the weights at once.
    context = await _sources_context(request, db_session, cell_error=cell_error, oob=True)
    response = HTMXBlockTemplate(
        template_name="leads/sources.html",
        block_names=["weights", "sources"],
        context={"user": request.scope.get("user"), **context},
        status_code=422 if cell_error else 200,
        media_type=MediaType.HTML,
    )
    if not cell_error:
        response.headers.update(htmx_events(toast=_("Weight saved.")))
    return response


# --------------------------------------------------------------------------- statistics


@get("/leads/stats", opt=MANAGE, include_in_schema=False)
async def stats_page(request: Request, db_session: Db) -> Any:
    query = request.query_params
    errors = FormErrors()
    try:
        day_from, day_to, start, end = api.period_bounds(query.get("from"), query.get("to"))
    except ValidationException:  # a malformed date: the default period, with a message
        errors.add("from", _("Dates look like 2026-11-01; the start comes before the end."))
        day_from, day_to, start, end = api.period_bounds(None, None)
    rows, totals = await stats.distribution_stats(db_session, day_from, day_to, start, end)
    assigned = [r for r in rows if r.operator_id is not None]
    labels = [f"{r.source_name} · {r.operator_name}" for r in assigned]
    datasets = [
        {"label": _("Actual share, %"), "data": [round(r.share * 100, 1) for r in assigned], "digits": 1},
        {"label": _("Expected by weight, %"), "data": [round((r.expected_share or 0) * 100, 1) for r in assigned],
         "digits": 1},
    ]  # fmt: skip
    context = {
        **await desk_context(request, db_session, "stats"),
        "day_from": day_from, "day_to": day_to, "rows": rows, "totals": totals, "labels": labels,
        "datasets": datasets, "errors": errors,
    }  # fmt: skip
    return render(request, "leads/stats.html", context)


ROUTES: list[Any] = [
    operators_page, operator_add, operator_active, operator_max_load, sources_page, source_add, source_rotate,
    source_active, weight_set, stats_page,
]  # fmt: skip
