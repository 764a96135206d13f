"""JSON API of the sales slice (spec/goals.md, "Contracts"): imports, their rejected rows, sales lines, ERP clients."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, post
from litestar.exceptions import ClientException, NotFoundException, ValidationException
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.params import FromPath, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.sales import imports, services
from crm.features.sales.forms import UPLOAD_LIMIT, ApiImportForm
from crm.features.sales.models import ErpClient, SalesImport, SalesLine
from crm.lib.deps import Db, Me
from crm.lib.forms import File
from crm.lib.lists import ApiPage, PageNo, PageSize, sort_param, yes_no_all

TAGS = ["sales"]
MANAGE = {"permission": "goals.manage"}
VIEW = {"permission": ("goals.view", "goals.manage")}


class ImportOut(msgspec.Struct):
    id: int
    status: str
    source: str
    file_name: str
    rows_read: int
    imported: int
    updated: int
    rejected: int
    error: str | None
    created_at: str
    finished_at: str | None


class LineOut(msgspec.Struct):
    id: int
    day: date
    invoice: str
    line_no: int
    product: str
    family: str
    client_id: int
    quantity: str
    amount: str
    salesperson: str
    salesperson_id: str | None


class ClientOut(msgspec.Struct):
    id: int
    code: str
    inn: str
    name: str
    is_new: bool
    responsible_id: str | None


async def enqueue(request: Request, import_id: int) -> None:
    await request.app.state.queue.enqueue(
        "sales_import_run",
        import_id=import_id,
        key=f"sales-import-{import_id}",
        timeout=imports.IMPORT_TIMEOUT,
        retries=2,
    )


def _too_large() -> ClientException:
    return ClientException(status_code=413, detail=f"The file is larger than {UPLOAD_LIMIT // (1024 * 1024)} MB")


def _bad(field: str, message: str) -> ValidationException:
    return ValidationException(detail=message, extra=[{"key": field, "message": message}])


@post(
    "/api/v1/imports/sales",
    opt=MANAGE,
    tags=TAGS,
    summary="Import an ERP sales file (CSV or XLSX) in the background",
    description="multipart/form-data with `file` and an optional `profile` (a saved column mapping). Answers 202 "
    "with the import's id; follow it with GET /api/v1/imports/{id}.",
    request_max_body_size=UPLOAD_LIMIT + 1024 * 1024,
    status_code=202,
)
async def api_import(request: Request, me: Me, db_session: Db) -> Response[dict[str, Any]]:
    try:
        form = ApiImportForm.parse(await request.form())
    except RequestEntityTooLarge:
        raise _too_large() from None
    except ClientException:
        raise _bad("file", "Send the file as multipart/form-data") from None
    if form.file is not None and File.size(form.file) > UPLOAD_LIMIT:
        raise _too_large()
    form.refuse_if_invalid()  # no file, an empty one, a profile too long: 422 naming the field
    assert form.file is not None
    file, profile = form.file, form.profile
    content = await file.read()
    item = await imports.create(
        db_session,
        source="api",
        file_name=file.filename,
        content=content,
        actor_id=me.id,
        profile=profile,
    )
    await db_session.commit()
    await enqueue(request, item.id)
    return Response({"id": item.id, "status": item.status}, status_code=202)


async def _import(db_session: AsyncSession, import_id: int) -> SalesImport:
    item = await db_session.get(SalesImport, import_id)
    if item is None or item.status == "draft":
        raise NotFoundException(detail="No such import")
    return item


@get("/api/v1/imports/{import_id:int}", opt=MANAGE, tags=TAGS, summary="An import's status and counts")
async def api_import_status(import_id: FromPath[int], db_session: Db) -> ImportOut:
    return msgspec.convert(imports.as_api(await _import(db_session, import_id)), ImportOut)


@get(
    "/api/v1/imports/{import_id:int}/rejected",
    opt=MANAGE,
    tags=TAGS,
    summary="The rejected rows of an import as CSV (row number, reason, the row)",
    media_type="text/csv",
)
async def api_import_rejected(import_id: FromPath[int], db_session: Db) -> Response[str]:
    item = await _import(db_session, import_id)
    body = "".join(await services.rejected_csv(db_session, item))
    return Response(
        body,
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="import-{import_id}-rejected.csv"'},
    )


def _day(name: str, raw: str) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        raise _bad(name, "Use YYYY-MM-DD") from None


def _line(line: SalesLine) -> LineOut:
    return LineOut(
        id=line.id,
        day=line.day,
        invoice=line.invoice,
        line_no=line.line_no,
        product=line.product,
        family=line.family,
        client_id=line.client_id,
        quantity=str(line.quantity),
        amount=str(line.amount),
        salesperson=line.salesperson,
        salesperson_id=str(line.salesperson_id) if line.salesperson_id else None,
    )


@get(
    "/api/v1/sales",
    opt=VIEW,
    tags=TAGS,
    summary="Sales lines (invoice lines imported from the ERP)",
    description="Managers see the lines of their clients and their own sales, heads those of their department "
    "subtree, goal managers everything. Amounts are strings with two decimals.",
)
async def api_sales(
    me: Me,
    db_session: Db,
    from_: Annotated[str, QueryParameter(name="from", description="first day, YYYY-MM-DD")] = "",
    to: Annotated[str, QueryParameter(description="last day, YYYY-MM-DD (inclusive)")] = "",
    client_id: Annotated[int | None, QueryParameter(ge=1, le=2**62)] = None,
    family: Annotated[str | None, QueryParameter(description="product family ('' for lines without one)")] = None,
    page: PageNo = 1,
    page_size: PageSize = 50,
    sort: Annotated[str, sort_param(services.LINE_SORTS)] = "-day",
) -> ApiPage[LineOut]:
    lines = await services.lines_list(
        db_session,
        me,
        day_from=_day("from", from_),
        day_to=_day("to", to),
        client_id=client_id,
        family=family,
    )
    return await lines.api(db_session, page, page_size, sort, _line)


@get("/api/v1/erp-clients", opt=VIEW, tags=TAGS, summary="ERP clients (matched or created by the imports)")
async def api_clients(
    me: Me,
    db_session: Db,
    q: Annotated[str, QueryParameter(description="text in the name, code or INN")] = "",
    new: Annotated[str, QueryParameter(description="true: only clients flagged new; false: reviewed; all")] = "all",
    page: PageNo = 1,
    page_size: PageSize = 50,
    sort: Annotated[str, sort_param(services.CLIENT_SORTS)] = "name",
) -> ApiPage[ClientOut]:
    clients = await services.clients_list(db_session, me, q=q.strip(), new=yes_no_all("new", new))
    return await clients.api(db_session, page, page_size, sort, _client)


def _client(c: ErpClient) -> ClientOut:
    return ClientOut(
        id=c.id,
        code=c.code,
        inn=c.inn,
        name=c.name,
        is_new=c.is_new,
        responsible_id=str(c.responsible_id) if c.responsible_id else None,
    )


ROUTES: list[Any] = [api_import, api_import_status, api_import_rejected, api_sales, api_clients]
