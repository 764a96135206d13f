"""The words of a scheduled report: the figures as a short message (Telegram HTML, Bitrix24 BB-code, plain text for
email), with the period, the total against the previous period and the leading managers and sources; a period
without sales says so."""

from __future__ import annotations

from html import escape

from crm.features.reports import charts
from crm.features.reports.sales import Figures, Line
from crm.lib.i18n import fmt_date, fmt_number
from crm.lib.i18n import gettext as _

TOP = 5


def _lines(lines: list[Line]) -> list[str]:
    shown = [f"{charts.shown_name(x)} — {fmt_number(x.sum, 2)} ({x.count})" for x in lines[:TOP]]
    if len(lines) > TOP:
        shown.append(_("and %(n)s more", n=len(lines) - TOP))
    return shown


def period_of(figures: Figures) -> str:
    if figures.day_from == figures.day_to:
        return fmt_date(figures.day_from)
    return f"{fmt_date(figures.day_from)} – {fmt_date(figures.day_to)}"


def parts(figures: Figures, name: str) -> list[tuple[str, str]]:
    """(style, text) pairs: "title", "line", "heading", "item"."""
    result = [("title", f"{name}: {period_of(figures)}")]
    if not figures.total.count:
        result.append(("line", _("No won deals in this period.")))
        return result
    result.append(("line", charts.subtitle_of(figures)))
    result.append(("heading", _("By manager")))
    result += [("item", x) for x in _lines(figures.by_manager)]
    result.append(("heading", _("By source")))
    result += [("item", x) for x in _lines(figures.by_source)]
    return result


def telegram_html(figures: Figures, name: str) -> str:
    out = []
    for style, text in parts(figures, name):
        text = escape(text, quote=False)
        out.append(f"<b>{text}</b>" if style in ("title", "heading") else f"• {text}" if style == "item" else text)
    return "\n".join(out)


def bitrix_bb(figures: Figures, name: str) -> str:
    out = []
    for style, text in parts(figures, name):
        text = text.replace("[", "(").replace("]", ")")  # no BB-code from names
        out.append(f"[B]{text}[/B]" if style in ("title", "heading") else f"• {text}" if style == "item" else text)
    return "\n".join(out)


def plain(figures: Figures, name: str) -> str:
    """The email's text: the figures, then a word on the attachment."""
    out = []
    for style, text in parts(figures, name):
        out.append(f"  • {text}" if style == "item" else text)
        if style == "title":
            out.append("")
    out += ["", _("The report with its charts and tables is attached as a PDF.")]
    return "\n".join(out)


def subject(figures: Figures, name: str) -> str:
    return f"{name}: {period_of(figures)}"


def file_stem(figures: Figures) -> str:
    return f"sales_{figures.day_from.isoformat()}_{figures.day_to.isoformat()}"
