"""Rules of the client-communication report that need no database: staleness, sort keys, filter parsing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from litestar.datastructures import MultiDict
from litestar.exceptions import ValidationException

from crm.features.reports.communications import parse_sort, staleness
from crm.features.reports.communications_filters import parse_filter

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def test_187_days_is_stale_150_is_not_and_no_communication_is_stale() -> None:
    assert staleness(NOW - timedelta(days=187), NOW, 6) == ("red", 187)
    assert staleness(NOW - timedelta(days=150), NOW, 6) == ("", 150)
    assert staleness(None, NOW, 6) == ("red", None)


def test_the_last_month_before_the_limit_is_amber() -> None:
    assert staleness(NOW - timedelta(days=170), NOW, 6)[0] == "amber"
    assert staleness(NOW - timedelta(days=145), NOW, 6)[0] == ""
    assert staleness(NOW - timedelta(days=40), NOW, 2)[0] == "amber"
    assert staleness(NOW - timedelta(days=20), NOW, 1)[0] == "amber"


def test_sort_takes_two_known_levels_including_pipeline_columns() -> None:
    assert parse_sort("-p3_active,title", [0, 3]) == [("p3_active", True), ("title", False)]
    assert parse_sort("", [0]) == [("title", False)]
    for wrong in ("p9_active", "price", "title,inn,last", "p3_lost"):
        with pytest.raises(ValidationException):
            parse_sort(wrong, [0, 3])


def test_filters_read_their_values_and_refuse_nonsense_naming_the_parameter() -> None:
    flt = parse_filter(
        MultiDict(
            [
                ("responsible", "5"),
                ("responsible", "7"),
                ("turnover_from", "1 000 000,50"),
                ("has_active", "yes"),
                ("stale", "1"),
                ("last_after", "2026-01-31"),
            ]
        )
    )
    assert flt.responsible_ids == [5, 7] and str(flt.turnover_from) == "1000000.50"
    assert flt.has_active is True and flt.stale is True and flt.last_after.isoformat() == "2026-01-31"
    for key, value in [
        ("employees_from", "x"),
        ("inn", "12a"),
        ("last_before", "31.01.2026"),
        ("turnover_to", "1e999"),
    ]:
        with pytest.raises(ValidationException) as caught:
            parse_filter(MultiDict([(key, value)]))
        assert caught.value.extra[0]["key"] == key
