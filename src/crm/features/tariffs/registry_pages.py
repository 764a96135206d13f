"""Registry screens: the office's day, the registry page, and the transitions (rows: ``registry_row_pages``)."""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts.models import User
from crm.features.tariffs import registries, registry_day, registry_list
from crm.features.tariffs.forms import AcknowledgeForm, ConfirmForm, DayAddForm
from crm.features.tariffs.models import RegistryRecord
from crm.features.tariffs.registry_view import OPERATE, SEE, base_context, list_params, page_context, visible_or_404
from crm.lib.auth import current_user
from crm.lib.deps import Db, Me
from crm.lib.exports import export_stream
from crm.lib.i18n import gettext as _
from crm.lib.i18n import local_today
from crm.lib.web import render, toast


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
async def day_page(request: Request, me: Me, db_session: Db) -> Any:
    day, valid = _parse_day(request, request.query_params.get("date"))
    items = await registry_day.office_day(db_session, me, day)
    registry = await registry_day.day_registry(db_session, me, day)
    return render(
        request,
        "tariffs/day.html",
        {"day": day, "items": items, "registry": registry, "office": me.telegraph_prefix},
        status_code=200 if valid else 422,
    )


@post("/registries/day", opt=OPERATE, include_in_schema=False)
async def day_add(request: Request, me: Me, db_session: Db) -> Any:
    form = DayAddForm.parse(await request.form())
    day, valid = _parse_day(request, form.raw("date"))
    if not valid:  # never add the chosen telegrams to some other day's registry
        return Redirect("/registries/day", status_code=303)
    if "telegram" in form.errors:  # not from the day's page (its ticks carry record ids)
        toast(request, form.errors["telegram"], "error")
        return Redirect(f"/registries/day?date={day.isoformat()}", status_code=303)
    try:
        registry, added = await registry_day.add_telegrams(db_session, me, day, form.telegram)
    except registries.RegistryError as exc:
        # Nothing is created (no empty draft); the reason is shown next to the list, the day's list as it was.
        items = await registry_day.office_day(db_session, me, day)
        context = {
            "day": day,
            "items": items,
            "registry": await registry_day.day_registry(db_session, me, day),
            "office": me.telegraph_prefix,
            "add_error": _(str(exc)),
        }
        return render(request, "tariffs/day.html", context, status_code=422)
    toast(
        request,
        _("%(n)s telegrams added to the registry.", n=added) if added else _("No new telegrams were added."),
    )
    return Redirect(f"/registries/{registry.id}", status_code=303)


@get("/registries/{registry_id:int}", opt=SEE, include_in_schema=False)
async def registry_page(request: Request, me: Me, registry_id: FromPath[int], db_session: Db) -> Any:
    registry = await visible_or_404(db_session, me, registry_id)
    params = list_params(request)
    if params.format:  # every row of the filter, whatever the page (a day's registry: streamed at once)
        records = registry_list.records_list(registry.id, params.get("q"), params.get("show"))
        name = f"registry-{registry.day.isoformat()}-{registry.office}"
        return await export_stream(request, records.ordered(params.sort), registry_list.EXPORT, name, params.format)
    context = await page_context(db_session, me, registry, params)
    return render(request, "tariffs/registry.html", context, block="records")


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
    context = base_context(registry, user, list_params(request))
    context.update(rows=rows, action=action, signature=signature)
    return render(request, "tariffs/registry_confirm.html", context)


@post("/registries/{registry_id:int}/confirm", opt=OPERATE, include_in_schema=False)
async def confirm(request: Request, me: Me, registry_id: FromPath[int], db_session: Db) -> Any:
    form = ConfirmForm.parse(await request.form())
    signature = form.raw("signature")
    try:
        await registries.confirm(db_session, me, registry_id, signature, form.acknowledge)
    except LookupError:
        raise NotFoundException() from None
    except registries.NeedsAcknowledgement as exc:
        return await _ask(request, db_session, registry_id, exc.rows, action="confirm", signature=signature)
    except registries.RegistryError as exc:
        # The reason next to the signature field, with what was typed kept (nothing was changed before it).
        registry = await registries.get_visible(db_session, me, registry_id)
        if registry is None:
            raise NotFoundException() from None
        context = await page_context(db_session, me, registry, list_params(request))
        context.update(signature=signature, confirm_error=_(str(exc)))
        return render(request, "tariffs/registry.html", context, status_code=422)
    toast(request, _("The registry is formed and can be billed."))
    return Redirect(f"/registries/{registry_id}", status_code=303)


@post("/registries/{registry_id:int}/reopen", opt=OPERATE, include_in_schema=False)
async def reopen(request: Request, registry_id: FromPath[int], db_session: Db) -> Any:
    return await _transition(
        request,
        db_session,
        registry_id,
        lambda user: registries.reopen(db_session, user, registry_id),
        _("The registry is a draft again."),
    )


@post("/registries/{registry_id:int}/close", opt={"permission": "billing.manage"}, include_in_schema=False)
async def close(request: Request, me: Me, registry_id: FromPath[int], db_session: Db) -> Any:
    acknowledged = AcknowledgeForm.parse(await request.form()).acknowledge
    try:
        await registries.close(db_session, me, registry_id, acknowledged)
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
async def cancel_billing(request: Request, registry_id: FromPath[int], db_session: Db) -> Any:
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
    confirm,
    reopen,
    close,
    cancel_billing,
]
