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
from crm.features.tariffs import registries, tariffs
from crm.features.tariffs.pricing import WARNINGS
from crm.lib.auth import current_user
from crm.lib.i18n import gettext as _
from crm.lib.i18n import local_today
from crm.lib.web import parse_int, render, toast

OPERATE = {"permission": "telegrams.register"}
SEE = {"permission": ("telegrams.register", "billing.manage")}


def _parse_day(raw: str | None) -> date:
    try:
        return date.fromisoformat(raw or "")
    except ValueError:
        return local_today()


@get("/registries/day", opt=OPERATE, include_in_schema=False)
async def day_page(request: Request, db_session: NamedDependency[AsyncSession]) -> Any:
    user: User = current_user(request)
    day = _parse_day(request.query_params.get("date"))
    items = await registries.office_day(db_session, user, day)
    registry = await registries.day_registry(db_session, user, day)
    return render(
        request,
        "tariffs/day.html",
        {"day": day, "items": items, "registry": registry, "office": user.telegraph_prefix},
    )


@post("/registries/day", opt=OPERATE, include_in_schema=False)
async def day_add(request: Request, db_session: NamedDependency[AsyncSession]) -> Any:
    user: User = current_user(request)
    form = await request.form()
    day = _parse_day(form.get("date"))
    ids = [n for v in form.getall("telegram", []) if (n := parse_int(str(v), 1, 2**62)) is not None]
    try:
        registry, added = await registries.add_telegrams(db_session, user, day, ids)
    except registries.RegistryError as exc:
        toast(request, _(str(exc)), "error")
        return Redirect(f"/registries/day?date={day.isoformat()}", status_code=303)
    toast(
        request,
        _("%(n)s telegrams added to the registry.", n=added) if added else _("No new telegrams were added."),
    )
    return Redirect(f"/registries/{registry.id}", status_code=303)


async def _context(db_session: AsyncSession, user: User, registry: registries.Registry) -> dict[str, Any]:
    rows = await registries.rows_of(db_session, registry)
    editable = registry.status == registries.DRAFT and registry.operator_id == user.id
    return {
        "registry": registry,
        "rows": rows,
        "editable": editable,
        "user_obj": user,
        "clients": await registries.clients(db_session) if editable else [],
        "countries": await tariffs.countries(db_session) if editable else [],
        "warning_text": lambda code: _(WARNINGS.get(code) or str(code)),
        "status_label": lambda s: _(registries.STATUS_LABELS[s]),
        "totals": {name: sum((getattr(r, name) for r in rows), 0) for name in ("total", "vat", "total_with_vat")},
        "unassigned": sum(1 for r in rows if r.client_id is None),
    }


async def _visible(db_session: AsyncSession, user: User, registry_id: int) -> registries.Registry:
    registry = await registries.get_visible(db_session, user, registry_id)
    if registry is None:
        raise NotFoundException()
    return registry


@get("/registries/{registry_id:int}", opt=SEE, include_in_schema=False)
async def registry_page(request: Request, registry_id: FromPath[int], db_session: NamedDependency[AsyncSession]) -> Any:
    user: User = current_user(request)
    registry = await _visible(db_session, user, registry_id)
    return render(request, "tariffs/registry.html", await _context(db_session, user, registry), block="records")


async def _records_block(
    request: Request, db_session: AsyncSession, user: User, registry_id: int, status: int = 200
) -> Any:
    await db_session.flush()
    registry = await _visible(db_session, user, registry_id)
    return render(
        request,
        "tariffs/registry.html",
        await _context(db_session, user, registry),
        block="records",
        status_code=status,
    )


async def _row_action(request: Request, db_session: AsyncSession, registry_id: int, action: Any) -> Any:
    user: User = current_user(request)
    try:
        await action(user)
    except LookupError:
        raise NotFoundException() from None
    except registries.RegistryError as exc:
        toast(request, _(str(exc)), "error")
        if request.headers.get("hx-request") != "true":
            return Redirect(f"/registries/{registry_id}", status_code=303)
        return await _records_block(request, db_session, user, registry_id, status=422)
    if request.headers.get("hx-request") != "true":
        return Redirect(f"/registries/{registry_id}", status_code=303)
    return await _records_block(request, db_session, user, registry_id)


@post("/registries/{registry_id:int}/records/{record_id:int}", opt=OPERATE, include_in_schema=False)
async def row_update(
    request: Request,
    registry_id: FromPath[int],
    record_id: FromPath[int],
    db_session: NamedDependency[AsyncSession],
) -> Any:
    form = dict((await request.form()).items())
    changed = request.headers.get("hx-trigger-name") or form.get("changed", "")
    return await _row_action(
        request,
        db_session,
        registry_id,
        lambda user: registries.update_row(db_session, user, registry_id, record_id, form, changed),
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
        lambda user: registries.reset_row(db_session, user, registry_id, record_id),
    )


@post("/registries/{registry_id:int}/records/{record_id:int}/delete", opt=OPERATE, include_in_schema=False)
async def row_delete(
    request: Request,
    registry_id: FromPath[int],
    record_id: FromPath[int],
    db_session: NamedDependency[AsyncSession],
) -> Any:
    return await _row_action(
        request,
        db_session,
        registry_id,
        lambda user: registries.remove_row(db_session, user, registry_id, record_id),
    )


@post("/registries/{registry_id:int}/reprice", opt=OPERATE, include_in_schema=False)
async def reprice(request: Request, registry_id: FromPath[int], db_session: NamedDependency[AsyncSession]) -> Any:
    return await _row_action(
        request, db_session, registry_id, lambda user: registries.reprice_all(db_session, user, registry_id)
    )


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


@post("/registries/{registry_id:int}/confirm", opt=OPERATE, include_in_schema=False)
async def confirm(request: Request, registry_id: FromPath[int], db_session: NamedDependency[AsyncSession]) -> Any:
    signature = (await request.form()).get("signature") or ""
    user: User = current_user(request)
    try:
        await registries.confirm(db_session, user, registry_id, signature)
    except LookupError:
        raise NotFoundException() from None
    except registries.RegistryError as exc:
        # The reason next to the signature field, with what was typed kept (nothing was changed before it).
        registry = await registries.get_visible(db_session, user, registry_id)
        if registry is None:
            raise NotFoundException() from None
        context = await _context(db_session, user, registry)
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
    return await _transition(
        request,
        db_session,
        registry_id,
        lambda user: registries.close(db_session, user, registry_id),
        _("The registry is billed (closed)."),
    )


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
    row_update,
    row_reset,
    row_delete,
    reprice,
    confirm,
    reopen,
    close,
    cancel_billing,
]
