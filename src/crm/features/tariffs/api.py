"""JSON API: the cost calculator, the telegram journal and a telegram's detected quote."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import msgspec
from litestar import Request, delete, get, patch, post
from litestar.exceptions import ClientException, NotFoundException, ValidationException
from litestar.openapi.spec import Example
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.accounts.services import record
from crm.features.tariffs import journal, schemas, tariffs
from crm.features.tariffs.detect import detect
from crm.features.tariffs.models import RegistryRecord, Telegram
from crm.features.tariffs.pricing import RUSSIA, WARNINGS, QuoteError
from crm.lib.auth import current_user
from crm.lib.deps import Db, Me
from crm.lib.i18n import gettext as _
from crm.lib.lists import ApiPage, PageNo, PageSize, sort_param

VIEW = {"permission": ("telegrams.register", "billing.manage", "tariffs.manage")}
MANAGE = {"permission": "tariffs.manage"}


def _invalid(exc: QuoteError) -> ValidationException:
    return ValidationException(detail=_(exc.message), extra=[{"key": exc.field, "message": _(exc.message)}])


def warning_texts(codes: list[str]) -> list[str]:
    return [_(WARNINGS[c]) for c in codes]


@get(
    "/api/v1/tariffs/quote",
    opt=VIEW,
    tags=["tariffs"],
    summary="The cost of a telegram by the tariffs in force on a date",
    description="Amounts are strings with two decimals; every applicable warning is listed; "
    "bad input or a missing tariff answers 422 naming the field.",
)
async def api_quote(
    request: Request,
    db_session: Db,
    date: Annotated[
        str, QueryParameter(description="YYYY-MM-DD or an ISO date-time", examples=[Example(value="2022-01-01")])
    ] = "",
    country: Annotated[str, QueryParameter(description="Россия or an ex-USSR country")] = RUSSIA,
    words: Annotated[str, QueryParameter(description="integer ≥ 0")] = "0",
    delivery: Annotated[str, QueryParameter(description="ordinary, urgent, post or box")] = "ordinary",
    notification: Annotated[str, QueryParameter(description="none, ordinary or urgent")] = "none",
    blank: Annotated[str, QueryParameter(description="none, lux or lux_v")] = "none",
    deliver_on_date: Annotated[str, QueryParameter(description="true or false (ВРУЧИТЬ)")] = "false",
    paid_reply: Annotated[str, QueryParameter(description="true or false (СЛУЖЕБНАЯ, платный запрос)")] = "false",
) -> schemas.QuoteOut:
    query = {
        "date": date,
        "country": country,
        "words": words,
        "delivery": delivery,
        "notification": notification,
        "blank": blank,
        "deliver_on_date": deliver_on_date,
        "paid_reply": paid_reply,
    }
    try:
        when, country_name, params = tariffs.parse_quote_params(query)
        result = await tariffs.quote(db_session, when, country_name, params)
    except QuoteError as exc:
        raise _invalid(exc) from None
    return schemas.quote_out(date, country_name, result, warning_texts(result.warnings))


def _filter(
    date_from: str,
    date_to: str,
    inp_chan: str,
    out_chan: str,
    inp_num: int | None,
    out_num: int | None,
    q: str,
) -> journal.JournalFilter:
    days = []
    for name, raw in (("date_from", date_from), ("date_to", date_to)):
        try:
            days.append(date.fromisoformat(raw) if raw else None)
        except ValueError:
            raise ValidationException(detail="Bad date", extra=[{"key": name, "message": "Use YYYY-MM-DD"}]) from None
    return journal.JournalFilter(
        date_from=days[0],
        date_to=days[1],
        inp_chan=inp_chan.strip(),
        out_chan=out_chan.strip(),
        inp_num=inp_num,
        out_num=out_num,
        q=q.strip(),
    )


@get(
    "/api/v1/telegrams",
    opt=VIEW,
    tags=["telegrams"],
    summary="The telegram journal, filtered and paged",
    description="Telegraph operators see their office's telegrams (input channel prefix) only.",
)
async def api_telegrams(
    me: Me,
    db_session: Db,
    page: PageNo = 1,
    page_size: PageSize = 50,
    sort: Annotated[str, sort_param(journal.JOURNAL_SORTS)] = "time",
    date_from: Annotated[str, QueryParameter(description="first day, YYYY-MM-DD (inclusive)")] = "",
    date_to: Annotated[str, QueryParameter(description="last day, YYYY-MM-DD (inclusive)")] = "",
    inp_chan: Annotated[str, QueryParameter(description="input channel prefix, e.g. 123002")] = "",
    out_chan: Annotated[str, QueryParameter(description="output channel prefix")] = "",
    inp_num: Annotated[int | None, QueryParameter(description="input number", ge=0, le=2**31 - 1)] = None,
    out_num: Annotated[int | None, QueryParameter(description="output number", ge=0, le=2**31 - 1)] = None,
    q: Annotated[str, QueryParameter(description="text in the address, signature or header")] = "",
) -> ApiPage[schemas.TelegramOut]:
    flt = _filter(date_from, date_to, inp_chan, out_chan, inp_num, out_num, q)
    telegrams = journal.journal_list(me, flt)
    return await telegrams.api(db_session, page, page_size, sort, schemas.telegram_out)


async def _visible(request: Request, db_session: AsyncSession, un_name: str) -> Telegram:
    telegram = await journal.get_visible(db_session, current_user(request), un_name)
    if telegram is None:
        raise NotFoundException(detail="No such telegram")
    return telegram


@get("/api/v1/telegrams/{un_name:str}", opt=VIEW, tags=["telegrams"], summary="One telegram")
async def api_telegram(request: Request, un_name: FromPath[str], db_session: Db) -> schemas.TelegramOut:
    return schemas.telegram_out(await _visible(request, db_session, un_name))


@post(
    "/api/v1/telegrams",
    opt=MANAGE,
    tags=["telegrams"],
    summary="Add a telegram to the journal",
    status_code=201,
)
async def api_telegram_create(me: Me, data: JSONBody[schemas.TelegramIn], db_session: Db) -> schemas.TelegramOut:
    if await journal.un_name_taken(db_session, data.un_name):
        raise ValidationException(
            detail="Duplicate", extra=[{"key": "un_name", "message": "A telegram with this un_name exists"}]
        )
    telegram = Telegram(**msgspec.structs.asdict(data))
    db_session.add(telegram)
    await db_session.flush()
    await record(
        db_session,
        me,
        "telegram",
        telegram.un_name,
        "create",
        {"un_name": [None, telegram.un_name]},
    )
    return schemas.telegram_out(telegram)


@patch("/api/v1/telegrams/{un_name:str}", opt=MANAGE, tags=["telegrams"], summary="Change fields of a telegram")
async def api_telegram_update(
    request: Request,
    me: Me,
    un_name: FromPath[str],
    data: JSONBody[schemas.TelegramPatch],
    db_session: Db,
) -> schemas.TelegramOut:
    telegram = await _visible(request, db_session, un_name)
    changes: dict[str, list[Any]] = {}
    for name in journal.EDITABLE:
        value = getattr(data, name)
        if value is not msgspec.UNSET and getattr(telegram, name) != value:
            changes[name] = [getattr(telegram, name), value]
            setattr(telegram, name, value)
    if changes:
        await record(db_session, me, "telegram", un_name, "update", changes)
    return schemas.telegram_out(telegram)


@delete(
    "/api/v1/telegrams/{un_name:str}",
    opt=MANAGE,
    tags=["telegrams"],
    summary="Delete a telegram not in any registry",
)
async def api_telegram_delete(request: Request, me: Me, un_name: FromPath[str], db_session: Db) -> None:
    telegram = await _visible(request, db_session, un_name)
    used = await db_session.scalar(select(func.count()).where(RegistryRecord.telegram_id == telegram.id))
    if used:
        raise ClientException(status_code=409, detail="The telegram is in a registry; remove it from there first")
    await record(db_session, me, "telegram", un_name, "delete", {"un_name": [un_name, None]})
    await db_session.delete(telegram)


@get(
    "/api/v1/telegrams/{un_name:str}/quote",
    opt=VIEW,
    tags=["telegrams"],
    summary="The parameters detected from a telegram and its cost at the telegram's time",
)
async def api_telegram_quote(request: Request, un_name: FromPath[str], db_session: Db) -> schemas.TelegramQuoteOut:
    telegram = await _visible(request, db_session, un_name)
    found = detect(telegram)
    try:
        result = await tariffs.quote(db_session, telegram.inp_gate_date, found.country, found.params)
    except QuoteError as exc:
        raise _invalid(exc) from None
    p = found.params
    return schemas.TelegramQuoteOut(
        un_name=un_name,
        detected=schemas.DetectedOut(
            country=found.country,
            words=p.words,
            delivery=p.category,
            notification=p.notification,
            blank=p.blank,
            deliver_on_date=p.deliver_on_date,
            paid_reply=p.paid_reply,
        ),
        quote=schemas.quote_out(
            telegram.inp_gate_date.isoformat(), found.country, result, warning_texts(result.warnings)
        ),
    )


ROUTES: list[Any] = [
    api_quote,
    api_telegrams,
    api_telegram,
    api_telegram_create,
    api_telegram_update,
    api_telegram_delete,
    api_telegram_quote,
]
