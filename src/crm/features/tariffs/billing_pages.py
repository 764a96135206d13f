"""Billing screens: registries of a month, the clients' detail of a month, downloads and emailing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import MultiDict
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect
from sqlalchemy import func, select

from crm.features.accounts.models import User
from crm.features.tariffs import billing, mailing, registries, sender, sheets
from crm.features.tariffs.models import Registry, TelegramClient
from crm.lib.deps import Db, Me
from crm.lib.exports import XLSX_MEDIA, ExportColumn, export_response
from crm.lib.forms import Boolean, Choice, Form, Month
from crm.lib.i18n import fmt_month, local_today
from crm.lib.i18n import gettext as _
from crm.lib.lists import ListParams, ListQuery
from crm.lib.web import render, toast

SEE = {"permission": ("telegrams.register", "billing.manage")}
BILLING = {"permission": "billing.manage"}


def parse_month(raw: str | None) -> date:
    """A month typed as YYYY-MM; anything else raises ValueError."""
    year, month = (raw or "").strip().split("-")
    if len(year) != 4 or not year.isdigit() or not month.isdigit():
        raise ValueError(raw)
    return date(int(year), int(month), 1)


def month_of(request: Request) -> tuple[date, str]:
    """The month of the URL (the current one when none is given) and, for a bad one, the reason shown on the page."""
    raw = (request.query_params.get("month") or "").strip()
    if not raw:
        return local_today().replace(day=1), ""
    try:
        return parse_month(raw), ""
    except ValueError:
        current = local_today().replace(day=1)
        return current, _(
            "“%(raw)s” is not a month: enter it as YYYY-MM, e.g. %(example)s. Showing %(month)s.",
            raw=raw[:20],
            example=f"{current:%Y-%m}",
            month=fmt_month(current),
        )


class SendForm(Form):
    """Send a month's detail sheet (one client's, or every client's): the month, where to go back, and the
    confirmation to send a sheet again."""

    month = Month(required=True)
    back = Choice(choices=("client", "list"), default="list")
    again = Boolean()


def _column(index: int) -> Callable[[Any], Any]:
    return lambda row: row[index]


def _operator_name() -> Any:
    return (
        select(func.coalesce(func.nullif(User.name, ""), User.email))
        .where(User.id == Registry.operator_id)
        .scalar_subquery()
    )


def _registry_columns(billed: dict[int, billing.Billed]) -> list[ExportColumn]:
    def who(row: Any) -> str:
        found = billed.get(row[0].id)
        return found.by if found else ""

    return [
        ExportColumn(_("Day"), lambda row: row[0].day),
        ExportColumn(_("Office"), lambda row: row[0].office),
        ExportColumn(_("Operator"), lambda row: row[0].operator.name or row[0].operator.email),
        ExportColumn(_("Status"), lambda row: registries.status_label(row[0].status)),
        ExportColumn(_("Telegrams"), _column(1)),
        ExportColumn(_("Total"), _column(2)),
        ExportColumn(_("With VAT"), _column(3)),
        ExportColumn(_("Warnings"), _column(4)),
        ExportColumn(_("Billed by"), who),
        ExportColumn(_("Billed at"), lambda row: row[0].closed_at),
    ]


@get("/billing", opt=SEE, include_in_schema=False)
async def billing_page(request: Request, me: Me, db_session: Db) -> Any:
    month, problem = month_of(request)
    params = ListParams.from_request(request, default_sort="day")
    stmt = registries.month_query(me, month)
    telegrams, total, total_vat, flagged = list(stmt.selected_columns)[-4:]  # after the registry's own columns
    sorts = {
        "day": Registry.day,
        "office": Registry.office,
        "operator": _operator_name(),
        "status": Registry.status,
        "telegrams": telegrams,
        "total": total,
        "total_vat": total_vat,
        "warnings": flagged,
    }
    # a month's registries, all on one screen with their totals (tens of rows)
    rows = (
        await db_session.execute(ListQuery(stmt.order_by(None), sorts, "day", Registry.id).ordered(params.sort))
    ).all()
    billed = await billing.billed_by(db_session, [row[0] for row in rows])
    fmt = params.get("format")
    if fmt in {"csv", "xlsx"} and not problem:
        return export_response(rows, _registry_columns(billed), f"registries-{month:%Y-%m}", fmt)
    return render(
        request,
        "tariffs/billing.html",
        {
            "month": month,
            "problem": problem,
            # Sort and export links carry the month shown (a bad one in the URL is not repeated).
            "params": ListParams(sort=params.sort, query=MultiDict({"month": f"{month:%Y-%m}", "sort": params.sort})),
            "rows": rows,
            "status_label": registries.status_label,
            "billed": billed,
            "totals": (sum(r[1] for r in rows), sum(r[2] for r in rows), sum(r[3] for r in rows)),
            "gaps": await billing.days_without_registry(db_session, me, month),
        },
        block="list",
        status_code=422 if problem else 200,
    )


@get("/billing/detail", opt=BILLING, include_in_schema=False)
async def detail_page(request: Request, db_session: Db) -> Any:
    month, problem = month_of(request)
    clients = await billing.month_clients(db_session, month)
    return render(
        request,
        "tariffs/detail.html",
        {
            "month": month,
            "clients": clients,
            "problem": problem,
            "mail_ready": await mailing.mail_ready(db_session),
            "reason": mailing.reason,
        },
        block="sendings",
        status_code=422 if problem else 200,
    )


@get("/billing/detail/{client_id:int}", opt=BILLING, include_in_schema=False)
async def client_detail(request: Request, client_id: FromPath[int], db_session: Db) -> Any:
    month, problem = month_of(request)
    detail = await billing.client_detail(db_session, client_id, month)
    if detail is None:
        raise NotFoundException()
    fmt = request.query_params.get("format")
    if fmt in {"pdf", "xlsx", "csv"} and not problem:
        body, media = {
            "pdf": (lambda: sheets.to_pdf(detail), "application/pdf"),
            "xlsx": (lambda: sheets.to_xlsx(detail), XLSX_MEDIA),
            # Litestar adds "; charset=utf-8" to every text/* type itself.
            "csv": (lambda: sheets.to_csv(detail), "text/csv"),
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
            "problem": problem,
            "sendings": await billing.sendings(db_session, client_id, month),
            "mail_ready": await mailing.mail_ready(db_session),
            "reason": mailing.reason,
            "sender": sender.sender(),
        },
        status_code=422 if problem else 200,
    )


async def _enqueue(request: Request, sending_id: int) -> None:
    await request.app.state.queue.enqueue(
        "tariffs_send_detail",
        sending_id=sending_id,
        key=f"tariffs-detail-{sending_id}",
        timeout=120,
        retries=mailing.SEND_ATTEMPTS,
        retry_delay=mailing.SEND_RETRY_DELAY,
        retry_backoff=mailing.SEND_RETRY_MAX_DELAY,
    )


def _mail_off(request: Request) -> None:
    toast(
        request,
        _("Mail is not configured, so nothing was sent: an administrator sets the outgoing mail server on Settings."),
        "error",
    )


@post("/billing/detail/{client_id:int}/send", opt=BILLING, include_in_schema=False)
async def send(request: Request, me: Me, client_id: FromPath[int], db_session: Db) -> Any:
    form = SendForm.parse(await request.form())
    client = await db_session.get(TelegramClient, client_id)
    if client is None:
        raise NotFoundException()
    form.refuse_if_invalid()  # a hand-made request: the buttons always send a month
    month = form.month or local_today().replace(day=1)
    # Sent from the client's own sheet: back there; from the month's list: back to the list.
    back = (
        f"/billing/detail/{client.id}?month={month:%Y-%m}"
        if form.back == "client"
        else f"/billing/detail?month={month:%Y-%m}"
    )
    if not await mailing.mail_ready(db_session):
        _mail_off(request)
        return Redirect(back, status_code=303)
    earlier = await mailing.already_sent(db_session, client_id, month)
    if earlier and not form.again:
        toast(
            request,
            _("The detail was already sent to %(email)s; confirm to send it again.", email=earlier[0].email),
            "warning",
        )
        return Redirect(back, status_code=303)
    sending = await mailing.queue_sending(db_session, client, month, me)
    if sending is None:
        toast(request, _("The client has no email address."), "error")
        return Redirect(back, status_code=303)
    await db_session.commit()
    await _enqueue(request, sending.id)
    toast(request, _("Sending the detail to %(email)s; the outcome appears in the list.", email=client.email))
    return Redirect(back, status_code=303)


@post("/billing/detail/send-all", opt=BILLING, include_in_schema=False)
async def send_all(request: Request, me: Me, db_session: Db) -> Any:
    form = SendForm.parse(await request.form())
    form.refuse_if_invalid()
    month = form.month or local_today().replace(day=1)
    if not await mailing.mail_ready(db_session):
        _mail_off(request)
        return Redirect(f"/billing/detail?month={month:%Y-%m}", status_code=303)
    queued, skipped = [], 0
    for item in await billing.month_clients(db_session, month):
        if await mailing.already_sent(db_session, item.client.id, month):
            skipped += 1
            continue
        sending = await mailing.queue_sending(db_session, item.client, month, me)
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
