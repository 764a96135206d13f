"""Routes of the sales report: the screen (period, pipeline, deal field; charts and tables; CSV/XLSX/PDF) and
``GET /api/v1/reports/sales``. Figures come from ``sales.report`` over the rows of the user's scope."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get
from litestar.exceptions import ValidationException
from litestar.params import QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.reports import charts, sales_output
from crm.features.reports.sales import PERIODS, Figures, Line, period_range, report, shift
from crm.features.reports.sales_data import DEFAULT_TYPE_FIELD, FIELD_LABELS, choices, sale_rows
from crm.lib.deps import Db, Me
from crm.lib.exports import XLSX_MEDIA, csv_dialect, safe_filename
from crm.lib.i18n import fmt_date, local_today
from crm.lib.i18n import gettext as _
from crm.lib.web import FormErrors, parse_int, render

VIEW = {"permission": "reports.view"}
TAGS = ["reports"]
MAX_DAYS = 366 * 3

# --------------------------------------------------------------------------- API


class TotalOut(msgspec.Struct):
    sum: float
    count: int


class ManagerOut(msgspec.Struct):
    id: int | None
    name: str
    sum: float
    count: int


class NamedOut(msgspec.Struct):
    name: str
    sum: float
    count: int


class DayOut(msgspec.Struct):
    date: str
    sum: float
    count: int


class SalesOut(msgspec.Struct):
    date_from: str = msgspec.field(name="from")
    date_to: str = msgspec.field(name="to")
    total: TotalOut = msgspec.field(default_factory=lambda: TotalOut(0, 0))
    by_manager: list[ManagerOut] = msgspec.field(default_factory=list)
    by_source: list[NamedOut] = msgspec.field(default_factory=list)
    by_type: list[NamedOut] = msgspec.field(default_factory=list)
    by_day: list[DayOut] = msgspec.field(default_factory=list)


def _field_error(name: str, message: str) -> ValidationException:
    return ValidationException(detail=f"Invalid {name}: {message}", extra=[{"key": name, "message": message}])


# Days a sales report can be about: a period and the one before it stay within what dates can hold.
EARLIEST, LATEST = date(1990, 1, 1), date(2199, 12, 31)


def _api_day(name: str, raw: str | None) -> date:
    text = (raw or "").strip()
    try:
        if len(text) != 10:
            raise ValueError(text)
        day = date.fromisoformat(text)
    except ValueError:
        raise _field_error(name, "A date as YYYY-MM-DD.") from None
    if not EARLIEST <= day <= LATEST:
        raise _field_error(name, f"A date between {EARLIEST.isoformat()} and {LATEST.isoformat()}.")
    return day


def sales_out(figures: Figures) -> SalesOut:
    def named(lines: list[Line]) -> list[NamedOut]:
        return [NamedOut(name=x.name, sum=float(x.sum), count=x.count) for x in lines]

    return SalesOut(
        date_from=figures.day_from.isoformat(),
        date_to=figures.day_to.isoformat(),
        total=TotalOut(sum=float(figures.total.sum), count=figures.total.count),
        by_manager=[ManagerOut(id=x.id, name=x.name, sum=float(x.sum), count=x.count) for x in figures.by_manager],
        by_source=named(figures.by_source),
        by_type=named(figures.by_type),
        by_day=[DayOut(date=d.date.isoformat(), sum=float(d.sum), count=d.count) for d in figures.by_day_sorted],
    )


@get(
    "/api/v1/reports/sales",
    opt=VIEW,
    tags=TAGS,
    summary="Won deals of a period by manager, source, type and day",
    description="Inclusive days in the organisation's time zone; each list sorted by sum, descending. Deals whose "
    'manager is unknown are listed under "unknown"; a source is the UTM source, else the deal\'s source.',
)
async def sales_api(
    me: Me,
    db_session: Db,
    date_from: Annotated[str | None, QueryParameter(name="from", description="YYYY-MM-DD, required")] = None,
    date_to: Annotated[str | None, QueryParameter(name="to", description="YYYY-MM-DD inclusive, required")] = None,
    pipeline_id: Annotated[int | None, QueryParameter(ge=0, le=2**62, description="Only this pipeline")] = None,
    field: Annotated[str | None, QueryParameter(description="Deal field of by_type (default contract_type)")] = None,
) -> SalesOut:
    day_from, day_to = _api_day("from", date_from), _api_day("to", date_to)
    if day_from > day_to:
        raise _field_error("from", "The start is after the end.")
    if (day_to - day_from).days > MAX_DAYS:
        raise _field_error("to", f"At most {MAX_DAYS} days.")
    type_field = await _type_field(db_session, field)
    if field and type_field != field:
        raise _field_error("field", "No such deal field.")
    rows = await sale_rows(db_session, me, day_from, day_to, pipeline_id, type_field, compare=False)
    return sales_out(report(rows, day_from, day_to, compare=False))


async def _type_field(session: AsyncSession, raw: str | None) -> str:
    offered = (await choices(session)).type_fields
    return raw if raw in offered else DEFAULT_TYPE_FIELD


# --------------------------------------------------------------------------- screen


def _date(raw: str | None) -> date | None:
    try:
        day = date.fromisoformat((raw or "").strip())
    except ValueError:
        return None
    return day if EARLIEST <= day <= LATEST else None


def _period(query: Any, errors: FormErrors) -> tuple[str, date, date, date]:
    """Period kind, anchor day and the days it covers, from the URL (the current month by default)."""
    today = local_today()
    kind = query.get("period") or "month"
    if kind not in PERIODS:
        kind = "month"
    anchor = _date(query.get("date")) or today
    if kind == "custom":
        day_from, day_to = _date(query.get("from")), _date(query.get("to"))
        if day_from is None or day_to is None or day_from > day_to or (day_to - day_from).days > MAX_DAYS:
            errors.add("from", _("Dates look like 2026-11-01; the start comes before the end."))
            kind = "month"
        else:
            return kind, day_from, day_from, day_to
    day_from, day_to = period_range(kind, anchor, today)
    return kind, anchor, day_from, day_to


def _chart(lines: list[Line], label: str) -> tuple[list[str], list[dict[str, Any]]]:
    top = charts.top_lines(lines)
    return [n for n, _s, _c in top], [{"label": label, "data": [float(s) for _n, s, _c in top], "digits": 0}]


def _export(figures: Figures, fmt: str) -> Response[bytes]:
    name = safe_filename(f"sales_{figures.day_from.isoformat()}_{figures.day_to.isoformat()}")
    if fmt == "xlsx":
        body, media = sales_output.xlsx_report(figures), XLSX_MEDIA
    elif fmt == "pdf":
        body, media = sales_output.pdf_report(figures), "application/pdf"
    else:
        body, media = sales_output.csv_report(figures, **csv_dialect()), "text/csv"
    return Response(
        content=body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"', "Cache-Control": "no-store"},
    )


@get("/reports/sales", opt=VIEW, include_in_schema=False)
async def sales_page(request: Request, me: Me, db_session: Db) -> Any:
    query = request.query_params
    errors = FormErrors()
    kind, anchor, day_from, day_to = _period(query, errors)
    offered = await choices(db_session)
    pipeline_id = parse_int(query.get("pipeline_id"), 0, 2**62)
    if pipeline_id is not None and pipeline_id not in {p for p, _n in offered.pipelines}:
        pipeline_id = None
    wanted = query.get("field") or ""
    type_field = wanted if wanted in offered.type_fields else DEFAULT_TYPE_FIELD
    rows = await sale_rows(db_session, me, day_from, day_to, pipeline_id, type_field)
    figures = report(rows, day_from, day_to)
    fmt = query.get("format")
    if fmt in ("csv", "xlsx", "pdf"):
        return _export(figures, fmt)
    keep = {k: v for k, v in {"pipeline_id": pipeline_id, "field": type_field}.items() if v not in (None, "")}
    nav = {}
    if kind != "custom":
        for step, key in ((-1, "prev"), (1, "next")):
            nav[key] = {"period": kind, "date": shift(kind, anchor, step).isoformat(), **keep}
    manager_labels, manager_data = _chart(figures.by_manager, _("Sum"))
    source_labels, source_data = _chart(figures.by_source, _("Sum"))
    context = {
        "figures": figures,
        "kind": kind,
        "anchor": anchor,
        "errors": errors,
        "periods": [
            ("yesterday", _("Yesterday")),
            ("day", _("Day")),
            ("week", _("Week")),
            ("month", _("Month")),
            ("quarter", _("Quarter")),
            ("custom", _("Custom range")),
        ],
        "pipelines": offered.pipelines,
        "pipeline_id": pipeline_id,
        "type_fields": [
            (f, _(FIELD_LABELS[f]) if f in FIELD_LABELS else f.replace("_", " ")) for f in offered.type_fields
        ],
        "type_field": type_field,
        "type_label": _(FIELD_LABELS[type_field]) if type_field in FIELD_LABELS else type_field.replace("_", " "),
        "nav": nav,
        "keep": {"period": kind, "date": anchor.isoformat(), **keep}
        if kind != "custom"
        else {"period": kind, "from": day_from.isoformat(), "to": day_to.isoformat(), **keep},
        "period_label": fmt_date(day_from) if day_from == day_to else f"{fmt_date(day_from)} – {fmt_date(day_to)}",
        "manager_chart": (manager_labels, manager_data),
        "source_chart": (source_labels, source_data),
        "trend_chart": (
            [fmt_date(d.date, "dd.MM") for d in figures.by_day],
            [{"label": _("Sum"), "data": [float(d.sum) for d in figures.by_day], "digits": 0}],
        ),
        "shown_name": charts.shown_name,
    }
    return render(request, "reports/sales.html", context, block="report")


ROUTES: list[Any] = [sales_page, sales_api]
