"""A client's monthly detail sheet as the client receives it: PDF (fpdf2, a Cyrillic TTF font), XLSX, CSV.

The PDF and XLSX are documents: the sender's requisites, the month and the client in the title, the totals at the
top, then every telegram (by the number the office gives it, not a database id) with its charges; the PDF repeats
the table's headings on every page and numbers the pages. The CSV stays as the old tool sent it (";", decimal
comma), one line per charge.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from crm.features.tariffs.billing import Detail
from crm.features.tariffs.models import RegistryRecord, Telegram
from crm.features.tariffs.sender import Sender, sender
from crm.lib.exports import ExportColumn, csv_bytes, neutralise
from crm.lib.i18n import fmt_date, fmt_money, fmt_month, local_tz, month_name
from crm.lib.i18n import gettext as _

FONTS = Path(__file__).with_name("fonts")
# Regular and bold faces with Cyrillic: the bundled DejaVu first, then Debian's fonts-dejavu-core / fonts-liberation.
FONT_CANDIDATES = [
    (FONTS / "DejaVuSans.ttf", FONTS / "DejaVuSans-Bold.ttf"),
    (
        Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
        Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    ),
    (
        Path("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf"),
        Path("/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf"),
    ),
]


def font_files() -> tuple[Path, Path]:
    """The first regular + bold pair present on this machine."""
    for regular, bold in FONT_CANDIDATES:
        if regular.is_file() and bold.is_file():
            return regular, bold
    raise RuntimeError("No TTF font with Cyrillic found (install fonts-dejavu-core)")


# --------------------------------------------------------------------------- the figures, by telegram


def telegram_number(t: Telegram) -> str:
    """The number the office gives the telegram in its journal (the input number), as a customer sees it."""
    return str(t.inp_num) if t.inp_num is not None else t.un_name


def destination(r: RegistryRecord) -> str:
    return (r.country.name + ": " if r.country else "") + " ".join((r.telegram.address or "").split())


@dataclass
class TelegramCharges:
    time: datetime
    number: str
    destination: str
    charges: list[tuple[str, int, Decimal]] = field(default_factory=list)
    total: Decimal = Decimal(0)
    vat: Decimal = Decimal(0)
    total_with_vat: Decimal = Decimal(0)


def telegrams(detail: Detail) -> list[TelegramCharges]:
    """Each telegram's charges (delivery, words × count, notification, blank, ВРУЧИТЬ, paid reply) and totals."""
    out = []
    for r in detail.rows:
        items = [
            (_("Words × %(n)s", n=r.words), r.words, r.words_amount),
            (_("Notification"), 1, r.notification_amount),
            (_("Artistic blank"), 1, r.blank_amount),
            (_("Delivery on a set date (ВРУЧИТЬ)"), 1, r.deliver_on_date_amount),
            (_("Paid reply"), 1, r.paid_reply_amount),
        ]
        charges = [(_("Delivery"), 1, r.delivery_amount)] + [item for item in items if item[2] != 0]
        out.append(
            TelegramCharges(
                r.telegram.inp_gate_date,
                telegram_number(r.telegram),
                destination(r),
                charges,
                r.total,
                r.vat,
                r.total_with_vat,
            )
        )
    return out


@dataclass
class Line:
    time: datetime | None
    telegram: str
    destination: str
    item: str
    quantity: int | None
    amount: Decimal | None
    vat: Decimal | None = None
    total_with_vat: Decimal | None = None


def lines(detail: Detail) -> list[Line]:
    """One line per charge, a total line per telegram and the month's total (the CSV and the screen)."""
    out: list[Line] = []
    for t in telegrams(detail):
        for index, (label, quantity, amount) in enumerate(t.charges):
            first = index == 0
            out.append(
                Line(
                    t.time if first else None,
                    t.number if first else "",
                    t.destination if first else "",
                    label,
                    quantity,
                    amount,
                )
            )
        out.append(Line(None, "", "", _("Telegram total"), None, t.total, t.vat, t.total_with_vat))
    out.append(
        Line(None, "", "", _("Total for the month"), len(detail.rows), detail.total, detail.vat, detail.total_with_vat)
    )
    return out


