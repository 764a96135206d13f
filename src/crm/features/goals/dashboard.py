"""The sales-analysis dashboard of a variable: target vs actual by month (bars and a table), % of goal, by family,
and the variable's own breakdowns (new clients' share of buyers, non-retained clients by category)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from crm.features.goals import analysis
from crm.features.goals.scope import Scope


@dataclass
class Dashboard:
    variable: str
    year: int
    family: str
    month: date
    person: uuid.UUID | None
    months: list[analysis.MonthFigure]
    total: analysis.MonthFigure
    peak: Decimal
    families: list[tuple[str, Decimal]] = field(default_factory=list)
    buyers: dict[int, Decimal] = field(default_factory=dict)
    categories: list[tuple[str | None, int]] = field(default_factory=list)

    def height(self, value: Decimal | None) -> int:
        """A bar's height in % of the tallest bar of the chart."""
        if not value or self.peak <= 0 or value <= 0:
            return 0
        return max(1, round(float(value / self.peak) * 100))

    @property
    def family_peak(self) -> Decimal:
        return max((v for _f, v in self.families), default=Decimal(0))

    def share(self, month: int) -> Decimal | None:
        """New clients as a share of the month's buying clients, %."""
        buyers = self.buyers.get(month)
        actual = self.months[month - 1].actual
        return analysis.percent(actual, buyers) if buyers else None


async def build(
    session: AsyncSession, scope: Scope, variable: str, year: int, family: str, month: date, person: uuid.UUID | None
) -> Dashboard:
    months, total = await analysis.summary(session, scope, variable, year, family, person)
    peak = max([m.actual for m in months] + [m.target or Decimal(0) for m in months] + [Decimal(0)])
    board = Dashboard(variable, year, family, month, person, months, total, peak)
    if variable in ("revenue", "client_count") and not family:
        board.families = await analysis.by_family(session, scope, variable, year, person)
    if variable == "new_clients":
        board.buyers = await analysis.actuals(session, scope, "client_count", year, family, person)
    if variable == "non_retained_clients":
        query = analysis.Query(variable=variable, month=month, family=family, person=person)
        board.categories = await analysis.by_category(session, scope, query)
    return board


def summary_text(board: Dashboard, label: str, link: str) -> str:
    """A short summary for a message (WhatsApp, mail subject): the year's actual vs target and the link."""
    from crm.lib.i18n import fmt_number
    from crm.lib.i18n import gettext as _

    digits = 2 if board.variable == "revenue" else 0
    text = _(
        "%(variable)s %(year)s: %(actual)s",
        variable=label,
        year=board.year,
        actual=fmt_number(board.total.actual, digits),
    )
    if board.total.target:
        text += " " + _(
            "of %(target)s (%(percent)s %%)",
            target=fmt_number(board.total.target, digits),
            percent=fmt_number(board.total.percent, 1),
        )
    if board.family:
        text += f" · {board.family}"
    return f"{text}\n{link}"
