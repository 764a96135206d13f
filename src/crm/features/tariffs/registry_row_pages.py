"""A registry's rows on screen: one row read-only or with its controls, edit, reset, remove and undo, the
client of one row or of the ticked rows, and repricing the draft."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts.models import User
from crm.features.tariffs import registries, registry_list, registry_rows
from crm.features.tariffs.forms import AssignForm, ClientPickForm, RowEditForm, UndoForm
from crm.features.tariffs.registry_view import (
    OPERATE,
    SEE,
    base_context,
    list_params,
    page_context,
    picker_choices,
    visible_or_404,
)
from crm.lib.auth import current_user
from crm.lib.deps import Db, Me
from crm.lib.i18n import N_
from crm.lib.i18n import gettext as _
from crm.lib.web import is_htmx, render, toast


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
    params = list_params(request)
    context = base_context(registry, user, params)
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
        **(await picker_choices(db_session) if editing else {}),  # (a picked row's datalist is the page's)
    )
    return render(request, "tariffs/registry_row.html", context, status_code=status)


@get("/registries/{registry_id:int}/records/{record_id:int}", opt=SEE, include_in_schema=False)
async def row_view(
    request: Request, me: Me, registry_id: FromPath[int], record_id: FromPath[int], db_session: Db
) -> Any:
    registry = await visible_or_404(db_session, me, registry_id)
    if not is_htmx(request):
        return Redirect(list_params(request).url(f"/registries/{registry_id}"), status_code=303)
    return await _row_partial(request, db_session, me, registry, record_id, editing=False)


@get("/registries/{registry_id:int}/records/{record_id:int}/edit", opt=SEE, include_in_schema=False)
async def row_edit(
    request: Request, me: Me, registry_id: FromPath[int], record_id: FromPath[int], db_session: Db
) -> Any:
    """The row's controls (country, kinds, client, manual amounts) swapped in place of the read-only row."""
    registry = await visible_or_404(db_session, me, registry_id)
    if not is_htmx(request):
        return Redirect(list_params(request).url(f"/registries/{registry_id}", edit=record_id), status_code=303)
    return await _row_partial(request, db_session, me, registry, record_id, editing=True, opening=True)


async def _records_block(
    request: Request,
    db_session: AsyncSession,
    user: User,
    registry_id: int,
    status: int = 200,
    extra: dict[str, Any] | None = None,
) -> Any:
    await db_session.flush()
    registry = await visible_or_404(db_session, user, registry_id)
    context = await page_context(db_session, user, registry, list_params(request))
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
    params = list_params(request)
    back = params.url(f"/registries/{registry_id}", edit=record_id if row_answer else None, format=None)
    row_target = row_answer and is_htmx(request) and request.headers.get("hx-target") == f"rec-{record_id}"
    try:
        await action(user)
    except LookupError:
        raise NotFoundException() from None
    except registries.RegistryError as exc:
        if row_target:
            registry = await visible_or_404(db_session, user, registry_id)
            return await _row_partial(
                request, db_session, user, registry, record_id, editing=True, typed=typed, error=_(str(exc)), status=422
            )
        toast(request, _(str(exc)), "error")
        if not is_htmx(request):
            return Redirect(back, status_code=303)
        return await _records_block(request, db_session, user, registry_id, status=422)
    if row_target:
        registry = await visible_or_404(db_session, user, registry_id)
        return await _row_partial(request, db_session, user, registry, record_id, editing=True, totals=True)
    if not is_htmx(request):
        return Redirect(back, status_code=303)
    return await _records_block(request, db_session, user, registry_id)


@post("/registries/{registry_id:int}/records/{record_id:int}", opt=OPERATE, include_in_schema=False)
async def row_update(
    request: Request,
    registry_id: FromPath[int],
    record_id: FromPath[int],
    db_session: Db,
) -> Any:
    form = RowEditForm.parse(await request.form())
    changed = request.headers.get("hx-trigger-name") or form.changed

    async def update(user: User) -> None:
        if not form.ok:  # a select no screen sends wrong: the row's message, nothing changed
            raise registries.RegistryError(form.message)
        await registry_rows.update_row(db_session, user, registry_id, record_id, form.edits(), changed)

    return await _row_action(request, db_session, registry_id, record_id, update, typed=form.edits())


@post("/registries/{registry_id:int}/records/{record_id:int}/reset", opt=OPERATE, include_in_schema=False)
async def row_reset(
    request: Request,
    registry_id: FromPath[int],
    record_id: FromPath[int],
    db_session: Db,
) -> Any:
    return await _row_action(
        request,
        db_session,
        registry_id,
        record_id,
        lambda user: registry_rows.reset_row(db_session, user, registry_id, record_id),
    )


@post("/registries/{registry_id:int}/records/{record_id:int}/delete", opt=OPERATE, include_in_schema=False)
async def row_delete(
    request: Request,
    me: Me,
    registry_id: FromPath[int],
    record_id: FromPath[int],
    db_session: Db,
) -> Any:
    """Remove a row at once; the htmx answer carries a toast with an Undo that puts the row back exactly."""
    try:
        removed = await registry_rows.remove_row(db_session, me, registry_id, record_id)
    except LookupError:
        raise NotFoundException() from None
    except registries.RegistryError as exc:
        toast(request, _(str(exc)), "error")
        if not is_htmx(request):
            return Redirect(list_params(request).url(f"/registries/{registry_id}"), status_code=303)
        return await _records_block(request, db_session, me, registry_id, status=422)
    message = _("Telegram %(name)s removed from the registry.", name=removed.un_name)
    if not is_htmx(request):
        toast(request, message)
        return Redirect(list_params(request).url(f"/registries/{registry_id}", edit=None), status_code=303)
    return await _records_block(
        request, db_session, me, registry_id, extra={"undo": {"token": removed.undo, "message": message}}
    )


