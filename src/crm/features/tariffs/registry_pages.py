"""Registry screens: the office's day, the registry with its live tariffication table, and the transitions."""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts.models import User
from crm.features.tariffs import registries, registry_list, tariffs
from crm.features.tariffs.models import RegistryRecord
from crm.features.tariffs.pricing import WARNINGS
from crm.lib.auth import current_user
from crm.lib.exports import export_stream
from crm.lib.i18n import N_, NP_, local_today, pgettext
from crm.lib.i18n import gettext as _
from crm.lib.web import ListParams, apply_sort, fetch_page, is_htmx, parse_int, render, toast

OPERATE = {"permission": "telegrams.register"}
SEE = {"permission": ("telegrams.register", "billing.manage")}


def _parse_day(request: Request, raw: str | None) -> tuple[date, bool]:
    """The day asked for (today when none is given); False with a message shown when it is not a date."""
    if not (raw or "").strip():
        return local_today(), True
    try:
        return date.fromisoformat((raw or "").strip()), True
    except ValueError:
        toast(request, _("“%(value)s” is not a date: enter it as YYYY-MM-DD.", value=(raw or "")[:40]), "error")
        return local_today(), False


@get("/registries/day", opt=OPERATE, include_in_schema=False)
async def day_page(request: Request, db_session: NamedDependency[AsyncSession]) -> Any:
    user: User = current_user(request)
    day, valid = _parse_day(request, request.query_params.get("date"))
    items = await registries.office_day(db_session, user, day)
    registry = await registries.day_registry(db_session, user, day)
    return render(
        request,
        "tariffs/day.html",
        {"day": day, "items": items, "registry": registry, "office": user.telegraph_prefix},
        status_code=200 if valid else 422,
    )


@post("/registries/day", opt=OPERATE, include_in_schema=False)
async def day_add(request: Request, db_session: NamedDependency[AsyncSession]) -> Any:
    user: User = current_user(request)
    form = await request.form()
    day, valid = _parse_day(request, form.get("date"))
    if not valid:  # never add the chosen telegrams to some other day's registry
        return Redirect("/registries/day", status_code=303)
    ids = [n for v in form.getall("telegram", []) if (n := parse_int(str(v), 1, 2**62)) is not None]
    try:
        registry, added = await registries.add_telegrams(db_session, user, day, ids)
    except registries.RegistryError as exc:
        # Nothing is created (no empty draft); the reason is shown next to the list, the day's list as it was.
        items = await registries.office_day(db_session, user, day)
        context = {
            "day": day,
            "items": items,
            "registry": await registries.day_registry(db_session, user, day),
            "office": user.telegraph_prefix,
            "add_error": _(str(exc)),
        }
        return render(request, "tariffs/day.html", context, status_code=422)
    toast(
        request,
        _("%(n)s telegrams added to the registry.", n=added) if added else _("No new telegrams were added."),
    )
    return Redirect(f"/registries/{registry.id}", status_code=303)


CATEGORY_LABELS = {"ordinary": N_("ordinary"), "urgent": N_("urgent"), "post": N_("post"), "box": N_("PO box")}
# "уведомление обыкновенное": a notification agrees in gender with its own noun, not with the telegram's category.
NOTIFICATION_LABELS = {"ordinary": NP_("notification", "ordinary"), "urgent": NP_("notification", "urgent")}
BLANK_LABELS = {"none": "–", "lux": "ЛЮКС", "lux_v": "ЛЮКС/В"}
AMOUNT_LABELS = {
    "delivery_amount": N_("Delivery"),
    "words_amount": N_("Words"),
    "notification_amount": N_("Notification"),
    "blank_amount": N_("Blank"),
    "deliver_on_date_amount": "ВРУЧИТЬ",
    "paid_reply_amount": N_("Paid reply"),
}


def _notification_label(value: str) -> str:
    return pgettext("notification", NOTIFICATION_LABELS[value]) if value in NOTIFICATION_LABELS else "–"


def _label(labels: dict[str, str], value: str) -> str:
    return _(labels[value]) if value in labels else value


