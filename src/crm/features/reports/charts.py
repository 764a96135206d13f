"""The sales report's charts without a browser (matplotlib, Agg): bars by manager and by source, the daily trend
for periods over a week; PNG for the command line and the PDF. DejaVu Sans (bundled with matplotlib) has Cyrillic.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from decimal import Decimal

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from crm.features.reports.sales import DayLine, Figures, Line
from crm.lib.i18n import fmt_date, fmt_number
from crm.lib.i18n import gettext as _

FONT = "DejaVu Sans"
BAR = "#2f6fb0"
TREND = "#1d7a4f"
TOP = 12  # bars shown; the rest are summed as "others"


def shown_name(line: Line) -> str:
    return _("unknown") if line.unknown else line.name


def top_lines(lines: Sequence[Line], n: int = TOP) -> list[tuple[str, Decimal, int]]:
    """Names, sums and counts of the ``n - 1`` largest lines and "others" when there are more than ``n``."""
    shown = [(shown_name(x), x.sum, x.count) for x in lines]
    if len(shown) <= n:
        return shown
    rest = shown[n - 1 :]
    return [
        *shown[: n - 1],
        (_("others (%(n)s)", n=len(rest)), sum((r[1] for r in rest), Decimal(0)), sum(r[2] for r in rest)),
    ]


def _money_axis(ax: object) -> FuncFormatter:
    return FuncFormatter(lambda value, _pos: fmt_number(value))


def _bars(ax: object, title: str, lines: Sequence[Line]) -> None:
    data = list(reversed(top_lines(lines)))  # largest on top
    names = [_short(n) for n, _s, _c in data]
    sums = [float(s) for _n, s, _c in data]
    ax.set_title(title, loc="left", fontsize=11, fontweight="bold")  # type: ignore[attr-defined]
    if not data:
        ax.text(0.5, 0.5, _("No won deals in this period."), ha="center", va="center", transform=ax.transAxes)  # type: ignore[attr-defined]
        ax.set_axis_off()  # type: ignore[attr-defined]
        return
    # "others" (the sum of many people) is listed with its figures but not drawn: as a bar it would dwarf everyone
    others = len(lines) > TOP
    drawn = [0.0 if others and i == 0 else v for i, v in enumerate(sums)]
    bars = ax.barh(names, drawn, color=BAR)  # type: ignore[attr-defined]
    labels = [f"{fmt_number(s)} · {fmt_number(c)}" for _n, s, c in data]
    ax.bar_label(bars, labels=labels, padding=3, fontsize=8)  # type: ignore[attr-defined]
    ax.xaxis.set_major_formatter(_money_axis(ax))  # type: ignore[attr-defined]
    ax.set_xlim(0, max(drawn) * 1.3 or 1)  # type: ignore[attr-defined]
    ax.tick_params(labelsize=8)  # type: ignore[attr-defined]
    ax.grid(axis="x", alpha=0.3)  # type: ignore[attr-defined]
    ax.spines[["top", "right"]].set_visible(False)  # type: ignore[attr-defined]


def _trend(ax: object, days: Sequence[DayLine]) -> None:
    ax.set_title(_("Daily sums"), loc="left", fontsize=11, fontweight="bold")  # type: ignore[attr-defined]
    xs = [d.date for d in days]
    ys = [float(d.sum) for d in days]
    ax.plot(xs, ys, color=TREND, marker="o", markersize=3, linewidth=1.5)  # type: ignore[attr-defined]
    ax.fill_between(xs, ys, color=TREND, alpha=0.08)  # type: ignore[attr-defined]
    ax.yaxis.set_major_formatter(_money_axis(ax))  # type: ignore[attr-defined]
    step = max(1, len(xs) // 10)
    ax.set_xticks(xs[::step], [fmt_date(x, "dd.MM") for x in xs[::step]])  # type: ignore[attr-defined]
    ax.set_ylim(bottom=0)  # type: ignore[attr-defined]
    ax.tick_params(labelsize=8)  # type: ignore[attr-defined]
    ax.grid(alpha=0.3)  # type: ignore[attr-defined]
    ax.spines[["top", "right"]].set_visible(False)  # type: ignore[attr-defined]


def _short(name: str, width: int = 28) -> str:
    return name if len(name) <= width else name[: width - 1] + "…"


def title_of(figures: Figures) -> str:
    period = fmt_date(figures.day_from)
    if figures.day_to != figures.day_from:
        period = f"{period} – {fmt_date(figures.day_to)}"
    return _("Sales: %(period)s", period=period)


def subtitle_of(figures: Figures) -> str:
    text = _(
        "Total %(sum)s, %(count)s won deals",
        sum=fmt_number(figures.total.sum, 2),
        count=fmt_number(figures.total.count),
    )
    if figures.previous is not None:
        text += " · " + _("previous period %(sum)s", sum=fmt_number(figures.previous.sum, 2))
        change = figures.total.change
        if change is not None:
            text += f" ({'+' if change >= 0 else ''}{fmt_number(change * 100, 1)} %)"
    return text


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    FigureCanvasAgg(fig).print_png(buffer)
    return buffer.getvalue()


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), dpi=150, layout="constrained")
    fig.set_facecolor("white")
    return fig


def _rows_height(lines: Sequence[Line]) -> float:
    return 0.9 + 0.28 * max(1, len(top_lines(lines)))


def report_png(figures: Figures) -> bytes:
    """One picture: title and total, bars by manager and by source, the trend line for periods over a week."""
    heights = [_rows_height(figures.by_manager), _rows_height(figures.by_source)]
    if figures.trend:
        heights.append(2.6)
    fig = _figure(10, sum(heights) + 0.9)
    fig.suptitle(f"{title_of(figures)}\n{subtitle_of(figures)}", fontsize=12, x=0.01, ha="left", family=FONT)
    axes = fig.subplots(len(heights), 1, height_ratios=heights, squeeze=False)[:, 0]
    _bars(axes[0], _("By manager"), figures.by_manager)
    _bars(axes[1], _("By source"), figures.by_source)
    if figures.trend:
        _trend(axes[2], figures.by_day)
    return _png(fig)


def bars_png(title: str, lines: Sequence[Line]) -> bytes:
    fig = _figure(9, _rows_height(lines))
    _bars(fig.add_subplot(), title, lines)
    return _png(fig)


def trend_png(days: Sequence[DayLine]) -> bytes:
    fig = _figure(9, 2.8)
    _trend(fig.add_subplot(), days)
    return _png(fig)
