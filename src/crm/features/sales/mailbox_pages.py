"""The mailbox settings screen (admins): where the ERP's mail arrives, who may send, the folders; "check now" and
the state of the last check. The password is stored sealed and never shown back."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.response import Redirect

from crm.features.sales.forms import MailboxForm
from crm.features.sales.mailbox import ENVIRONMENT, from_environment, save_settings, settings_row
from crm.lib.deps import Db, Me
from crm.lib.i18n import gettext as _
from crm.lib.web import FormErrors, render, toast

ADMIN = {"permission": "integrations.manage"}


def _form_of(row: Any) -> dict[str, Any]:
    return {
        "host": row.host,
        "port": str(row.port),
        "tls": row.tls,
        "verify_certificate": row.verify_certificate,
        "username": row.username,
        "folder": row.folder,
        "allowed_senders": row.allowed_senders,
        "processed_folder": row.processed_folder,
        "failed_folder": row.failed_folder,
        "enabled": row.enabled,
    }


async def _page(request: Request, row: Any, form: dict[str, Any], errors: FormErrors, status: int = 200) -> Any:
    return render(
        request,
        "sales/mailbox.html",
        {
            "row": row,
            "form": form,
            "errors": errors,
            "password_saved": bool(row.password_sealed),
            "environment": sorted(f"CRM_IMAP_{ENVIRONMENT[k]}" for k in from_environment()),
        },
        status_code=status,
    )


@get("/imports/mailbox", opt=ADMIN, include_in_schema=False)
async def mailbox_page(request: Request, db_session: Db) -> Any:
    row = await settings_row(db_session)
    await db_session.commit()
    return await _page(request, row, _form_of(row), FormErrors())


@post("/imports/mailbox", opt=ADMIN, include_in_schema=False)
async def mailbox_save(request: Request, me: Me, db_session: Db) -> Any:
    form = MailboxForm.parse(await request.form())
    if not form.ok:
        return await _page(request, await settings_row(db_session), form.typed(), form.errors, 422)
    await save_settings(db_session, me, form)
    await db_session.commit()
    toast(request, _("The mailbox settings are saved."))
    return Redirect("/imports/mailbox", status_code=303)


@post("/imports/mailbox/check", opt=ADMIN, include_in_schema=False)
async def mailbox_check(request: Request) -> Any:
    await request.app.state.queue.enqueue("sales_mailbox_check", key="sales-mailbox-check-now", timeout=900, retries=0)
    toast(request, _("The mailbox is being checked; reload the page in a minute to see the result."))
    return Redirect("/imports/mailbox", status_code=303)


ROUTES: list[Any] = [mailbox_page, mailbox_save, mailbox_check]