def _list_params(request: Request) -> ListParams:
    params = ListParams.from_request(request, default_sort="time")
    if params.get("show") not in registry_list.SHOW_FILTERS:
        params.query.pop("show", None)
    if params.get("mode") != "clients":  # the "assign clients" mode: ticks and a client picker on every row
        params.query.pop("mode", None)
    return params


def _editable(registry: registries.Registry, user: User) -> bool:
    return registry.status == registries.DRAFT and registry.operator_id == user.id


def _base(registry: registries.Registry, user: User, params: ListParams) -> dict[str, Any]:
    """What the records block and the row partials share: labels, links that keep the list's query string."""
    path = f"/registries/{registry.id}"
    keep = {"edit": None, "format": None}
    editable = _editable(registry, user)
    return {
        "registry": registry,
        "path": path,
        "params": params,
        "editable": editable,
        "assigning": editable and params.get("mode") == "clients",
        "user_obj": user,
        "warning_text": lambda code: _(WARNINGS.get(code) or str(code)),
        "status_label": registries.status_label,
        "category_label": lambda v: _label(CATEGORY_LABELS, v),
        "notification_label": _notification_label,
        "blank_label": lambda v: _label(BLANK_LABELS, v),
        "amount_labels": {name: _(label) for name, label in AMOUNT_LABELS.items()},
        "row_url": lambda r, action="": params.url(f"{path}/records/{r.id}{action}", **keep),
        "edit_link": lambda r: params.url(path, edit=r.id, format=None),
    }


async def page_context(
    db_session: AsyncSession, user: User, registry: registries.Registry, params: ListParams
) -> dict[str, Any]:
    """One page of the registry's rows (read-only; the row being edited, ``?edit=<id>``, with its controls) and
    the totals of the whole registry: three statements whatever the registry's size."""
    stmt = registry_list.records_query(registry.id, params.get("q"), params.get("show"))
    page = await fetch_page(db_session, stmt, params, registry_list.RECORD_SORTS, RegistryRecord.id)
    context = _base(registry, user, params)
    editing = parse_int(params.get("edit"), 1, 2**62) if context["editable"] and not context["assigning"] else None
    if editing is not None and not any(r.id == editing for r in page.rows):
        editing = None
    context.update(
        page=page,
        totals=await registry_list.totals_of(db_session, registry.id),
        editing=editing,
        **(await _choices(db_session, countries=editing is not None) if editing or context["assigning"] else {}),
    )
    return context


async def _choices(db_session: AsyncSession, *, countries: bool = True) -> dict[str, Any]:
    """The clients of the pickers (every row's, the ticked rows'), and the countries of the row being edited."""
    choices: dict[str, Any] = {"clients": await registries.clients(db_session)}
    if countries:
        choices["countries"] = await tariffs.countries(db_session)
    return choices


async def _visible(db_session: AsyncSession, user: User, registry_id: int) -> registries.Registry:
    registry = await registries.get_visible(db_session, user, registry_id)
    if registry is None:
        raise NotFoundException()
    return registry


@get("/registries/{registry_id:int}", opt=SEE, include_in_schema=False)
async def registry_page(request: Request, registry_id: FromPath[int], db_session: NamedDependency[AsyncSession]) -> Any:
    user: User = current_user(request)
    registry = await _visible(db_session, user, registry_id)
    params = _list_params(request)
    fmt = params.get("format")
    if fmt in {"csv", "xlsx"}:  # every row of the filter, whatever the page
        stmt = registry_list.records_query(registry.id, params.get("q"), params.get("show"))
        ordered = apply_sort(stmt, params.sort, registry_list.RECORD_SORTS, RegistryRecord.id)
        name = f"registry-{registry.day.isoformat()}-{registry.office}"
        return await export_stream(request, ordered, registry_list.EXPORT, name, fmt)
    context = await page_context(db_session, user, registry, params)
    return render(request, "tariffs/registry.html", context, block="records")


