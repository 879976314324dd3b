"""Cron schedules (`listwatch.rules.cron`) as robfig/cron's standard parser reads them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from listwatch.rules.cron import CronError, Schedule


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("spec", "after", "expected"),
    [
        ("* * * * *", at(2026, 1, 1, 0, 0, 30), at(2026, 1, 1, 0, 1)),
        ("*/15 * * * *", at(2026, 1, 1, 0, 15), at(2026, 1, 1, 0, 30)),
        ("0 9-17/4 * * *", at(2026, 1, 1, 13, 0), at(2026, 1, 1, 17, 0)),
        ("30 2 * * SUN", at(2026, 1, 1), at(2026, 1, 4, 2, 30)),
        ("0 0 1 JAN *", at(2026, 6, 1), at(2027, 1, 1)),
        ("@hourly", at(2026, 1, 1, 5, 59), at(2026, 1, 1, 6, 0)),
        ("5/20 * * * *", at(2026, 1, 1, 0, 6), at(2026, 1, 1, 0, 25)),
    ],
)
def test_the_next_time_after_a_moment(spec: str, after: datetime, expected: datetime) -> None:
    assert Schedule.parse(spec).next_after(after) == expected


def test_a_restricted_day_of_month_and_day_of_week_match_either() -> None:
    schedule = Schedule.parse("0 0 13 * FRI")
    # 2026-02-06 is a Friday, the 13th of February 2026 is one too: the first match is the 6th.
    assert schedule.next_after(at(2026, 2, 1)) == at(2026, 2, 6)
    assert schedule.next_after(at(2026, 2, 6)) == at(2026, 2, 13)


def test_the_latest_missed_time_and_how_many_were_missed() -> None:
    latest, missed = Schedule.parse("*/10 * * * *").last_between(
        at(2026, 1, 1), at(2026, 1, 1, 1, 5)
    )
    assert (latest, missed) == (at(2026, 1, 1, 1, 0), 6)
    assert Schedule.parse("0 0 * * *").last_between(at(2026, 1, 1), at(2026, 1, 1, 12)) == (None, 0)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("hello", "expected exactly 5 fields, found 1: [hello]"),
        ("60 * * * *", "end of range (60) above maximum (59): 60"),
        ("* * 0 * *", "beginning of range (0) below minimum (1): 0"),
        ("5-1 * * * *", "beginning of range (5) beyond end of range (1): 5-1"),
        ("*/0 * * * *", "step of range should be a positive number: */0"),
        ("1-2-3 * * * *", "too many hyphens: 1-2-3"),
        ("x * * * *", 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax'),
        ("@fortnightly", "unrecognized descriptor: @fortnightly"),
    ],
)
def test_a_bad_schedule_says_what_robfig_cron_says(spec: str, message: str) -> None:
    with pytest.raises(CronError) as caught:
        Schedule.parse(spec)
    assert str(caught.value) == message
