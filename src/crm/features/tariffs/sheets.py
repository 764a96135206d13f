"""A client's monthly detail sheet: PDF (fpdf2, bundled DejaVu font for Cyrillic), XLSX, CSV (";", decimal comma)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from crm.features.tariffs.billing import Detail
from crm.lib.exports import ExportColumn, csv_bytes, xlsx_bytes
from crm.lib.i18n import gettext as _
from crm.lib.i18n import local_tz

FONTS = Path(__file__).with_name("fonts")


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
    """Each telegram's charges (delivery, words × count, notification, blank, ВРУЧИТЬ, paid reply) and its totals."""
    out: list[Line] = []
    for r in detail.rows:
        t = r.telegram
        items = [
            (_("Delivery"), 1, r.delivery_amount),
            (_("Words × %(n)s", n=r.words), r.words, r.words_amount),
            (_("Notification"), 1, r.notification_amount),
            (_("Artistic blank"), 1, r.blank_amount),
            (_("Delivery on a set date (ВРУЧИТЬ)"), 1, r.deliver_on_date_amount),
            (_("Paid reply"), 1, r.paid_reply_amount),
        ]
        destination = (r.country.name + ": " if r.country else "") + (t.address or "")[:80]
        first = True
        for label, quantity, amount in items:
            if amount == 0 and label != _("Delivery"):
                continue
            out.append(
                Line(
                    t.inp_gate_date if first else None,
                    t.un_name if first else "",
                    destination if first else "",
                    label,
                    quantity,
                    amount,
                )
            )
            first = False
        out.append(Line(None, "", "", _("Telegram total"), None, r.total, r.vat, r.total_with_vat))
    out.append(
        Line(
            None,
            "",
            "",
            _("Total for the month"),
            len(detail.rows),
            detail.total,
            detail.vat,
            detail.total_with_vat,
        )
    )
    return out


def _columns() -> list[ExportColumn]:
    return [
        ExportColumn(_("Time"), lambda x: x.time),
        ExportColumn(_("Telegram"), lambda x: x.telegram),
        ExportColumn(_("Destination"), lambda x: x.destination),
        ExportColumn(_("Charge"), lambda x: x.item),
        ExportColumn(_("Quantity"), lambda x: x.quantity),
        ExportColumn(_("Amount"), lambda x: x.amount),
        ExportColumn(_("VAT"), lambda x: x.vat),
        ExportColumn(_("With VAT"), lambda x: x.total_with_vat),
    ]


def filename(detail: Detail, ext: str) -> str:
    return f"detail-{detail.client.code}-{detail.month:%Y-%m}.{ext}"


def to_csv(detail: Detail) -> bytes:
    return csv_bytes(lines(detail), _columns(), delimiter=";", decimal_comma=True)


def to_xlsx(detail: Detail) -> bytes:
    return xlsx_bytes(lines(detail), _columns(), title=f"{detail.client.code} {detail.month:%Y-%m}")


def _money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:,.2f}".replace(",", "\u00a0").replace(".", ",")


def to_pdf(detail: Detail) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(orientation="L", format="A4")
    pdf.set_title(f"{detail.client.code} {detail.client.short_name} {detail.month:%Y-%m}")
    pdf.set_subject(detail.client.full_name or detail.client.short_name)
    pdf.set_author("CRM")
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(True, margin=12)
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 13)
    pdf.cell(
        0,
        8,
        _("Detail of paid telegrams for %(month)s", month=f"{detail.month:%m.%Y}"),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font("DejaVu", "", 10)
    client = detail.client
    pdf.cell(
        0,
        6,
        f"{client.code} · {client.full_name or client.short_name}" + (f" · ИНН {client.inn}" if client.inn else ""),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(2)
    widths = (30, 28, 90, 55, 16, 22, 18, 18)
    headers = [c.label for c in _columns()]
    pdf.set_font("DejaVu", "B", 8)
    for width, title in zip(widths, headers, strict=True):
        pdf.cell(width, 6, title, border=1)
    pdf.ln()
    pdf.set_font("DejaVu", "", 8)
    for line in lines(detail):
        bold = line.vat is not None
        pdf.set_font("DejaVu", "B" if bold else "", 8)
        cells = [
            line.time.astimezone(local_tz()).strftime("%d.%m.%Y %H:%M") if line.time else "",
            line.telegram,
            line.destination[:60],
            line.item,
            "" if line.quantity is None else str(line.quantity),
            _money(line.amount),
            _money(line.vat),
            _money(line.total_with_vat),
        ]
        for index, (width, text) in enumerate(zip(widths, cells, strict=True)):
            pdf.cell(width, 5, text, border=1, align="R" if index >= 4 else "L")
        pdf.ln()
    return bytes(pdf.output())