async def _row_partial(
    request: Request,
    db_session: AsyncSession,
    user: User,
    registry: registries.Registry,
    record_id: int,
    *,
    editing: bool,
    totals: bool = False,
    typed: dict[str, str] | None = None,
    error: str = "",
    status: int = 200,
    opening: bool = False,
    pick_error: str = "",
) -> Any:
    """One row, read-only or with its controls, and (after a change) the registry's totals out of band."""
    await db_session.flush()
    try:
        row = await registries.get_record(db_session, registry, record_id)
    except LookupError:
        raise NotFoundException() from None
    params = _list_params(request)
    context = _base(registry, user, params)
    editing = editing and context["editable"]
    context.update(
        row=row,
        editing=row.id if editing else None,
        typed=typed or {},
        row_error=error,
        pick_error=pick_error,
        opening=opening,
        refocus=not editing and not pick_error,
        totals=await registry_list.totals_of(db_session, registry.id) if totals else None,
        **(await _choices(db_session) if editing else {}),  # (a picked row's datalist is the page's)
    )
    return render(request, "tariffs/registry_row.html", context, status_code=status)


@get("/registries/{registry_id:int}/records/{record_id:int}", opt=SEE, include_in_schema=False)
async def row_view(
    request: Request, registry_id: FromPath[int], record_id: FromPath[int], db_session: NamedDependency[AsyncSession]
) -> Any:
    user: User = current_user(request)
    registry = await _visible(db_session, user, registry_id)
    if not is_htmx(request):
        return Redirect(_list_params(request).url(f"/registries/{registry_id}"), status_code=303)
    return await _row_partial(request, db_session, user, registry, record_id, editing=False)


@get("/registries/{registry_id:int}/records/{record_id:int}/edit", opt=SEE, include_in_schema=False)
async def row_edit(
    request: Request, registry_id: FromPath[int], record_id: FromPath[int], db_session: NamedDependency[AsyncSession]
) -> Any:
    """The row's controls (country, kinds, client, manual amounts) swapped in place of the read-only row."""
    user: User = current_user(request)
    registry = await _visible(db_session, user, registry_id)
    if not is_htmx(request):
        return Redirect(_list_params(request).url(f"/registries/{registry_id}", edit=record_id), status_code=303)
    return await _row_partial(request, db_session, user, registry, record_id, editing=True, opening=True)


async def _records_block(
    request: Request,
    db_session: AsyncSession,
    user: User,
    registry_id: int,
    status: int = 200,
    extra: dict[str, Any] | None = None,
) -> Any:
    await db_session.flush()
    registry = await _visible(db_session, user, registry_id)
    context = await page_context(db_session, user, registry, _list_params(request))
    context.update(extra or {})
    return render(request, "tariffs/registry.html", context, block="records", status_code=status)


async def _row_action(
    request: Request,
    db_session: AsyncSession,
    registry_id: int,
    record_id: int,
    action: Any,
    typed: dict[str, str] | None = None,
    *,
    row_answer: bool = True,
) -> Any:
    """Run a row change and answer what asked for it: the row itself (htmx targeting ``#rec-<id>``: the row with
    its controls and the totals), the records block (htmx targeting ``#records``), or a redirect (no htmx)."""
    user: User = current_user(request)
    params = _list_params(request)
    back = params.url(f"/registries/{registry_id}", edit=record_id if row_answer else None, format=None)
    row_target = row_answer and is_htmx(request) and request.headers.get("hx-target") == f"rec-{record_id}"
    try:
        await action(user)
    except LookupError:
        raise NotFoundException() from None
    except registries.RegistryError as exc:
        if row_target:
            registry = await _visible(db_session, user, registry_id)
            return await _row_partial(
                request, db_session, user, registry, record_id, editing=True, typed=typed, error=_(str(exc)), status=422
            )
        toast(request, _(str(exc)), "error")
        if not is_htmx(request):
            return Redirect(back, status_code=303)
        return await _records_block(request, db_session, user, registry_id, status=422)
    if row_target:
        registry = await _visible(db_session, user, registry_id)
        return await _row_partial(request, db_session, user, registry, record_id, editing=True, totals=True)
    if not is_htmx(request):
        return Redirect(back, status_code=303)
    return await _records_block(request, db_session, user, registry_id)