@post("/registries/{registry_id:int}/records/restore", opt=OPERATE, include_in_schema=False)
async def row_restore(request: Request, me: Me, registry_id: FromPath[int], db_session: Db) -> Any:
    """The Undo of a removal: the row back as it was (one request; a second Undo says it is back already)."""
    form = UndoForm.parse(await request.form())
    try:
        restored = await registry_rows.restore_row(db_session, me, registry_id, form.raw("undo"))
    except LookupError:
        raise NotFoundException() from None
    except registries.RegistryError as exc:
        toast(request, _(str(exc)), "error")
        if not is_htmx(request):
            return Redirect(list_params(request).url(f"/registries/{registry_id}"), status_code=303)
        return await _records_block(
            request, db_session, me, registry_id, status=422, extra={"notice": (_(str(exc)), "error")}
        )
    message = _("Telegram %(name)s is back in the registry.", name=restored.telegram.un_name)
    if not is_htmx(request):
        toast(request, message)
        return Redirect(list_params(request).url(f"/registries/{registry_id}"), status_code=303)
    return await _records_block(request, db_session, me, registry_id, extra={"notice": (message, "success")})


@post("/registries/{registry_id:int}/records/{record_id:int}/client", opt=OPERATE, include_in_schema=False)
async def row_client(
    request: Request,
    me: Me,
    registry_id: FromPath[int],
    record_id: FromPath[int],
    db_session: Db,
) -> Any:
    """The client picker of a read-only row: the row answers with its client (priced again) and the totals."""
    typed = ClientPickForm.parse(await request.form()).picked
    try:
        await registry_rows.assign_client(db_session, me, registry_id, [record_id], typed)
    except LookupError:
        raise NotFoundException() from None
    except registries.RegistryError as exc:
        if not is_htmx(request):
            toast(request, _(str(exc)), "error")
            return Redirect(list_params(request).url(f"/registries/{registry_id}"), status_code=303)
        registry = await visible_or_404(db_session, me, registry_id)
        return await _row_partial(
            request,
            db_session,
            me,
            registry,
            record_id,
            editing=False,
            typed={"client": typed},
            pick_error=_(str(exc)),
            status=422,
        )
    if not is_htmx(request):
        return Redirect(list_params(request).url(f"/registries/{registry_id}"), status_code=303)
    registry = await visible_or_404(db_session, me, registry_id)
    return await _row_partial(request, db_session, me, registry, record_id, editing=False, totals=True)


@post("/registries/{registry_id:int}/assign", opt=OPERATE, include_in_schema=False)
async def assign(request: Request, me: Me, registry_id: FromPath[int], db_session: Db) -> Any:
    """One client for every ticked row, in one transaction; a bad client or a row not of this draft changes
    nothing and is answered 422 with the reason next to the picker, the ticks and the typed client kept."""
    form = AssignForm.parse(await request.form())
    ids, typed = form.record, form.picked
    try:
        if "record" in form.errors:
            raise registries.RegistryError(
                N_("Some of the ticked telegrams are not in this registry any more; reload the page.")
            )
        client, _changed = await registry_rows.assign_client(db_session, me, registry_id, ids, typed)
    except LookupError:
        raise NotFoundException() from None
    except registries.RegistryError as exc:
        registry = await visible_or_404(db_session, me, registry_id)
        context = await page_context(db_session, me, registry, list_params(request))
        context.update(bulk_error=_(str(exc)), bulk_client=typed, ticked=set(form.raw_all("record")))
        if not context["assigning"]:  # no picker to show the reason next to (a formed registry): a toast says it
            context.update(notice=(_(str(exc)), "error"))
        return render(request, "tariffs/registry.html", context, block="records", status_code=422)
    message = _(
        "%(client)s is the client of %(n)s ticked telegrams.", client=f"{client.code} {client.short_name}", n=len(ids)
    )
    if not is_htmx(request):
        toast(request, message)
        return Redirect(list_params(request).url(f"/registries/{registry_id}"), status_code=303)
    return await _records_block(request, db_session, me, registry_id, extra={"notice": (message, "success")})


@post("/registries/{registry_id:int}/reprice", opt=OPERATE, include_in_schema=False)
async def reprice(request: Request, me: Me, registry_id: FromPath[int], db_session: Db) -> Any:
    try:
        await registry_rows.reprice_all(db_session, me, registry_id)
    except LookupError:
        raise NotFoundException() from None
    except registries.RegistryError as exc:
        toast(request, _(str(exc)), "error")
        if not is_htmx(request):
            return Redirect(f"/registries/{registry_id}", status_code=303)
        return await _records_block(request, db_session, me, registry_id, status=422)
    if not is_htmx(request):
        return Redirect(list_params(request).url(f"/registries/{registry_id}"), status_code=303)
    return await _records_block(request, db_session, me, registry_id)


ROUTES: list[Any] = [row_view, row_edit, row_update, row_reset, row_delete, row_restore, row_client, assign, reprice]
