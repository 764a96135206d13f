"""Tariff screens: the list, editing Russian and country tariffs, the tariff sheet, the calculator, import."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.tariffs import tariff_files, tariff_import, tariffs
from crm.features.tariffs.forms import CountryFlagsForm, CountryTariffForm, RussianTariffForm, TariffFileForm
from crm.features.tariffs.models import Country, CountryTariff, RussianTariff
from crm.features.tariffs.pricing import (
    BLANK_LABELS,
    CATEGORY_LABELS,
    NOTIFICATION_LABELS,
    RUSSIA,
    WARNINGS,
    QuoteError,
)
from crm.lib.auth import current_user
from crm.lib.deps import Db, Me
from crm.lib.exports import ExportColumn, export_response
from crm.lib.i18n import gettext as _
from crm.lib.i18n import local_today, local_tz
from crm.lib.web import FormErrors, render, toast

VIEW = {"permission": ("telegrams.register", "billing.manage", "tariffs.manage")}
MANAGE = {"permission": "tariffs.manage"}


def _day_text(moment: datetime | None) -> str:
    if moment is None:
        return ""
    local = moment.astimezone(local_tz())
    return (
        local.strftime("%Y-%m-%d")
        if (local.hour, local.minute, local.second) == (0, 0, 0)
        else local.strftime("%Y-%m-%dT%H:%M")
    )


@get("/tariffs", opt=VIEW, include_in_schema=False)
async def tariffs_page(request: Request, db_session: Db) -> Any:
    return await _tariffs_list(request, db_session)


async def _tariffs_list(request: Request, db_session: AsyncSession, import_error: str = "", status: int = 200) -> Any:
    country_rows = await tariffs.country_tariffs(db_session)
    by_country: dict[int, list[CountryTariff]] = {}
    for row in country_rows:
        by_country.setdefault(row.country_id, []).append(row)
    return render(
        request,
        "tariffs/tariffs.html",
        {
            "russian": await tariffs.russian_tariffs(db_session),
            "countries": await tariffs.countries(db_session),
            "by_country": by_country,
            "day_text": _day_text,
            "can_manage": current_user(request).can("tariffs.manage"),
            "today": local_today().isoformat(),
            "import_error": import_error,
        },
        status_code=status,
    )


def _russian_form(t: RussianTariff | None) -> dict[str, str]:
    if t is None:
        return {}
    return {
        "valid_from": _day_text(t.valid_from),
        "valid_to": _day_text(t.valid_to),
        **{k: f"{getattr(t, k):.2f}" for k in tariffs.RUSSIAN_PRICE_FIELDS},
    }


async def _russian(db_session: AsyncSession, tariff_id: int) -> RussianTariff:
    tariff = await db_session.get(RussianTariff, tariff_id)
    if tariff is None:
        raise NotFoundException()
    return tariff


async def _russian_form_page(request: Request, db_session: Db, tariff_id: int | None = None) -> Any:
    tariff = await _russian(db_session, tariff_id) if tariff_id else None
    return render(
        request,
        "tariffs/russian_form.html",
        {
            "form": _russian_form(tariff),
            "errors": {},
            "tariff": tariff,
            "fields": tariffs.RUSSIAN_PRICE_FIELDS,
        },
    )


@get("/tariffs/russian/new", opt=MANAGE, include_in_schema=False)
async def russian_form_new(request: Request, db_session: Db) -> Any:
    return await _russian_form_page(request, db_session=db_session, tariff_id=None)


@get("/tariffs/russian/{tariff_id:int}", opt=MANAGE, include_in_schema=False)
async def russian_form_edit(request: Request, tariff_id: FromPath[int], db_session: Db) -> Any:
    return await _russian_form_page(request, db_session=db_session, tariff_id=tariff_id)


async def _russian_save_page(request: Request, db_session: Db, tariff_id: int | None = None) -> Any:
    tariff = await _russian(db_session, tariff_id) if tariff_id else None
    form = RussianTariffForm.parse(await request.form())
    try:
        if not form.ok or form.valid_from is None or form.valid_to is None:
            raise tariffs.TariffError(form.errors)
        prices = form.prices(tariffs.RUSSIAN_PRICE_FIELDS)
        async with db_session.begin_nested():
            await tariffs.save_russian(
                db_session, tariff, form.valid_from, form.valid_to, prices, current_user(request)
            )
    except tariffs.TariffError as exc:
        return render(
            request,
            "tariffs/russian_form.html",
            {"form": form.shown(), "errors": exc.errors, "tariff": tariff, "fields": tariffs.RUSSIAN_PRICE_FIELDS},
            status_code=422,
        )
    toast(request, _("Tariff saved."))
    return Redirect("/tariffs", status_code=303)


@post("/tariffs/russian/new", opt=MANAGE, include_in_schema=False)
async def russian_save_new(request: Request, db_session: Db) -> Any:
    return await _russian_save_page(request, db_session=db_session, tariff_id=None)


@post("/tariffs/russian/{tariff_id:int}", opt=MANAGE, include_in_schema=False)
async def russian_save_edit(request: Request, tariff_id: FromPath[int], db_session: Db) -> Any:
    return await _russian_save_page(request, db_session=db_session, tariff_id=tariff_id)


@post("/tariffs/russian/{tariff_id:int}/delete", opt=MANAGE, include_in_schema=False)
async def russian_delete(request: Request, me: Me, tariff_id: FromPath[int], db_session: Db) -> Any:
    await tariffs.delete_tariff(db_session, await _russian(db_session, tariff_id), me)
    toast(request, _("Tariff deleted."))
    return Redirect("/tariffs", status_code=303)


async def _country(db_session: AsyncSession, country_id: int) -> Country:
    country = await db_session.get(Country, country_id)
    if country is None:
        raise NotFoundException()
    return country


@get("/tariffs/countries/{country_id:int}", opt=MANAGE, include_in_schema=False)
async def country_page(request: Request, country_id: FromPath[int], db_session: Db) -> Any:
    country = await _country(db_session, country_id)
    rows = await tariffs.country_tariffs(db_session, country.id)
    return render(
        request,
        "tariffs/country.html",
        {
            "country": country,
            "rows": rows,
            "form": {},
            "errors": {},
            "day_text": _day_text,
            "flags": tariffs.COUNTRY_FLAGS,
        },
    )


@post("/tariffs/countries/{country_id:int}", opt=MANAGE, include_in_schema=False)
async def country_flags(request: Request, me: Me, country_id: FromPath[int], db_session: Db) -> Any:
    country = await _country(db_session, country_id)
    form = CountryFlagsForm.parse(await request.form())
    flags = {name: bool(form.values[name]) for name in tariffs.COUNTRY_FLAGS}
    await tariffs.save_country_flags(db_session, country, flags, me)
    toast(request, _("Allowed kinds saved."))
    return Redirect(f"/tariffs/countries/{country.id}", status_code=303)


async def _country_tariff_save_page(
    request: Request,
    country_id: FromPath[int],
    db_session: Db,
    tariff_id: int | None = None,
) -> Any:
    country = await _country(db_session, country_id)
    tariff = await db_session.get(CountryTariff, tariff_id) if tariff_id else None
    if tariff_id and (tariff is None or tariff.country_id != country.id):
        raise NotFoundException()
    form = CountryTariffForm.parse(await request.form())
    form.refuse_if_invalid("action")
    if form.action == "delete" and tariff is not None:
        await tariffs.delete_tariff(db_session, tariff, current_user(request))
        toast(request, _("Tariff deleted."))
        return Redirect(f"/tariffs/countries/{country.id}", status_code=303)
    try:
        if not form.ok or form.valid_from is None or form.valid_to is None:
            raise tariffs.TariffError(form.errors)
        prices = form.prices(tariffs.COUNTRY_PRICE_FIELDS)
        async with db_session.begin_nested():
            await tariffs.save_country_tariff(
                db_session, tariff, country, form.valid_from, form.valid_to, prices, current_user(request)
            )
    except tariffs.TariffError as exc:
        rows = await tariffs.country_tariffs(db_session, country.id)
        return render(
            request,
            "tariffs/country.html",
            {
                "country": country,
                "rows": rows,
                "form": form.shown(),
                "errors": exc.errors,
                "editing": tariff_id,
                "day_text": _day_text,
                "flags": tariffs.COUNTRY_FLAGS,
            },
            status_code=422,
        )
    toast(request, _("Tariff saved."))
    return Redirect(f"/tariffs/countries/{country.id}", status_code=303)


@post("/tariffs/countries/{country_id:int}/tariffs", opt=MANAGE, include_in_schema=False)
async def country_tariff_save_new(request: Request, db_session: Db, country_id: FromPath[int]) -> Any:
    return await _country_tariff_save_page(request, country_id=country_id, db_session=db_session, tariff_id=None)


@post("/tariffs/countries/{country_id:int}/tariffs/{tariff_id:int}", opt=MANAGE, include_in_schema=False)
async def country_tariff_save_edit(
    request: Request, tariff_id: FromPath[int], db_session: Db, country_id: FromPath[int]
) -> Any:
    return await _country_tariff_save_page(request, country_id=country_id, db_session=db_session, tariff_id=tariff_id)


def _cell(name: str) -> Callable[[dict[str, Any]], Any]:
    return lambda row: row.get(name, "")


SHEET_EXPORT = [ExportColumn(name, _cell(name)) for name in tariff_files.SHEET_COLUMNS]


def _sheet_rows(sheet: tariffs.TariffSheet) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    if sheet.russian:
        r = sheet.russian
        rows.append(
            {
                "country": RUSSIA,
                "valid_from": _day_text(r.valid_from),
                "valid_to": _day_text(r.valid_to),
                **{k: getattr(r, k) for k in tariffs.RUSSIAN_PRICE_FIELDS},
            }
        )
    for country, ct in sheet.countries:
        if ct is not None:
            rows.append(
                {
                    "country": country.name,
                    "valid_from": _day_text(ct.valid_from),
                    "valid_to": _day_text(ct.valid_to),
                    "word_ordinary": ct.word_ordinary,
                    "word_urgent": ct.word_urgent,
                    **{f: "1" if getattr(country, f) else "0" for f in tariffs.COUNTRY_FLAGS},
                }
            )
    return rows


@get("/tariffs/sheet", opt=VIEW, include_in_schema=False)
async def sheet_page(request: Request, db_session: Db) -> Any:
    raw = request.query_params.get("date") or local_today().isoformat()
    errors = FormErrors()
    try:
        when = tariffs.parse_instant(raw)
    except QuoteError as exc:
        errors.add("date", _(exc.message))
        when = tariffs.local_midnight(local_today())
    sheet = await tariffs.sheet(db_session, when)
    fmt = request.query_params.get("format")
    if fmt in {"csv", "xlsx"}:
        return export_response(_sheet_rows(sheet), SHEET_EXPORT, f"tariffs-{when:%Y-%m-%d}", fmt)
    return render(
        request,
        "tariffs/sheet.html",
        {
            "sheet": sheet,
            "date": raw,
            "errors": errors,
            "day_text": _day_text,
            "fields": tariffs.RUSSIAN_PRICE_FIELDS,
        },
        status_code=422 if errors else 200,
    )


CALC_FIELDS = ("date", "country", "words", "delivery", "notification", "blank", "deliver_on_date", "paid_reply")
CALC_DEFAULTS = {
    "words": "10",
    "delivery": "ordinary",
    "notification": "none",
    "blank": "none",
    "country": RUSSIA,
}


@get("/tariffs/calculator", opt=VIEW, include_in_schema=False)
async def calculator(request: Request, db_session: Db) -> Any:
    query = {**CALC_DEFAULTS, "date": local_today().isoformat(), **dict(request.query_params.items())}
    errors = FormErrors()
    quote = None
    try:
        when, country, params = tariffs.parse_quote_params(query)
        quote = await tariffs.quote(db_session, when, country, params)
    except QuoteError as exc:
        errors.add(exc.field, _(exc.message))
    countries = [RUSSIA, *(c.name for c in await tariffs.countries(db_session))]
    return render(
        request,
        "tariffs/calculator.html",
        {
            "form": query,
            "errors": errors,
            "quote": quote,
            "countries": countries,
            "delivery_options": [(code, _(label)) for code, label in CATEGORY_LABELS.items()],
            "notification_options": [(code, _(label)) for code, label in NOTIFICATION_LABELS.items()],
            "blank_options": [(code, _(label)) for code, label in BLANK_LABELS.items()],
            # An htmx answer swaps only the result; the messages under the fields come with it out of band.
            "oob": request.headers.get("hx-target") == "result",
            "calc_fields": CALC_FIELDS,
            "warnings": [_(WARNINGS[c]) for c in quote.warnings] if quote else [],
        },
        block="result",
        status_code=422 if errors else 200,
    )


@post("/tariffs/import", opt=MANAGE, include_in_schema=False)
async def tariffs_upload(
    request: Request,
    me: Me,
    db_session: Db,
) -> Any:
    form = TariffFileForm.parse(await request.form())
    if form.file is None:  # none chosen: said next to the upload field
        return await _tariffs_list(request, db_session, import_error=form.errors["file"], status=422)
    upload = form.file
    content = await upload.read()
    try:
        async with db_session.begin_nested():
            summary = await tariff_files.import_file(db_session, content, upload.filename, me)
    except tariff_import.TariffImportError as exc:
        # Nothing was written (the file is checked whole first); the reason next to the upload field.
        reason = _("Nothing was imported.") + " " + _(exc.message, **exc.params)
        return await _tariffs_list(request, db_session, import_error=reason, status=422)
    toast(request, "; ".join(summary.lines()[:6]), "warning" if summary.errors else "success")
    return Redirect("/tariffs", status_code=303)


ROUTES: list[Any] = [
    tariffs_page,
    russian_form_new,
    russian_form_edit,
    russian_save_new,
    russian_save_edit,
    russian_delete,
    country_page,
    country_flags,
    country_tariff_save_new,
    country_tariff_save_edit,
    sheet_page,
    calculator,
    tariffs_upload,
]
