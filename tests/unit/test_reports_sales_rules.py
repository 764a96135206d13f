"""The sales report's rules (spec/reports.md "Sales report"): one pure function from won deals to the figures."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from crm.features.reports.sales import (
    SaleRow,
    aggregate,
    local_day,
    parse_period,
    period_range,
    previous_period,
    report,
    shift,
)
from crm.features.reports.sales_input import parse_amount, parse_day

NOV = date(2026, 11, 10)


def sale(amount: str, manager: str = "", source: str = "", kind: str = "", day: date = NOV, **kw: object) -> SaleRow:
    return SaleRow(closed_on=day, amount=Decimal(amount), manager=manager, source=source, type=kind, **kw)  # type: ignore[arg-type]


def test_the_acceptance_case_groups_by_manager_source_and_type_sorted_by_sum() -> None:
    rows = [sale("1000", "u1", "google", "A"), sale("500", "u1", "fb", "B"), sale("2000", "u2", "google", "A")]
    f = aggregate(rows, NOV, NOV)
    assert [(x.name, x.sum, x.count) for x in f.by_manager] == [("u2", 2000, 1), ("u1", 1500, 2)]
    assert [(x.name, x.sum, x.count) for x in f.by_source] == [("google", 3000, 2), ("fb", 500, 1)]
    assert [(x.name, x.sum, x.count) for x in f.by_type] == [("A", 3000, 2), ("B", 500, 1)]
    assert (f.total.sum, f.total.count) == (3500, 3)


def test_each_line_has_its_share_of_the_total_and_its_average_deal() -> None:
    f = aggregate([sale("1000", "u1"), sale("500", "u1"), sale("2500.01", "u2")], NOV, NOV)
    u2, u1 = f.by_manager
    assert u2.share == Decimal("2500.01") / Decimal("4000.01")
    assert u1.average == Decimal("750.00")
    assert sum(x.share for x in f.by_manager) == pytest.approx(1)


def test_deals_without_a_known_manager_are_listed_as_unknown_not_dropped() -> None:
    f = aggregate([sale("100", ""), sale("50", "  "), sale("10", "u1")], NOV, NOV)
    assert [(x.name, x.id, x.sum, x.count) for x in f.by_manager] == [("unknown", None, 150, 2), ("u1", None, 10, 1)]
    assert f.total.sum == 160


def test_the_source_is_the_utm_source_then_the_deals_source_then_unknown() -> None:
    rows = [sale("10", source="google", fallback_source="CALL"), sale("20", fallback_source="CALL"), sale("40")]
    f = aggregate(rows, NOV, NOV)
    assert [(x.name, x.sum) for x in f.by_source] == [("unknown", 40), ("CALL", 20), ("google", 10)]


def test_only_deals_closed_within_the_inclusive_days_count_and_each_day_is_listed() -> None:
    rows = [sale("1", day=date(2026, 11, 1)), sale("2", day=date(2026, 11, 3)), sale("4", day=date(2026, 11, 4))]
    f = aggregate(rows, date(2026, 11, 1), date(2026, 11, 3))
    assert f.total.sum == 3
    assert [(d.date.day, d.sum) for d in f.by_day] == [(1, 1), (2, 0), (3, 2)]
    assert [d.date.day for d in f.by_day_sorted] == [3, 1, 2]


def test_a_deal_closed_at_midnight_belongs_to_its_day_in_the_organisations_zone() -> None:
    moscow = ZoneInfo("Europe/Moscow")
    assert local_day(datetime(2026, 11, 10, 0, 0, 0), moscow) == date(2026, 11, 10)
    assert local_day(datetime(2026, 11, 10, 0, 0, 0, tzinfo=moscow), moscow) == date(2026, 11, 10)
    # 21:00 UTC on the 9th is 00:00 on the 10th in Moscow
    assert local_day(datetime(2026, 11, 9, 21, 0, tzinfo=UTC), moscow) == date(2026, 11, 10)
    assert parse_day("10.11.2026 00:00:00", moscow) == date(2026, 11, 10)
    assert parse_day("2026-11-09T21:00:00Z", moscow) == date(2026, 11, 10)
    assert parse_day("2026-11-10T00:00:00+03:00", moscow) == date(2026, 11, 10)


def test_the_previous_period_has_the_same_length_and_each_line_carries_its_previous_sum() -> None:
    assert previous_period(date(2026, 11, 1), date(2026, 11, 30)) == (date(2026, 10, 2), date(2026, 10, 31))
    assert previous_period(NOV, NOV) == (date(2026, 11, 9), date(2026, 11, 9))
    rows = [sale("300", "u1", day=NOV), sale("200", "u1", day=date(2026, 11, 9)), sale("50", "u2", day=NOV)]
    f = report(rows, NOV, NOV)
    assert f.previous is not None and f.previous.sum == 200
    assert f.total.change == Decimal("0.75")
    assert {x.name: x.previous_sum for x in f.by_manager} == {"u1": 200, "u2": 0}
    assert [x.change for x in f.by_manager] == [Decimal("0.5"), None]


def test_periods_are_the_day_its_iso_week_month_and_quarter() -> None:
    today = date(2026, 11, 11)
    assert period_range("yesterday", NOV, today) == (NOV, NOV)
    assert period_range("week", NOV, today) == (date(2026, 11, 9), date(2026, 11, 15))
    assert period_range("month", date(2026, 2, 14), today) == (date(2026, 2, 1), date(2026, 2, 28))
    assert period_range("quarter", NOV, today) == (date(2026, 10, 1), date(2026, 12, 31))
    assert period_range("month", date(2026, 12, 5), today) == (date(2026, 12, 1), date(2026, 12, 31))
    assert shift("month", date(2026, 1, 20), -1) == date(2025, 12, 1)
    assert shift("quarter", date(2026, 11, 1), 1) == date(2027, 2, 1)
    assert parse_period("last-month", today) == (date(2026, 10, 1), date(2026, 10, 31))
    assert parse_period("2026-Q1", today) == (date(2026, 1, 1), date(2026, 3, 31))
    assert parse_period("2026-W45", today) == (date(2026, 11, 2), date(2026, 11, 8))
    assert parse_period("2026-02", today) == (date(2026, 2, 1), date(2026, 2, 28))
    with pytest.raises(ValueError, match="unknown period"):
        parse_period("fortnight", today)


def test_a_trend_line_is_drawn_only_for_periods_over_a_week() -> None:
    assert not aggregate([], date(2026, 11, 9), date(2026, 11, 15)).trend
    assert aggregate([], date(2026, 11, 9), date(2026, 11, 16)).trend


def test_amounts_are_read_with_a_decimal_comma_and_spaces() -> None:
    assert parse_amount("1 234,50") == Decimal("1234.50")
    assert parse_amount("1\u00a0000") == Decimal("1000")
    assert parse_amount("1,234.50") == Decimal("1234.50")
    assert parse_amount(12.5) == Decimal("12.5")
    assert parse_amount("abc") is None
