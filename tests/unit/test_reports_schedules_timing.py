"""When a scheduled report runs next: wall-clock times of a zone across DST changes and month ends."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from crm.features.reports.schedules_timing import Timing, next_run

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
MOSCOW = ZoneInfo("Europe/Moscow")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local(zone: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=zone)


def runs(timing: Timing, zone: ZoneInfo, start: datetime, n: int) -> list[datetime]:
    out, moment = [], start
    for _ in range(n):
        moment = next_run(timing, zone, moment)
        out.append(moment)
    return out


def test_a_daily_report_at_nine_stays_at_nine_local_time_across_berlins_spring_change() -> None:
    got = runs(Timing("daily", 9, 0), BERLIN, utc(2026, 3, 27, 12), 3)
    assert [x.astimezone(BERLIN).strftime("%d %H:%M") for x in got] == ["28 09:00", "29 09:00", "30 09:00"]
    assert [x.hour for x in got] == [8, 7, 7]  # UTC moves by an hour with the clocks (CET → CEST)


def test_a_daily_report_at_nine_stays_at_nine_across_new_yorks_autumn_change() -> None:
    got = runs(Timing("daily", 9, 0), NEW_YORK, utc(2026, 10, 31, 20), 3)
    assert [x.astimezone(NEW_YORK).strftime("%d %H:%M") for x in got] == ["01 09:00", "02 09:00", "03 09:00"]
    assert [x.hour for x in got] == [14, 14, 14]
    got = runs(Timing("daily", 9, 0), NEW_YORK, utc(2026, 3, 7, 20), 2)  # spring: EST → EDT on March 8
    assert [x.hour for x in got] == [13, 13]
    assert got[0].astimezone(NEW_YORK).strftime("%m-%d %H:%M") == "03-08 09:00"


def test_a_time_that_does_not_exist_on_the_spring_day_runs_once_just_after_the_jump() -> None:
    got = runs(Timing("daily", 2, 30), BERLIN, utc(2026, 3, 28, 12), 2)
    assert got[0] == utc(2026, 3, 29, 1, 30)  # 02:30 does not exist: 03:30 CEST, an hour after 02:00 CET
    assert got[0].astimezone(BERLIN).strftime("%H:%M") == "03:30"
    assert got[1].astimezone(BERLIN).strftime("%d %H:%M") == "30 02:30"


def test_a_time_that_happens_twice_on_the_autumn_day_runs_only_once() -> None:
    got = runs(Timing("daily", 2, 30), BERLIN, utc(2026, 10, 24, 12), 2)
    assert got[0] == utc(2026, 10, 25, 0, 30)  # the first 02:30 (CEST), not the second one an hour later (CET)
    assert got[1] == utc(2026, 10, 26, 1, 30)  # next day; the second 02:30 of the 25th is skipped
    assert [x.astimezone(BERLIN).strftime("%d %H:%M") for x in got] == ["25 02:30", "26 02:30"]


def test_the_31st_means_the_last_day_of_shorter_months_february_included() -> None:
    got = runs(Timing("monthly", 8, 0, month_day=31), MOSCOW, utc(2026, 1, 1), 6)
    days = [x.astimezone(MOSCOW).date().isoformat() for x in got]
    assert days == ["2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30", "2026-05-31", "2026-06-30"]
    leap = runs(Timing("monthly", 8, 0, month_day=30), MOSCOW, utc(2028, 2, 1), 2)
    assert [x.astimezone(MOSCOW).date().isoformat() for x in leap] == ["2028-02-29", "2028-03-30"]


def test_a_weekly_report_runs_on_its_weekday_in_the_zone_not_in_utc() -> None:
    # Monday 00:30 in Moscow is still Sunday in UTC
    got = runs(Timing("weekly", 0, 30, weekday=0), MOSCOW, utc(2026, 11, 30, 0, 0), 2)
    assert [x.astimezone(MOSCOW).strftime("%a %d %H:%M") for x in got] == ["Mon 07 00:30", "Mon 14 00:30"]
    assert got[0] == utc(2026, 12, 6, 21, 30)


def test_the_next_run_is_strictly_after_the_given_moment() -> None:
    at = local(BERLIN, 2026, 12, 2, 9, 0).astimezone(UTC)
    assert next_run(Timing("daily", 9, 0), BERLIN, at) == local(BERLIN, 2026, 12, 3, 9, 0).astimezone(UTC)
    with pytest.raises(ValueError):
        next_run(Timing("daily", 9, 0), BERLIN, datetime(2026, 12, 2))