def _columns() -> list[ExportColumn]:
    return [
        ExportColumn(_("Time"), lambda x: x.time),
        ExportColumn(_("Telegram No."), lambda x: x.telegram),
        ExportColumn(_("Destination"), lambda x: x.destination),
        ExportColumn(_("Charge"), lambda x: x.item),
        ExportColumn(_("Quantity"), lambda x: x.quantity),
        ExportColumn(_("Amount"), lambda x: x.amount),
        ExportColumn(_("VAT"), lambda x: x.vat),
        ExportColumn(_("With VAT"), lambda x: x.total_with_vat),
    ]


def filename(detail: Detail, ext: str) -> str:
    return f"detail-{detail.client.code}-{detail.month:%Y-%m}.{ext}"


def title(detail: Detail) -> str:
    month = f"{month_name(detail.month.month)} {detail.month.year}"
    return _("Detail of paid telegrams for %(month)s", month=month)


def client_line(detail: Detail) -> str:
    c = detail.client
    name = c.full_name or c.short_name
    return _("Client: %(code)s %(name)s", code=c.code, name=name) + (
        " · " + _("INN %(inn)s", inn=c.inn) if c.inn else ""
    )


def period(detail: Detail) -> str:
    first = detail.month
    last = (date(first.year + first.month // 12, first.month % 12 + 1, 1)).toordinal() - 1
    return _("Period: %(start)s – %(end)s", start=fmt_date(first), end=fmt_date(date.fromordinal(last)))


def summary(detail: Detail) -> list[tuple[str, str]]:
    return [
        (_("Telegrams"), str(len(detail.rows))),
        (_("Total without VAT"), fmt_money(detail.total)),
        (_("VAT"), fmt_money(detail.vat)),
        (_("Total with VAT"), fmt_money(detail.total_with_vat)),
    ]


def to_csv(detail: Detail) -> bytes:
    return csv_bytes(lines(detail), _columns(), delimiter=";", decimal_comma=True)


# --------------------------------------------------------------------------- XLSX

MONEY_FORMAT = "#,##0.00"
TIME_FORMAT = "DD.MM.YYYY HH:MM"
XLSX_WIDTHS = (17, 12, 60, 34, 10, 14, 12, 14)


def _xlsx_rows(detail: Detail) -> Iterator[tuple[list[object], bool]]:
    for line in lines(detail):
        time = line.time.astimezone(local_tz()).replace(tzinfo=None) if line.time else None
        row: list[object] = [
            time,
            line.telegram,
            neutralise(line.destination),
            line.item,
            line.quantity,
            line.amount,
            line.vat,
            line.total_with_vat,
        ]
        yield row, line.vat is not None


def to_xlsx(detail: Detail) -> bytes:
    """A title row, the sender and the client, the totals, then the table: frozen headings, widths, money formats."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = f"{detail.client.code} {detail.month:%Y-%m}"
    bold = Font(bold=True)
    _xlsx_head(sheet, detail, bold)
    _xlsx_totals(sheet, detail, bold)
    header_row = _xlsx_table(sheet, detail, bold)
    for index, column_width in enumerate(XLSX_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column_width
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _xlsx_head(sheet: Worksheet, detail: Detail, bold: Font) -> None:
    """The title, the sender (when set), the client and the period, each a row across the table's width."""
    width = len(XLSX_WIDTHS)
    head: list[tuple[str, Font | None]] = [(title(detail), Font(bold=True, size=14))]
    who = sender()
    if who.configured:
        head.append((_("Sender: %(name)s", name=who.name) + "".join(f" · {x}" for x in who.details()), None))
    head += [(client_line(detail), bold), (period(detail), None)]
    for text, font in head:
        sheet.append([neutralise(text)])
        cell = sheet.cell(row=sheet.max_row, column=1)
        if font:
            cell.font = font
        sheet.merge_cells(start_row=sheet.max_row, start_column=1, end_row=sheet.max_row, end_column=width)
    sheet.row_dimensions[1].height = 22


def _xlsx_totals(sheet: Worksheet, detail: Detail, bold: Font) -> None:
    """The totals at the top: a label and its figure, side by side."""
    totals = [
        (_("Telegrams"), len(detail.rows), "0"),
        (_("Total without VAT"), detail.total, MONEY_FORMAT),
        (_("VAT"), detail.vat, MONEY_FORMAT),
        (_("Total with VAT"), detail.total_with_vat, MONEY_FORMAT),
    ]
    sheet.append([])
    for label, value, number_format in totals:
        sheet.append([label, value])
        sheet.cell(row=sheet.max_row, column=1).font = bold
        figure = sheet.cell(row=sheet.max_row, column=2)
        figure.number_format, figure.font = number_format, bold


def _xlsx_table(sheet: Worksheet, detail: Detail, bold: Font) -> int:
    """The headings and the rows (each telegram's total in bold); returns the headings' row."""
    sheet.append([])
    sheet.append([c.label for c in _columns()])
    header_row = int(sheet.max_row)
    fill = PatternFill("solid", fgColor="E8ECF2")
    for cell in sheet[header_row]:
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(vertical="center", wrap_text=True)
        cell.border = Border(bottom=Side(style="thin"))
    for row, is_total in _xlsx_rows(detail):
        sheet.append(row)
        cells = sheet[sheet.max_row]
        cells[0].number_format = TIME_FORMAT
        cells[2].alignment = Alignment(wrap_text=True, vertical="top")
        for cell in cells[5:]:
            cell.number_format = MONEY_FORMAT
        if is_total:
            for cell in cells:
                cell.font = bold
    return header_row


# --------------------------------------------------------------------------- PDF

PDF_WIDTHS = (24, 28, 86, 52, 15, 24, 21, 27)  # mm, 277 in all: A4 landscape within 10 mm margins
PDF_NUMERIC = {4, 5, 6, 7}


class _Document(FPDF):
    """A4 landscape with a footer on every page: who sent it, to whom, for when, and "page n of N"."""

    footer_text = ""

    def footer(self) -> None:
        self.set_y(-11)
        self.set_font("Sheet", "", 7.5)
        self.set_text_color(90)
        self.cell(0, 5, self.footer_text, align="L")
        self.set_x(self.l_margin)
        self.cell(0, 5, _("Page %(page)s of %(pages)s", page=self.page_no(), pages="{nb}"), align="R")
        self.set_text_color(0)


def _money(value: Decimal | None) -> str:
    return "" if value is None else fmt_money(value)


def _pdf_head(pdf: _Document, detail: Detail, who: Sender) -> None:
    if who.configured:
        pdf.set_font("Sheet", "B", 11)
        pdf.multi_cell(0, 5.5, who.name, align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Sheet", "", 8.5)
        for text in who.details():
            pdf.multi_cell(0, 4.2, text, align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1.5)
        pdf.set_draw_color(150)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
        pdf.set_draw_color(0)
        pdf.ln(3)
    pdf.set_font("Sheet", "B", 15)
    pdf.multi_cell(0, 7.5, title(detail), align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Sheet", "B", 10.5)
    pdf.multi_cell(0, 5.5, client_line(detail), align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Sheet", "", 9)
    extra = [period(detail)] + ([detail.client.email] if detail.client.email else [])
    pdf.multi_cell(0, 5, " · ".join(extra), align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2.5)
    # the totals first: what the client pays, before the detail of how
    pdf.set_font("Sheet", "", 9)
    with pdf.table(
        width=160,
        align="LEFT",
        col_widths=(40, 40, 40, 40),
        text_align=("RIGHT", "RIGHT", "RIGHT", "RIGHT"),
        headings_style=FontFace(emphasis="", size_pt=8, color=80, fill_color=(236, 240, 245)),
        line_height=5.5,
        padding=(1, 2),
    ) as table:
        items = summary(detail)
        table.row([label for label, _value in items])
        total = table.row()
        for index, (_label, value) in enumerate(items):
            total.cell(value, style=FontFace(emphasis="BOLD", size_pt=11 if index == 3 else 9.5))
    pdf.ln(4)


def to_pdf(detail: Detail) -> bytes:
    who = sender()
    pdf = _pdf_document(detail, who)
    pdf.add_page()
    _pdf_head(pdf, detail, who)
    _pdf_table(pdf, detail)
    return bytes(pdf.output())


def _pdf_document(detail: Detail, who: Sender) -> _Document:
    """An empty A4 landscape document with the fonts, the properties and the footer's text."""
    regular, bold = font_files()
    pdf = _Document(orientation="L", format="A4")
    pdf.set_margins(10, 10, 10)
    pdf.set_auto_page_break(True, margin=14)
    pdf.add_font("Sheet", "", str(regular))
    pdf.add_font("Sheet", "B", str(bold))
    client = detail.client
    pdf.set_title(f"{title(detail)} · {client.code} {client.full_name or client.short_name}")
    pdf.set_subject(client.full_name or client.short_name)
    pdf.set_author(who.name or "CRM")
    pdf.set_creator("CRM")
    pdf.footer_text = " · ".join(
        part for part in (who.name, f"{client.code} {client.short_name}", fmt_month(detail.month)) if part
    )
    return pdf


def _pdf_table(pdf: _Document, detail: Detail) -> None:
    """Each telegram's charges (its time, number and destination spanning them) and its total; the month's total."""
    headings = [c.label for c in _columns()]
    headings[4] = _("Qty")  # "Quantity" would break inside the word in a narrow numeric column
    pdf.set_font("Sheet", "", 8)
    align = tuple("RIGHT" if i in PDF_NUMERIC else "LEFT" for i in range(len(PDF_WIDTHS)))
    total_style = FontFace(emphasis="BOLD", fill_color=(246, 247, 249))
    with pdf.table(
        col_widths=PDF_WIDTHS,
        width=sum(PDF_WIDTHS),
        text_align=align,
        v_align="TOP",
        line_height=3.8,
        padding=(0.9, 1.5),
        headings_style=FontFace(emphasis="BOLD", fill_color=(225, 231, 239)),
        repeat_headings=1,
        borders_layout="HORIZONTAL_LINES",
    ) as table:
        table.row(headings)
        for t in telegrams(detail):
            span = len(t.charges) + 1
            when = t.time.astimezone(local_tz())
            for index, (label, quantity, amount) in enumerate(t.charges):
                row = table.row()
                if index == 0:
                    row.cell(f"{when:%d.%m.%Y}\n{when:%H:%M}", rowspan=span)
                    row.cell(t.number, rowspan=span)
                    row.cell(t.destination, rowspan=span)
                row.cell(label)
                row.cell(str(quantity))
                row.cell(_money(amount))
                row.cell("")
                row.cell("")
            row = table.row(style=total_style)
            row.cell(_("Telegram total"))
            row.cell("")
            row.cell(_money(t.total))
            row.cell(_money(t.vat))
            row.cell(_money(t.total_with_vat))
        row = table.row(style=FontFace(emphasis="BOLD", fill_color=(225, 231, 239)))
        row.cell(_("Total for the month"), colspan=4, align="RIGHT")
        row.cell(str(len(detail.rows)))
        row.cell(_money(detail.total))
        row.cell(_money(detail.vat))
        row.cell(_money(detail.total_with_vat))