@post("/registries/{registry_id:int}/records/{record_id:int}", opt=OPERATE, include_in_schema=False)
async def row_update(
    request: Request,
    registry_id: FromPath[int],
    record_id: FromPath[int],
    db_session: NamedDependency[AsyncSession],
) -> Any:
    form = {k: str(v) for k, v in (await request.form()).items() if k != "_csrf_token"}
    changed = request.headers.get("hx-trigger-name") or form.get("changed", "")
    return await _row_action(
        request,
        db_session,
        registry_id,
        record_id,
        lambda user: registries.update_row(db_session, user, registry_id, record_id, form, changed),
        typed=form,
    )


@post("/registries/{registry_id:int}/records/{record_id:int}/reset", opt=OPERATE, include_in_schema=False)
async def row_reset(
    request: Request,
    registry_id: FromPath[int],
    record_id: FromPath[int],
    db_session: NamedDependency[AsyncSession],
) -> Any:
    return await _row_action(
        request,
        db_session,
        registry_id,
        record_id,
        lambda user: registries.reset_row(db_session, user, registry_id, record_id),
    )


@post("/registries/{registry_id:int}/records/{record_id:int}/delete", opt=OPERATE, include_in_schema=False)
async def row_delete(
    request: Request,
    registry_id: FromPath[int],
    record_id: FromPath[int],
    db_session: NamedDependency[AsyncSession],
) -> Any:
    """Remove a row at once; the htmx answer carries a toast with an Undo that puts the row back exactly."""
    user: User = current_user(request)
    try:
        removed = await registries.remove_row(db_session, user, registry_id, record_id)
    except LookupError:
        raise NotFoundException() from None
    except registries.RegistryError as exc:
        toast(request, _(str(exc)), "error")
        if not is_htmx(request):
            return Redirect(_list_params(request).url(f"/registries/{registry_id}"), status_code=303)
        return await _records_block(request, db_session, user, registry_id, status=422)
    message = _("Telegram %(name)s removed from the registry.", name=removed.un_name)
    if not is_htmx(request):
        toast(request, message)
        return Redirect(_list_params(request).url(f"/registries/{registry_id}", edit=None), status_code=303)
    return await _records_block(
        request, db_session, user, registry_id, extra={"undo": {"token": removed.undo, "message": message}}
    )


@post("/registries/{registry_id:int}/records/restore", opt=OPERATE, include_in_schema=False)
async def row_restore(request: Request, registry_id: FromPath[int], db_session: NamedDependency[AsyncSession]) -> Any:
    """The Undo of a removal: the row back as it was (one request; a second Undo says it is back already)."""
    user: User = current_user(request)
    form = await request.form()
    try:
        restored = await registries.restore_row(db_session, user, registry_id, str(form.get("undo") or ""))
    except LookupError:
        raise NotFoundException() from None
    except registries.RegistryError as exc:
        toast(request, _(str(exc)), "error")
        if not is_htmx(request):
            return Redirect(_list_params(request).url(f"/registries/{registry_id}"), status_code=303)
        return await _records_block(
            request, db_session, user, registry_id, status=422, extra={"notice": (_(str(exc)), "error")}
        )
    message = _("Telegram %(name)s is back in the registry.", name=restored.telegram.un_name)
    if not is_htmx(request):
        toast(request, message)
        return Redirect(_list_params(request).url(f"/registries/{registry_id}"), status_code=303)
    return await _records_block(request, db_session, user, registry_id, extra={"notice": (message, "success")})


def _picked(form: Any) -> str:
    """The client a picker sent: the typed or chosen "code name" (or a client's id from a plain select)."""
    return str(form.get("client") or form.get("client_code") or "").strip()


