"""Page actions on one contact: take it from the queue, close it with an outcome, reopen it.

With htmx each answers the contact's row (or nothing, when the row leaves the list) plus a toast and a
``leads-changed`` event that refreshes the list; without htmx, a 303 back to the list (nothing to re-submit on
reload). Refusals answer 4xx with the reason in a toast; a close form with bad input answers 422 with the messages
next to its fields.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.leads import desk, services, work
from crm.features.leads.forms import CloseContactForm, ModeForm
from crm.features.leads.pages import EITHER, OPERATE, desk_context, htmx_events
from crm.lib.auth import current_user
from crm.lib.deps import Db, Me
from crm.lib.i18n import gettext as _
from crm.lib.web import is_htmx, render, toast


def _back(request: Request, fallback: str) -> Redirect:
    back = request.headers.get("referer", "")
    usable = back.startswith(str(request.base_url)) and "/close" not in back  # not the close form's own page
    return Redirect(back if usable else fallback, status_code=303)


async def _mode(request: Request) -> str:
    return ModeForm.parse(await request.form()).list_mode


async def _row(
    request: Request, db_session: AsyncSession, row: Any, mode: str, message: str, status_code: int = 200, **extra: Any
) -> Any:
    scope = await services.desk_scope(db_session, current_user(request))
    context = {**await desk_context(request, db_session, mode), "r": row, "mode": mode,
               "my_operator": scope.operator_id, **extra}  # fmt: skip
    response = render(request, "leads/_contact_row.html", context, status_code=status_code)
    if message:
        response.headers.update(htmx_events(toast=message, **{"leads-changed": True}))
    return response


def _refused(request: Request, exc: work.WorkError, fallback: str) -> Any:
    message = exc.text(localized=True)
    if not is_htmx(request):
        toast(request, message, "error")
        return _back(request, fallback)
    event = {"toast": {"value": message, "category": "error"}, "leads-changed": True}
    return Response(content="", status_code=exc.status, headers=htmx_events(**event))


@get("/leads/contacts/{contact_id:int}/close", opt=EITHER, include_in_schema=False)
async def close_form(request: Request, me: Me, contact_id: FromPath[int], db_session: Db) -> Any:
    """The close form of a row, loaded into it on demand (or on a page of its own without JavaScript)."""
    scope = await services.desk_scope(db_session, me)
    row = await services.contact_row(db_session, contact_id, scope)
    if row is None:
        raise NotFoundException()
    mode = ModeForm.parse(request.query_params).list_mode
    if is_htmx(request) and (request.query_params.get("cancel") or row[0].status != "open"):
        return Response(content="", status_code=200)
    context = {**await desk_context(request, db_session, mode), "r": row, "mode": mode,
               "my_operator": scope.operator_id, "close_for": contact_id}  # fmt: skip
    if is_htmx(request):
        return render(request, "leads/_close_form.html", context)
    return render(request, "leads/close.html", {**context, "mode": "lead"})


@post("/leads/contacts/{contact_id:int}/close", opt=EITHER, include_in_schema=False)
async def close_contact(request: Request, me: Me, contact_id: FromPath[int], db_session: Db) -> Any:
    """The row's close form: an outcome from the list and an optional comment; the worker gives the place out."""
    form = CloseContactForm.parse(await request.form())
    mode = form.list_mode
    scope = await services.desk_scope(db_session, me)
    errors = {name: message for name, message in form.errors.items() if name != "mode"}
    if errors:
        row = await services.contact_row(db_session, contact_id, scope)
        if row is None:
            raise NotFoundException()
        typed = {"outcome": form.raw("outcome"), "comment": form.raw("comment")[:4000]}
        if not is_htmx(request):
            toast(request, " ".join(errors.values()), "error")
            context = {**await desk_context(request, db_session, mode), "r": row, "mode": "lead",
                       "my_operator": scope.operator_id, "close_for": contact_id, "close_errors": errors,
                       "typed": typed}  # fmt: skip
            return render(request, "leads/close.html", context, status_code=422)
        return await _row(request, db_session, row, mode, "", 422, close_for=contact_id, close_errors=errors,
                          typed=typed)  # fmt: skip
    try:
        row, changed = await work.close_contact(db_session, contact_id, scope, me, form.outcome, form.comment)
    except LookupError:
        raise NotFoundException() from None
    await db_session.commit()
    if changed and row[0].operator_id is not None:
        await desk.enqueue_give_out(getattr(request.app.state, "queue", None), row[0].operator_id)
    message = (
        _("Contact closed: %(outcome)s.", outcome=work.outcome_label(row[0].outcome))
        if changed
        else _("The contact was already closed.")
    )
    if not is_htmx(request):
        toast(request, message)
        return _back(request, "/leads/my")
    return await _row(request, db_session, row, mode, message)


@post("/leads/contacts/{contact_id:int}/take", opt=OPERATE, include_in_schema=False)
async def take_contact(request: Request, me: Me, contact_id: FromPath[int], db_session: Db) -> Any:
    """One click in the queue: the contact becomes the operator's (within their max load); the row leaves the queue."""
    operator_id = await desk.operator_id_of(db_session, me.id)
    if operator_id is None:
        raise PermissionDeniedException(detail=_("You are not on the lead desk yet."))
    try:
        row = await work.take_contact(db_session, contact_id, operator_id, me)
    except LookupError:
        raise NotFoundException() from None
    except work.WorkError as exc:
        await db_session.rollback()
        return _refused(request, exc, "/leads/queue")
    await db_session.commit()
    message = _("%(lead)s is yours now: see My contacts.", lead=row.lead_name or row.lead_phone or row.lead_email
                or row.lead_external_id)  # fmt: skip
    if not is_htmx(request):
        toast(request, message)
        return Redirect("/leads/queue", status_code=303)
    return Response(content="", status_code=200, headers=htmx_events(toast=message, **{"leads-changed": True}))


@post("/leads/contacts/{contact_id:int}/reopen", opt=EITHER, include_in_schema=False)
async def reopen_contact(request: Request, me: Me, contact_id: FromPath[int], db_session: Db) -> Any:
    """A contact closed by mistake opens again and counts in its operator's load (a waiting one goes back to the
    queue)."""
    mode = await _mode(request)
    scope = await services.desk_scope(db_session, me)
    try:
        row, changed = await work.reopen_contact(db_session, contact_id, scope, me)
    except LookupError:
        raise NotFoundException() from None
    except work.WorkError as exc:
        await db_session.rollback()
        return _refused(request, exc, "/leads/my")
    await db_session.commit()
    if changed and row[0].operator_id is None:
        await desk.enqueue_give_out(getattr(request.app.state, "queue", None))
    message = _("Contact reopened.") if changed else _("The contact is open already.")
    if not is_htmx(request):
        toast(request, message)
        return _back(request, "/leads/my")
    return await _row(request, db_session, row, mode, message)


ROUTES: list[Any] = [close_form, close_contact, take_contact, reopen_contact]
