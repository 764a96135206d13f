"""The mailbox settings screen (admins): where the ERP's mail arrives, who may send, the folders; "check now" and
the state of the last check. The password is stored sealed and never shown back."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts.services import record
from crm.features.sales.mailbox import ENVIRONMENT, SECRETS, from_environment, senders, settings_row
from crm.lib.auth import current_user
from crm.lib.i18n import gettext as _
from crm.lib.web import FormErrors, parse_int, render, toast

ADMIN = {"permission": "integrations.manage"}
TEXT_FIELDS = ("host", "username", "folder", "allowed_senders", "processed_folder", "failed_folder")


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
async def mailbox_page(request: Request, db_session: NamedDependency[AsyncSession]) -> Any:
    row = await settings_row(db_session)
    await db_session.commit()
    return await _page(request, row, _form_of(row), FormErrors())


@post("/imports/mailbox", opt=ADMIN, include_in_schema=False)
async def mailbox_save(request: Request, db_session: NamedDependency[AsyncSession]) -> Any:
    data = await request.form()
    form: dict[str, Any] = {name: str(data.get(name) or "").strip() for name in TEXT_FIELDS}
    form["port"] = str(data.get("port") or "").strip()
    for flag in ("tls", "verify_certificate", "enabled"):
        form[flag] = data.get(flag) == "true"
    password = str(data.get("password") or "")
    errors = FormErrors()
    port = parse_int(form["port"], 1, 65535) if form["port"] else (993 if form["tls"] else 143)
    if port is None:
        errors.add("port", _("A port number from 1 to 65535."))
    if form["enabled"] and not form["host"]:
        errors.add("host", _("The mail server is needed to check the mailbox."))
    if form["enabled"] and not senders(form["allowed_senders"]):
        errors.add("allowed_senders", _("Name at least one sender whose files are imported."))
    for name in TEXT_FIELDS:
        if len(form[name]) > 1000:
            errors.add(name, _("Too long."))
    row = await settings_row(db_session)
    if errors:
        return await _page(request, row, form, errors, 422)
    changes: dict[str, Any] = {}
    for name in (*TEXT_FIELDS, "tls", "verify_certificate", "enabled"):
        if getattr(row, name) != form[name]:
            changes[name] = [getattr(row, name), form[name]]
            setattr(row, name, form[name])
    if row.port != port:
        changes["port"] = [row.port, port]
        row.port = port or 993
    if password or data.get("password_clear") == "1":
        row.password_sealed = SECRETS.encrypt(password) if password else ""
        changes["password"] = ["•••", "•••"]
    if changes:
        await record(db_session, current_user(request), "sales_mailbox", str(row.id), "update", changes)
    await db_session.commit()
    toast(request, _("The mailbox settings are saved."))
    return Redirect("/imports/mailbox", status_code=303)


@post("/imports/mailbox/check", opt=ADMIN, include_in_schema=False)
async def mailbox_check(request: Request) -> Any:
    await request.app.state.queue.enqueue("sales_mailbox_check", key="sales-mailbox-check-now", timeout=900, retries=0)
    toast(request, _("The mailbox is being checked; reload the page in a minute to see the result."))
    return Redirect("/imports/mailbox", status_code=303)


ROUTES: list[Any] = [mailbox_page, mailbox_save, mailbox_check]
