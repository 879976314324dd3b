"""The clocks: a logical one that moves only when told, and the system clock, which a served
cluster may run faster than real time (`listwatch serve --speed`)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from listwatch.clock import ManualClock, SystemClock


def test_a_faster_system_clock_counts_more_seconds_but_writes_wall_time() -> None:
    fast, real = SystemClock(speed=20), SystemClock()
    time.sleep(0.25)
    assert fast.now() / real.now() == pytest.approx(20, rel=0.1)
    # Timestamps stay on the wall clock, so kubectl's ages read right.
    assert abs((fast.wall() - datetime.now(UTC)).total_seconds()) < 1
    at = fast.now()
    assert fast.wall(at + 20) - fast.wall(at) == timedelta(seconds=1)


def test_a_clock_runs_no_slower_than_real_time() -> None:
    with pytest.raises(ValueError, match="speed is 1 or more"):
        SystemClock(speed=0.5)


def test_a_manual_clock_moves_only_forward_and_only_when_told() -> None:
    clock = ManualClock()
    clock.advance_to(5)
    assert clock.now() == 5 and clock.speed == 1
    with pytest.raises(ValueError):
        clock.advance_to(4)
