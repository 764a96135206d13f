"""PDFs of the sales analysis (fpdf2, DejaVu fonts for Cyrillic): the client table and the dashboard (bars drawn as
rectangles: target hatched-grey, actual solid; the numbers in a table below)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fpdf import FPDF

from crm.lib.i18n import N_, fmt_date, fmt_number, month_name
from crm.lib.i18n import gettext as _

MAX_ROWS = 2000
WIDTHS = {
    "code": 20,
    "name": 60,
    "revenue": 28,
    "i1": 15,
    "i2": 15,
    "i3": 15,
    "i4": 15,
    "abc": 10,
    "category": 30,
    "reason": 28,
    "last_purchase": 30,
    "responsible": 34,
}
LABELS = {
    "code": N_("Code"),
    "name": N_("Client"),
    "revenue": N_("Revenue"),
    "i1": "I1",
    "i2": "I2",
    "i3": "I3",
    "i4": "I4",
    "abc": "ABC",
    "category": N_("Category"),
    "reason": N_("Reason"),
    "last_purchase": N_("Last purchase"),
    "responsible": N_("Responsible"),
}
NUMERIC = ("revenue", "i1", "i2", "i3", "i4")


def _fonts() -> tuple[Path, Path]:
    import matplotlib

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    return folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"


def _document(title: str, orientation: str = "landscape") -> FPDF:
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    pdf = FPDF(orientation=orientation, unit="mm", format="A4")
    regular, bold = _fonts()
    pdf.add_font("DejaVu", "", str(regular))
    pdf.add_font("DejaVu", "B", str(bold))
    pdf.set_auto_page_break(True, margin=12)
    pdf.set_title(title)
    pdf.set_creator("CRM")
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 14)
    pdf.cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
    return pdf


def _cell_text(key: str, value: Any) -> str:
    if value is None:
        return "—"
    if key == "revenue":
        return fmt_number(value, 2)
    if key in NUMERIC:
        return fmt_number(value, 1)
    if key == "last_purchase":
        return fmt_date(value, "short")
    if key == "category":
        return _(str(value))
    return str(value)


def _fit(pdf: FPDF, text: str, width: float) -> str:
    while text and pdf.get_string_width(text) > width - 1.5:
        text = text[:-2] + "…" if len(text) > 2 else ""
    return text


def table_pdf(query: Any, cols: Sequence[str], rows: Sequence[Any], variable_label: str) -> bytes:
    title = _("Clients: %(variable)s, %(month)s", variable=variable_label, month=f"{query.month:%m.%Y}")
    if query.family:
        title += f" · {query.family}"
    pdf = _document(title)
    keys = ["code", "name", *cols]
    scale = min(1.0, (pdf.w - pdf.l_margin - pdf.r_margin) / sum(WIDTHS[k] for k in keys))
    widths = {k: WIDTHS[k] * scale for k in keys}

    def header() -> None:
        pdf.set_font("DejaVu", "B", 8)
        pdf.set_fill_color(235, 238, 243)
        for k in keys:
            pdf.cell(
                widths[k],
                6,
                _fit(pdf, _(LABELS[k]), widths[k]),
                border=1,
                fill=True,
                align="R" if k in NUMERIC else "L",
            )
        pdf.ln()
        pdf.set_font("DejaVu", "", 8)

    header()
    for row in rows:
        if pdf.will_page_break(5):
            pdf.add_page()
            header()
        for k in keys:
            text = _cell_text(k, getattr(row, k))
            pdf.cell(widths[k], 5, _fit(pdf, text, widths[k]), border=1, align="R" if k in NUMERIC else "L")
        pdf.ln()
    pdf.ln(2)
    pdf.set_font("DejaVu", "", 8)
    pdf.cell(0, 5, _("Rows: %(count)s", count=len(rows)), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def dashboard_pdf(board: Any, label: str) -> bytes:
    digits = 2 if board.variable == "revenue" else 0
    title = f"{label} · {board.year}" + (f" · {board.family}" if board.family else "")
    pdf = _document(title, "portrait")
    pdf.set_font("DejaVu", "", 10)
    total = board.total
    line = _("Actual %(actual)s", actual=fmt_number(total.actual, digits))
    if total.target:
        line += " · " + _("target %(target)s", target=fmt_number(total.target, digits))
        line += f" · {fmt_number(total.percent, 1)} %"
    pdf.cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    _month_bars(pdf, board)
    pdf.ln(3)
    _month_table(pdf, board, digits)
    if board.families:
        _families_table(pdf, board, digits)
    return bytes(pdf.output())


def _month_bars(pdf: Any, board: Any) -> None:
    """Each month's target and actual as a pair of bars, scaled to the board's peak, with a legend below."""
    left, top, height = pdf.l_margin + 2, pdf.get_y() + 4, 55.0
    width = (pdf.w - pdf.l_margin - pdf.r_margin - 4) / 12
    peak = float(board.peak) or 1.0
    pdf.set_draw_color(120, 120, 120)
    pdf.line(left, top + height, left + width * 12, top + height)
    for i, m in enumerate(board.months):
        x = left + i * width
        target = float(m.target or 0) / peak * height
        actual = max(0.0, float(m.actual) / peak * height)
        pdf.set_fill_color(201, 217, 234)
        if target > 0:
            pdf.rect(x + width * 0.12, top + height - target, width * 0.36, target, style="DF")
        pdf.set_fill_color(47, 111, 176)
        if actual > 0:
            pdf.rect(x + width * 0.52, top + height - actual, width * 0.36, actual, style="F")
        pdf.set_font("DejaVu", "", 7)
        pdf.set_xy(x, top + height + 1)
        pdf.cell(width, 4, month_name(m.month, "abbreviated"), align="C")
    pdf.set_xy(pdf.l_margin, top + height + 7)
    pdf.set_font("DejaVu", "", 8)
    pdf.set_fill_color(201, 217, 234)
    pdf.rect(pdf.l_margin, pdf.get_y() + 1, 3, 3, style="DF")
    pdf.set_x(pdf.l_margin + 4)
    pdf.cell(30, 5, _("Target"))
    pdf.set_fill_color(47, 111, 176)
    pdf.rect(pdf.get_x(), pdf.get_y() + 1, 3, 3, style="F")
    pdf.set_x(pdf.get_x() + 4)
    pdf.cell(30, 5, _("Actual"), new_x="LMARGIN", new_y="NEXT")


def _month_table(pdf: Any, board: Any, digits: int) -> None:
    """Target, actual and completion per month and for the year."""
    total = board.total
    cols = [(_("Month"), 40, "L"), (_("Target"), 45, "R"), (_("Actual"), 45, "R"), (_("Completion"), 30, "R")]
    pdf.set_font("DejaVu", "B", 9)
    for text, w, align in cols:
        pdf.cell(w, 6, text, border=1, align=align)
    pdf.ln()
    pdf.set_font("DejaVu", "", 9)
    for m in [*board.months, total]:
        name = month_name(m.month) if m.month else _("Year")
        values = [
            name,
            fmt_number(m.target, digits) if m.target is not None else "—",
            fmt_number(m.actual, digits),
            f"{fmt_number(m.percent, 1)} %" if m.percent is not None else "—",
        ]
        for (_t, w, align), text in zip(cols, values, strict=True):
            pdf.cell(w, 5.5, text, border=1, align=align)
        pdf.ln()


def _families_table(pdf: Any, board: Any, digits: int) -> None:
    """The year's actual by product family (the first 30)."""
    pdf.ln(3)
    pdf.set_font("DejaVu", "B", 10)
    pdf.cell(0, 6, _("By product family"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9)
    for family, value in board.families[:30]:
        pdf.cell(80, 5.5, family or _("no family"), border=1)
        pdf.cell(45, 5.5, fmt_number(value, digits), border=1, align="R")
        pdf.ln()
