"""Recurrence rules of tasks (spec: strategies-tasks "Recurrence rule"): month ends, leap days, weekdays, intervals,
until/count, days off, and the local time of day across a change of summer time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from crm.features.tasks.recurrence import Rule, RuleError, next_date, next_due, parse, past_days_off

MSK = ZoneInfo("Europe/Moscow")
NY = ZoneInfo("America/New_York")


def dates(rule: Rule, first: date, n: int) -> list[date]:
    out = [first]
    while len(out) < n:
        out.append(next_date(rule, out[-1], first))
    return out


def test_a_monthly_rule_on_the_31st_takes_the_last_day_of_shorter_months_and_comes_back_to_the_31st() -> None:
    rule = parse({"freq": "monthly", "month_day": 31})
    got = dates(rule, date(2027, 1, 31), 5)
    assert got == [date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31), date(2027, 4, 30), date(2027, 5, 31)]


def test_february_of_a_leap_year_gets_the_29th() -> None:
    rule = parse({"freq": "monthly", "month_day": 30})
    assert dates(rule, date(2028, 1, 30), 3) == [date(2028, 1, 30), date(2028, 2, 29), date(2028, 3, 30)]


def test_a_yearly_cadence_from_a_leap_day_lands_on_february_28_then_back_on_the_29th() -> None:
    rule = parse({"freq": "monthly", "interval": 12})
    assert dates(rule, date(2028, 2, 29), 5) == [
        date(2028, 2, 29),
        date(2029, 2, 28),
        date(2030, 2, 28),
        date(2031, 2, 28),
        date(2032, 2, 29),
    ]


def test_a_monthly_rule_without_a_day_keeps_the_first_occurrences_day() -> None:
    rule = parse({"freq": "monthly"})
    assert dates(rule, date(2027, 1, 15), 3) == [date(2027, 1, 15), date(2027, 2, 15), date(2027, 3, 15)]


def test_every_three_months() -> None:
    rule = parse({"freq": "monthly", "interval": 3, "month_day": 5})
    assert dates(rule, date(2027, 11, 5), 3) == [date(2027, 11, 5), date(2028, 2, 5), date(2028, 5, 5)]


def test_weekly_on_chosen_weekdays() -> None:
    rule = parse({"freq": "weekly", "weekdays": [0, 3]})  # Mondays and Thursdays
    got = dates(rule, date(2027, 3, 1), 5)  # 2027-03-01 is a Monday
    assert got == [date(2027, 3, 1), date(2027, 3, 4), date(2027, 3, 8), date(2027, 3, 11), date(2027, 3, 15)]


def test_every_second_week_skips_the_week_between() -> None:
    rule = parse({"freq": "weekly", "interval": 2, "weekdays": [1, 4]})
    got = dates(rule, date(2027, 3, 2), 5)  # a Tuesday
    assert got == [date(2027, 3, 2), date(2027, 3, 5), date(2027, 3, 16), date(2027, 3, 19), date(2027, 3, 30)]


def test_weekly_without_weekdays_repeats_the_first_occurrences_weekday() -> None:
    rule = parse({"freq": "weekly"})
    assert dates(rule, date(2027, 3, 3), 3) == [date(2027, 3, 3), date(2027, 3, 10), date(2027, 3, 17)]


def test_every_n_days_crosses_month_and_year_ends() -> None:
    rule = parse({"freq": "daily", "interval": 10})
    assert dates(rule, date(2027, 12, 25), 3) == [date(2027, 12, 25), date(2028, 1, 4), date(2028, 1, 14)]


def at(day: date, hour: int, tz: ZoneInfo = MSK) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=tz).astimezone(UTC)


def test_count_stops_the_series_after_n_occurrences() -> None:
    rule = parse({"freq": "daily", "count": 3})
    first = at(date(2027, 3, 1), 9)
    second = next_due(rule, first, first, 1, MSK)
    third = next_due(rule, second, first, 2, MSK)
    assert second == at(date(2027, 3, 2), 9) and third == at(date(2027, 3, 3), 9)
    assert next_due(rule, third, first, 3, MSK) is None


def test_until_is_the_last_allowed_date_inclusive() -> None:
    rule = parse({"freq": "daily", "interval": 2, "until": "2027-03-05"})
    first = at(date(2027, 3, 1), 9)
    assert next_due(rule, first, first, 1, MSK) == at(date(2027, 3, 3), 9)
    assert next_due(rule, at(date(2027, 3, 3), 9), first, 2, MSK) == at(date(2027, 3, 5), 9)
    assert next_due(rule, at(date(2027, 3, 5), 9), first, 3, MSK) is None


def test_days_off_move_an_occurrence_to_the_next_working_day() -> None:
    holidays = {date(2027, 5, 3), date(2027, 5, 10)}

    def working(day: date) -> bool:
        return day.weekday() < 5 and day not in holidays

    rule = parse({"freq": "daily", "skip_days_off": True})
    friday = at(date(2027, 4, 30), 10)
    assert next_due(rule, friday, friday, 1, MSK, working) == at(date(2027, 5, 4), 10)  # Sat, Sun, holiday Mon
    monthly = parse({"freq": "monthly", "month_day": 31, "skip_days_off": True})
    first = at(date(2027, 6, 30), 10)  # July 31st 2027 is a Saturday
    assert next_due(monthly, first, first, 1, MSK, working) == at(date(2027, 8, 2), 10)


def test_a_move_past_days_off_does_not_go_beyond_until() -> None:
    rule = parse({"freq": "daily", "skip_days_off": True, "until": "2027-03-06"})
    friday = at(date(2027, 3, 5), 10)
    assert next_due(rule, friday, friday, 1, MSK, lambda d: d.weekday() < 5) is None


def test_the_local_time_of_day_survives_a_summer_time_change_of_the_zone() -> None:
    rule = parse({"freq": "weekly"})
    first = at(date(2027, 3, 8), 9, NY)  # before the US change on 2027-03-14
    nxt = next_due(rule, first, first, 1, NY)
    assert nxt is not None
    assert nxt.astimezone(NY).time() == time(9) and nxt.astimezone(NY).date() == date(2027, 3, 15)
    assert (nxt - first).total_seconds() == 7 * 24 * 3600 - 3600  # one hour less in UTC
    autumn = at(date(2027, 10, 31), 9, NY)
    after = next_due(rule, autumn, autumn, 1, NY)
    assert after is not None and after.astimezone(NY).time() == time(9)
    assert (after - autumn).total_seconds() == 7 * 24 * 3600 + 3600


def test_past_days_off_keeps_a_working_day() -> None:
    assert past_days_off(date(2027, 3, 3), lambda d: True) == date(2027, 3, 3)


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"freq": "hourly"}, "recurrence.freq"),
        ({"freq": "daily", "interval": 0}, "recurrence.interval"),
        ({"freq": "daily", "interval": True}, "recurrence.interval"),
        ({"freq": "weekly", "weekdays": [7]}, "recurrence.weekdays"),
        ({"freq": "daily", "weekdays": [1]}, "recurrence.weekdays"),
        ({"freq": "monthly", "month_day": 32}, "recurrence.month_day"),
        ({"freq": "daily", "month_day": 3}, "recurrence.month_day"),
        ({"freq": "daily", "until": "31.12.2027"}, "recurrence.until"),
        ({"freq": "daily", "count": -1}, "recurrence.count"),
        ({"freq": "daily", "skip_days_off": "maybe"}, "recurrence.skip_days_off"),
        ({"freq": "daily", "every": 2}, "recurrence.every"),
        ({"freq": "daily", "after_due": "later"}, "recurrence.after_due"),
    ],
)
def test_a_bad_rule_names_the_part_that_is_wrong(raw: dict, field: str) -> None:
    with pytest.raises(RuleError) as caught:
        parse(raw)
    assert caught.value.field == field


def test_a_rule_round_trips_through_json() -> None:
    rule = parse({"freq": "weekly", "interval": 2, "weekdays": [4, 0], "until": "2027-12-31", "skip_days_off": True})
    assert parse(rule.as_json()) == rule
    assert rule.as_json()["weekdays"] == [0, 4]


def test_after_due_is_kept_in_the_json_only_when_set() -> None:
    assert parse({"freq": "daily", "after_due": True}).as_json()["after_due"] is True
    assert "after_due" not in parse({"freq": "daily"}).as_json()
