"""Billing screens: registries of a month, the clients' detail of a month, downloads and emailing."""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts.models import User
from crm.features.tariffs import billing, mailing, registries, sheets
from crm.features.tariffs.models import TelegramClient
from crm.lib.auth import current_user
from crm.lib.exports import XLSX_MEDIA
from crm.lib.i18n import gettext as _
from crm.lib.i18n import local_today
from crm.lib.web import render, toast

SEE = {"permission": ("telegrams.register", "billing.manage")}
BILLING = {"permission": "billing.manage"}


def parse_month(raw: str | None) -> date:
    try:
        year, month = (raw or "").split("-")[:2]
        return date(int(year), int(month), 1)
    except ValueError:
        return local_today().replace(day=1)


@get("/billing", opt=SEE, include_in_schema=False)
async def billing_page(request: Request, db_session: NamedDependency[AsyncSession]) -> Any:
    user: User = current_user(request)
    month = parse_month(request.query_params.get("month"))
    rows = (await db_session.execute(registries.month_query(user, month))).all()
    return render(
        request,
        "tariffs/billing.html",
        {
            "month": month,
            "rows": rows,
            "status_label": lambda s: _(registries.STATUS_LABELS[s]),
        },
    )


@get("/billing/detail", opt=BILLING, include_in_schema=False)
async def detail_page(request: Request, db_session: NamedDependency[AsyncSession]) -> Any:
    month = parse_month(request.query_params.get("month"))
    clients = await billing.month_clients(db_session, month)
    return render(request, "tariffs/detail.html", {"month": month, "clients": clients}, block="sendings")


@get("/billing/detail/{client_id:int}", opt=BILLING, include_in_schema=False)
async def client_detail(request: Request, client_id: FromPath[int], db_session: NamedDependency[AsyncSession]) -> Any:
    month = parse_month(request.query_params.get("month"))
    detail = await billing.client_detail(db_session, client_id, month)
    if detail is None:
        raise NotFoundException()
    fmt = request.query_params.get("format")
    if fmt in {"pdf", "xlsx", "csv"}:
        body, media = {
            "pdf": (lambda: sheets.to_pdf(detail), "application/pdf"),
            "xlsx": (lambda: sheets.to_xlsx(detail), XLSX_MEDIA),
            "csv": (lambda: sheets.to_csv(detail), "text/csv; charset=utf-8"),
        }[fmt]
        return Response(
            content=body(),
            media_type=media,
            headers={"Content-Disposition": f'attachment; filename="{sheets.filename(detail, fmt)}"'},
        )
    return render(
        request,
        "tariffs/client_detail.html",
        {
            "detail": detail,
            "lines": sheets.lines(detail),
            "month": month,
            "sendings": await billing.sendings(db_session, client_id, month),
        },
    )


async def _enqueue(request: Request, sending_id: int) -> None:
    await request.app.state.queue.enqueue(
        "tariffs_send_detail",
        sending_id=sending_id,
        key=f"tariffs-detail-{sending_id}",
        timeout=120,
        retries=2,
        retry_delay=10.0,
        retry_backoff=True,
    )


@post("/billing/detail/{client_id:int}/send", opt=BILLING, include_in_schema=False)
async def send(request: Request, client_id: FromPath[int], db_session: NamedDependency[AsyncSession]) -> Any:
    form = await request.form()
    month = parse_month(form.get("month"))
    client = await db_session.get(TelegramClient, client_id)
    if client is None:
        raise NotFoundException()
    back = f"/billing/detail?month={month:%Y-%m}"
    earlier = await billing.sendings(db_session, client_id, month)
    if earlier and form.get("again") != "yes":
        toast(
            request,
            _("The detail was already sent to %(email)s; confirm to send it again.", email=earlier[0].email),
            "warning",
        )
        return Redirect(back, status_code=303)
    sending = await mailing.queue_sending(db_session, client, month, current_user(request))
    if sending is None:
        toast(request, _("The client has no email address."), "error")
        return Redirect(back, status_code=303)
    await db_session.commit()
    await _enqueue(request, sending.id)
    toast(request, _("Sending the detail to %(email)s; the outcome appears in the list.", email=client.email))
    return Redirect(back, status_code=303)


@post("/billing/detail/send-all", opt=BILLING, include_in_schema=False)
async def send_all(request: Request, db_session: NamedDependency[AsyncSession]) -> Any:
    month = parse_month((await request.form()).get("month"))
    queued, skipped = [], 0
    for item in await billing.month_clients(db_session, month):
        # A client already sent this month's sheet (or with one on its way) is not sent it again by "send all".
        if any(s.status != mailing.FAILED for s in await billing.sendings(db_session, item.client.id, month)):
            skipped += 1
            continue
        sending = await mailing.queue_sending(db_session, item.client, month, current_user(request))
        if sending is not None:
            queued.append(sending.id)
    await db_session.commit()
    for sending_id in queued:
        await _enqueue(request, sending_id)
    toast(request, _("%(n)s detail sheets are being sent.", n=len(queued)))
    if skipped:
        toast(request, _("%(n)s clients already had this month's sheet and were skipped.", n=skipped), "warning")
    return Redirect(f"/billing/detail?month={month:%Y-%m}", status_code=303)


ROUTES: list[Any] = [billing_page, detail_page, client_detail, send, send_all]
