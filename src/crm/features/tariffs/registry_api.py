"""JSON API of registries: the month's registries a user may see, and one registry with its priced rows."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import msgspec
from litestar import get
from litestar.exceptions import NotFoundException, ValidationException
from litestar.openapi.spec import Example
from litestar.params import FromPath, QueryParameter

from crm.features.tariffs import registries
from crm.features.tariffs.models import Registry, RegistryRecord
from crm.lib.deps import Db, Me
from crm.lib.lists import ApiPage, ListQuery, PageNo, PageSize, sort_param

SEE = {"permission": ("telegrams.register", "billing.manage")}
REGISTRY_SORTS = {"day": Registry.day, "office": Registry.office, "status": Registry.status, "id": Registry.id}


class RegistryOut(msgspec.Struct):
    id: int
    day: date
    office: str
    operator: str
    status: str
    signed_by: str
    formed_at: datetime | None
    closed_at: datetime | None
    telegrams: int
    total: str
    total_with_vat: str
    flagged: int = 0  # telegrams with a tariff warning or error


class RecordOut(msgspec.Struct):
    id: int
    un_name: str
    inp_gate_date: datetime
    client_code: str | None
    country: str
    delivery: str
    notification: str
    blank: str
    deliver_on_date: bool
    paid_reply: bool
    words: int
    manual: bool
    amounts: dict[str, str]
    total: str
    vat: str
    total_with_vat: str
    warnings: list[str]
    error: str


class RegistryDetail(msgspec.Struct):
    registry: RegistryOut
    records: list[RecordOut]


def _registry_out(reg: Registry, n: int, total: Any, total_with_vat: Any, flagged: int = 0) -> RegistryOut:
    return RegistryOut(
        id=reg.id,
        day=reg.day,
        office=reg.office,
        operator=reg.operator.email,
        status=reg.status,
        signed_by=reg.signed_by,
        formed_at=reg.formed_at,
        closed_at=reg.closed_at,
        telegrams=int(n),
        total=f"{total:.2f}",
        total_with_vat=f"{total_with_vat:.2f}",
        flagged=int(flagged),
    )


def _record_out(r: RegistryRecord) -> RecordOut:
    return RecordOut(
        id=r.id,
        un_name=r.telegram.un_name,
        inp_gate_date=r.telegram.inp_gate_date,
        client_code=r.client.code if r.client else None,
        country=r.country.name if r.country else "Россия",
        delivery=r.category,
        notification=r.notification,
        blank=r.blank,
        deliver_on_date=r.deliver_on_date,
        paid_reply=r.paid_reply,
        words=r.words,
        manual=r.manual,
        amounts={name.removesuffix("_amount"): f"{getattr(r, name):.2f}" for name in registries.COMPONENTS},
        total=f"{r.total:.2f}",
        vat=f"{r.vat:.2f}",
        total_with_vat=f"{r.total_with_vat:.2f}",
        warnings=list(r.warnings),
        error=r.error,
    )


@get(
    "/api/v1/registries",
    opt=SEE,
    tags=["registries"],
    summary="Daily registries of a month",
    description="Operators see their own registries; billing staff see every registry that is not a draft.",
)
async def api_registries(
    me: Me,
    db_session: Db,
    month: Annotated[str, QueryParameter(description="YYYY-MM", examples=[Example(value="2022-08")])] = "",
    page: PageNo = 1,
    page_size: PageSize = 50,
    sort: Annotated[str, sort_param(REGISTRY_SORTS)] = "day",
) -> ApiPage[RegistryOut]:
    try:
        year, number = month.split("-")[:2]
        first = date(int(year), int(number), 1)
    except ValueError:
        raise ValidationException(detail="Bad month", extra=[{"key": "month", "message": "Use YYYY-MM"}]) from None
    month_list = ListQuery(registries.month_query(me, first).order_by(None), REGISTRY_SORTS, "day", Registry.id)
    return await month_list.api(db_session, page, page_size, sort, lambda row: _registry_out(*row))


@get(
    "/api/v1/registries/{registry_id:int}",
    opt=SEE,
    tags=["registries"],
    summary="One registry with its telegrams, parameters, amounts and warnings",
)
async def api_registry(me: Me, registry_id: FromPath[int], db_session: Db) -> RegistryDetail:
    registry = await registries.get_visible(db_session, me, registry_id)
    if registry is None:
        raise NotFoundException(detail="No such registry")
    records = await registries.rows_of(db_session, registry)
    total = sum((r.total for r in records), 0)
    total_with_vat = sum((r.total_with_vat for r in records), 0)
    return RegistryDetail(
        registry=_registry_out(registry, len(records), total, total_with_vat, len(registries.flagged(records))),
        records=[_record_out(r) for r in records],
    )


ROUTES: list[Any] = [api_registries, api_registry]