@post("/registries/{registry_id:int}/records/{record_id:int}/client", opt=OPERATE, include_in_schema=False)
async def row_client(
    request: Request,
    registry_id: FromPath[int],
    record_id: FromPath[int],
    db_session: NamedDependency[AsyncSession],
) -> Any:
    """The client picker of a read-only row: the row answers with its client (priced again) and the totals."""
    user: User = current_user(request)
    typed = _picked(await request.form())
    try:
        await registries.assign_client(db_session, user, registry_id, [record_id], typed)
    except LookupError:
        raise NotFoundException() from None
    except registries.RegistryError as exc:
        if not is_htmx(request):
            toast(request, _(str(exc)), "error")
            return Redirect(_list_params(request).url(f"/registries/{registry_id}"), status_code=303)
        registry = await _visible(db_session, user, registry_id)
        return await _row_partial(
            request,
            db_session,
            user,
            registry,
            record_id,
            editing=False,
            typed={"client": typed},
            pick_error=_(str(exc)),
            status=422,
        )
    if not is_htmx(request):
        return Redirect(_list_params(request).url(f"/registries/{registry_id}"), status_code=303)
    registry = await _visible(db_session, user, registry_id)
    return await _row_partial(request, db_session, user, registry, record_id, editing=False, totals=True)


@post("/registries/{registry_id:int}/assign", opt=OPERATE, include_in_schema=False)
async def assign(request: Request, registry_id: FromPath[int], db_session: NamedDependency[AsyncSession]) -> Any:
    """One client for every ticked row, in one transaction; a bad client or a row not of this draft changes
    nothing and is answered 422 with the reason next to the picker, the ticks and the typed client kept."""
    user: User = current_user(request)
    form = await request.form()
    ids = [n for v in form.getall("record", []) if (n := parse_int(str(v), 1, 2**62)) is not None]
    raw_ids = [str(v) for v in form.getall("record", [])]
    typed = _picked(form)
    try:
        if len(ids) != len(raw_ids):
            raise registries.RegistryError(
                N_("Some of the ticked telegrams are not in this registry any more; reload the page.")
            )
        client, _changed = await registries.assign_client(db_session, user, registry_id, ids, typed)
    except LookupError:
        raise NotFoundException() from None
    except registries.RegistryError as exc:
        registry = await _visible(db_session, user, registry_id)
        context = await page_context(db_session, user, registry, _list_params(request))
        context.update(bulk_error=_(str(exc)), bulk_client=typed, ticked={str(i) for i in ids})
        if not context["assigning"]:  # no picker to show the reason next to (a formed registry): a toast says it
            context.update(notice=(_(str(exc)), "error"))
        return render(request, "tariffs/registry.html", context, block="records", status_code=422)
    message = _(
        "%(client)s is the client of %(n)s ticked telegrams.", client=f"{client.code} {client.short_name}", n=len(ids)
    )
    if not is_htmx(request):
        toast(request, message)
        return Redirect(_list_params(request).url(f"/registries/{registry_id}"), status_code=303)
    return await _records_block(request, db_session, user, registry_id, extra={"notice": (message, "success")})


@post("/registries/{registry_id:int}/reprice", opt=OPERATE, include_in_schema=False)
async def reprice(request: Request, registry_id: FromPath[int], db_session: NamedDependency[AsyncSession]) -> Any:
    user: User = current_user(request)
    try:
        await registries.reprice_all(db_session, user, registry_id)
    except LookupError:
        raise NotFoundException() from None
    except registries.RegistryError as exc:
        toast(request, _(str(exc)), "error")
        if not is_htmx(request):
            return Redirect(f"/registries/{registry_id}", status_code=303)
        return await _records_block(request, db_session, user, registry_id, status=422)
    if not is_htmx(request):
        return Redirect(_list_params(request).url(f"/registries/{registry_id}"), status_code=303)
    return await _records_block(request, db_session, user, registry_id)


async def _transition(request: Request, db_session: AsyncSession, registry_id: int, action: Any, done: str) -> Any:
    user: User = current_user(request)
    try:
        await action(user)
    except LookupError:
        raise NotFoundException() from None
    except registries.RegistryError as exc:
        toast(request, _(str(exc)), "error")
        return Redirect(f"/registries/{registry_id}", status_code=303)
    toast(request, done)
    return Redirect(f"/registries/{registry_id}", status_code=303)


