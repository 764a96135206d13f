"""The sales report as files: XLSX (one sheet per table), CSV (every table, one section column), PDF (the charts and
every table, fpdf2 with DejaVu Sans from matplotlib's fonts, so Cyrillic prints)."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.fonts import FontFace
from openpyxl import Workbook
from openpyxl.styles import Font

from crm.features.reports import charts
from crm.features.reports.sales import Figures, Line
from crm.lib.exports import ExportColumn, csv_bytes, neutralise
from crm.lib.i18n import fmt_date, fmt_number
from crm.lib.i18n import gettext as _


def tables(figures: Figures) -> list[tuple[str, list[Line]]]:
    return [
        (_("By manager"), figures.by_manager),
        (_("By source"), figures.by_source),
        (_("By type"), figures.by_type),
    ]


def _change(line: Line) -> Decimal | None:
    change = line.change
    return None if change is None else round(change * 100, 1)


def _columns() -> list[tuple[str, Callable[[Line], Any]]]:
    return [
        (_("Name"), charts.shown_name),
        (_("Sum"), lambda x: x.sum),
        (_("Deals"), lambda x: x.count),
        (_("Share") + ", %", lambda x: round(x.share * 100, 1)),
        (_("Average deal"), lambda x: x.average),
        (_("Previous period"), lambda x: x.previous_sum),
        (_("Change") + ", %", _change),
    ]


def _first(row: tuple[Any, Any]) -> Any:
    return row[0]


def _second_through(f: Any) -> Any:
    return lambda row: f(row[1])


def csv_report(figures: Figures, **dialect: Any) -> bytes:
    rows = [(title, line) for title, lines in tables(figures) for line in lines]
    rows.append((_("Total"), figures.total))
    columns = [ExportColumn(_("Table"), _first)]
    columns += [ExportColumn(label, _second_through(f)) for label, f in _columns()]
    return csv_bytes(rows, columns, **dialect)


def xlsx_report(figures: Figures) -> bytes:
    workbook = Workbook()
    summary = workbook.active
    summary.title = _("Summary")[:31]
    summary.append([charts.title_of(figures)])
    summary["A1"].font = Font(bold=True, size=13)
    summary.append([_("From"), figures.day_from])
    summary.append([_("To"), figures.day_to])
    summary.append([_("Total"), figures.total.sum])
    summary.append([_("Deals"), figures.total.count])
    summary.append([_("Average deal"), figures.total.average])
    if figures.previous is not None:
        summary.append([_("Previous period"), figures.previous_from, figures.previous_to])
        summary.append([_("Previous total"), figures.previous.sum, figures.previous.count])
        summary.append([_("Change") + ", %", _change(figures.total)])
    for row in summary.iter_rows(min_row=2, max_row=3, min_col=2):
        for cell in row:
            cell.number_format = "DD.MM.YYYY"
    for title, lines in tables(figures):
        sheet = workbook.create_sheet(title[:31])
        sheet.append([label for label, _f in _columns()])
        for line in lines:
            sheet.append([neutralise(f(line)) for _label, f in _columns()])
        sheet.append([_("Total"), figures.total.sum, figures.total.count, 100, figures.total.average])
        _style(sheet)
    days = workbook.create_sheet(_("By day")[:31])
    days.append([_("Date"), _("Sum"), _("Deals")])
    for day in figures.by_day:
        days.append([day.date, day.sum, day.count])
    for (cell,) in days.iter_rows(min_row=2, max_col=1):
        cell.number_format = "DD.MM.YYYY"
    _style(days)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _style(sheet: Any) -> None:
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.column_dimensions["A"].width = 36
    for letter in "BCDEFG":
        sheet.column_dimensions[letter].width = 16
    for row in sheet.iter_rows(min_row=2, min_col=2):
        for cell in row:
            if isinstance(cell.value, Decimal):
                cell.number_format = "#,##0.00"
    sheet.freeze_panes = "A2"


def _font_files() -> tuple[Path, Path]:
    import matplotlib

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    return folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"


def pdf_report(figures: Figures) -> bytes:
    """A4: title and totals, the charts, then the tables (headings repeated on a new page)."""
    logging.getLogger("fontTools").setLevel(logging.WARNING)  # font subsetting chatter, not news
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    regular, bold = _font_files()
    pdf.add_font("DejaVu", "", str(regular))
    pdf.add_font("DejaVu", "B", str(bold))
    pdf.set_auto_page_break(True, margin=14)
    pdf.set_title(charts.title_of(figures))
    pdf.set_creator("CRM")
    pdf.alias_nb_pages()
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 15)
    pdf.cell(0, 8, charts.title_of(figures), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    pdf.multi_cell(0, 5, charts.subtitle_of(figures), new_x="LMARGIN", new_y="NEXT")
    if figures.previous_from and figures.previous_to:
        pdf.set_text_color(90, 90, 90)
        pdf.cell(
            0,
            5,
            _("Previous period: %(a)s – %(b)s", a=fmt_date(figures.previous_from), b=fmt_date(figures.previous_to)),
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.set_text_color(0, 0, 0)
    pdf.ln(2)
    width = pdf.epw
    images = [charts.bars_png(_("By manager"), figures.by_manager), charts.bars_png(_("By source"), figures.by_source)]
    if figures.trend:
        images.append(charts.trend_png(figures.by_day))
    for image in images:
        pdf.image(io.BytesIO(image), w=width)
        pdf.ln(2)
    for title, lines in tables(figures):
        _table(pdf, title, lines, figures.total)
    _days_table(pdf, figures)
    return bytes(pdf.output())


def _table(pdf: FPDF, title: str, lines: list[Line], total: Line) -> None:
    pdf.set_font("DejaVu", "B", 11)
    pdf.ln(3)
    pdf.cell(0, 7, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 8)
    heading = FontFace(emphasis="BOLD", fill_color=(235, 239, 244))
    aligns = ("LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT")
    with pdf.table(
        col_widths=(46, 24, 14, 16, 24, 24, 22), text_align=aligns, headings_style=heading, line_height=5
    ) as table:
        table.row([label for label, _f in _columns()])
        for line in [*lines, total]:
            name = _("Total") if line is total else charts.shown_name(line)
            change = _change(line)
            table.row(
                [
                    name,
                    fmt_number(line.sum, 2),
                    fmt_number(line.count),
                    fmt_number(line.share * 100, 1),
                    fmt_number(line.average, 2),
                    "" if line.previous_sum is None else fmt_number(line.previous_sum, 2),
                    "" if change is None else f"{'+' if change > 0 else ''}{fmt_number(change, 1)}",
                ]
            )


def _days_table(pdf: FPDF, figures: Figures) -> None:
    pdf.set_font("DejaVu", "B", 11)
    pdf.ln(3)
    pdf.cell(0, 7, _("By day"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 8)
    heading = FontFace(emphasis="BOLD", fill_color=(235, 239, 244))
    with pdf.table(
        col_widths=(40, 40, 20),
        width=100,
        align="LEFT",
        text_align=("LEFT", "RIGHT", "RIGHT"),
        headings_style=heading,
        line_height=5,
    ) as table:
        table.row([_("Date"), _("Sum"), _("Deals")])
        for day in figures.by_day:
            table.row([fmt_date(day.date), fmt_number(day.sum, 2), fmt_number(day.count)])
