"""``crm report sales``: the sales report from a CSV/XLSX file or from the local Bitrix24 copy, drawn without a
browser into PNG (charts), PDF (charts and tables), XLSX or CSV (tables)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import click

from crm.lib.cli import fail, run_async, with_session

OUTPUTS = (".png", ".pdf", ".xlsx", ".csv")


@click.group(name="report", help="Reports drawn on the command line.")
def report_group() -> None:
    pass


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    from crm.features.reports.sales_input import parse_day
    from crm.lib.i18n import local_tz

    day = parse_day(value, local_tz())
    if day is None:
        fail(f"{option} {value!r} is not a date (YYYY-MM-DD or DD.MM.YYYY)")
    return day


@report_group.command(name="sales", help="Won deals by manager, source and type, with charts.")
@click.option(
    "--input",
    "input_file",
    type=click.Path(dir_okay=False),
    help="CSV or XLSX of won deals; without it, the local copy of Bitrix24.",
)
@click.option(
    "--output",
    "output_file",
    required=True,
    type=click.Path(dir_okay=False),
    help="FILE.png (charts), FILE.pdf (charts and tables), FILE.xlsx or FILE.csv (tables).",
)
@click.option(
    "--period",
    help="yesterday, today, week, month, quarter, last-week, last-month, last-quarter, "
    "or 2026-11-05, 2026-W45, 2026-11, 2026-Q4.",
)
@click.option("--from", "date_from", help="First day (YYYY-MM-DD or DD.MM.YYYY).")
@click.option("--to", "date_to", help="Last day, inclusive.")
@click.option("--pipeline-id", type=int, help="Only this pipeline (local copy).")
@click.option(
    "--type-field",
    default="contract_type",
    show_default=True,
    help="Deal field for the 'by type' table (local copy): a mapped field or type_id.",
)
@click.option("--column-closed-at", default="closed_at", show_default=True)
@click.option("--column-amount", default="amount", show_default=True)
@click.option("--column-manager", default="manager", show_default=True)
@click.option("--column-source", default="source", show_default=True)
@click.option("--column-type", default="type", show_default=True)
@click.option("--compare/--no-compare", default=True, show_default=True, help="Compare with the previous period.")
@click.option("--lang", type=click.Choice(["ru", "en"]), help="Language of the titles (default CRM_LOCALE).")
@click.pass_context
def sales(ctx: click.Context, **options: Any) -> None:
    from crm.features.reports.sales import report
    from crm.lib.i18n import set_locale

    if options["lang"]:
        set_locale(options["lang"])
    output = Path(options["output_file"])
    if output.suffix.lower() not in OUTPUTS:
        fail(f"--output must end in {', '.join(OUTPUTS)}: {output.name}")
    day_from, day_to = _period(options)
    if options["input_file"]:
        rows, day_from, day_to = _file_rows(ctx, options, day_from, day_to)
    else:
        rows, day_from, day_to = _database_rows(options, day_from, day_to)
    figures = report(rows, day_from, day_to, compare=options["compare"])
    body = _drawn(figures, output.suffix.lower())
    try:
        output.write_bytes(body)
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}")
    _echo_summary(figures, output, body)


def _period(options: dict[str, Any]) -> tuple[date | None, date | None]:
    """The days asked for: --period, or --from and/or --to (either may be missing)."""
    from crm.features.reports.sales import parse_period
    from crm.lib.i18n import local_today

    if options["period"] and (options["date_from"] or options["date_to"]):
        fail("give either --period or --from/--to, not both")
    day_from, day_to = _day(options["date_from"], "--from"), _day(options["date_to"], "--to")
    if options["period"]:
        try:
            day_from, day_to = parse_period(options["period"], local_today())
        except ValueError as exc:
            fail(f"--period: {exc}")
    if day_from and day_to and day_from > day_to:
        fail("--from is after --to")
    return day_from, day_to


def _file_rows(
    ctx: click.Context, options: dict[str, Any], day_from: date | None, day_to: date | None
) -> tuple[Any, date, date]:
    """The sales of the input file; the period defaults to the file's span."""
    from crm.features.reports.sales_input import Columns, SalesInputError, read_sales
    from crm.lib.i18n import local_tz

    explicit = frozenset(
        key
        for key in ("manager", "source", "type")
        if ctx.get_parameter_source(f"column_{key}") != click.core.ParameterSource.DEFAULT
    )
    columns = Columns(
        closed_at=options["column_closed_at"],
        amount=options["column_amount"],
        manager=options["column_manager"],
        source=options["column_source"],
        type=options["column_type"],
        explicit=explicit,
    )
    try:
        rows = read_sales(options["input_file"], columns, local_tz())
    except SalesInputError as exc:
        fail(f"{options['input_file']}: {exc}")
    if not rows:
        fail(f"{options['input_file']}: no rows of sales")
    day_from = day_from or min(r.closed_on for r in rows)  # the file's span when no period is given
    day_to = day_to or max(max(r.closed_on for r in rows), day_from)
    return rows, day_from, day_to


def _database_rows(options: dict[str, Any], day_from: date | None, day_to: date | None) -> tuple[Any, date, date]:
    """The won deals of the local Bitrix24 copy; the period defaults to last month, one day given means that day."""
    from crm.features.reports.sales import parse_period
    from crm.features.reports.sales_data import sale_rows
    from crm.lib.i18n import local_today

    if not (day_from or day_to):
        day_from, day_to = parse_period("last-month", local_today())
    day_from, day_to = day_from or day_to, day_to or day_from
    assert day_from is not None and day_to is not None  # one of them was given, or the default period
    span = (day_from, day_to)

    async def load(session: Any) -> Any:
        return await sale_rows(
            session,
            None,
            span[0],
            span[1],
            options["pipeline_id"],
            options["type_field"],
            compare=options["compare"],
        )

    return run_async(lambda: with_session(load)), day_from, day_to


def _drawn(figures: Any, suffix: str) -> bytes:
    """The report in the output's format: charts (PNG), charts and tables (PDF), tables (XLSX, CSV)."""
    from crm.features.reports import charts, sales_output

    if suffix == ".png":
        return charts.report_png(figures)
    if suffix == ".pdf":
        return sales_output.pdf_report(figures)
    if suffix == ".xlsx":
        return sales_output.xlsx_report(figures)
    return sales_output.csv_report(figures, delimiter=";", decimal_comma=True)


def _echo_summary(figures: Any, output: Path, body: bytes) -> None:
    """The report's title and the top five of each table, on the terminal."""
    from crm.features.reports import charts, sales_output
    from crm.lib.i18n import fmt_number

    click.echo(f"{charts.title_of(figures)}: {charts.subtitle_of(figures)}")
    for title, lines in sales_output.tables(figures):
        click.echo(
            f"{title}: " + "; ".join(f"{charts.shown_name(x)} {fmt_number(x.sum, 2)} / {x.count}" for x in lines[:5])
        )
    click.echo(f"Written {output} ({len(body):,} bytes).")


# the commands this slice adds to `crm` (collected through crm.features.SLICES)
COMMANDS = [report_group]