def _acknowledged(form: Any) -> list[int]:
    """The flagged rows a person confirmed on the confirmation page (``acknowledge`` = record ids)."""
    return [n for v in form.getall("acknowledge", []) if (n := parse_int(str(v), 1, 2**62)) is not None]


async def _ask(
    request: Request,
    db_session: AsyncSession,
    registry_id: int,
    rows: list[RegistryRecord],
    *,
    action: str,
    signature: str = "",
) -> Any:
    """The confirmation step: the rows with tariff warnings or errors, named, and a button that goes ahead."""
    user: User = current_user(request)
    registry = await registries.get_visible(db_session, user, registry_id)
    if registry is None:
        raise NotFoundException()
    context = _base(registry, user, _list_params(request))
    context.update(rows=rows, action=action, signature=signature)
    return render(request, "tariffs/registry_confirm.html", context)


@post("/registries/{registry_id:int}/confirm", opt=OPERATE, include_in_schema=False)
async def confirm(request: Request, registry_id: FromPath[int], db_session: NamedDependency[AsyncSession]) -> Any:
    form = await request.form()
    signature = form.get("signature") or ""
    user: User = current_user(request)
    try:
        await registries.confirm(db_session, user, registry_id, signature, _acknowledged(form))
    except LookupError:
        raise NotFoundException() from None
    except registries.NeedsAcknowledgement as exc:
        return await _ask(request, db_session, registry_id, exc.rows, action="confirm", signature=signature)
    except registries.RegistryError as exc:
        # The reason next to the signature field, with what was typed kept (nothing was changed before it).
        registry = await registries.get_visible(db_session, user, registry_id)
        if registry is None:
            raise NotFoundException() from None
        context = await page_context(db_session, user, registry, _list_params(request))
        context.update(signature=signature, confirm_error=_(str(exc)))
        return render(request, "tariffs/registry.html", context, status_code=422)
    toast(request, _("The registry is formed and can be billed."))
    return Redirect(f"/registries/{registry_id}", status_code=303)


@post("/registries/{registry_id:int}/reopen", opt=OPERATE, include_in_schema=False)
async def reopen(request: Request, registry_id: FromPath[int], db_session: NamedDependency[AsyncSession]) -> Any:
    return await _transition(
        request,
        db_session,
        registry_id,
        lambda user: registries.reopen(db_session, user, registry_id),
        _("The registry is a draft again."),
    )


@post("/registries/{registry_id:int}/close", opt={"permission": "billing.manage"}, include_in_schema=False)
async def close(request: Request, registry_id: FromPath[int], db_session: NamedDependency[AsyncSession]) -> Any:
    acknowledged = _acknowledged(await request.form())
    try:
        await registries.close(db_session, current_user(request), registry_id, acknowledged)
    except LookupError:
        raise NotFoundException() from None
    except registries.NeedsAcknowledgement as exc:
        return await _ask(request, db_session, registry_id, exc.rows, action="close")
    except registries.RegistryError as exc:
        toast(request, _(str(exc)), "error")
        return Redirect(f"/registries/{registry_id}", status_code=303)
    toast(request, _("The registry is billed (closed)."))
    return Redirect(f"/registries/{registry_id}", status_code=303)


@post(
    "/registries/{registry_id:int}/cancel-billing",
    opt={"permission": "billing.manage"},
    include_in_schema=False,
)
async def cancel_billing(
    request: Request, registry_id: FromPath[int], db_session: NamedDependency[AsyncSession]
) -> Any:
    return await _transition(
        request,
        db_session,
        registry_id,
        lambda user: registries.cancel_billing(db_session, user, registry_id),
        _("Billing cancelled; the registry is formed again."),
    )


ROUTES: list[Any] = [
    day_page,
    day_add,
    registry_page,
    row_view,
    row_edit,
    row_update,
    row_reset,
    row_delete,
    row_restore,
    row_client,
    assign,
    reprice,
    confirm,
    reopen,
    close,
    cancel_billing,
]
