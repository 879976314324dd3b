"""Time, injected: a logical clock for deterministic simulation and the system clock for live
runs."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol

#: The instant a simulated cluster starts at under the logical clock (timestamps stay realistic).
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


class Clock(Protocol):
    """Seconds since an arbitrary origin, and the wall-clock time that corresponds to them."""

    #: How many of its seconds pass in one real second (1 for the system clock as it is).
    speed: float

    def now(self) -> float: ...

    def wall(self, at: float | None = None) -> datetime: ...


class ManualClock:
    """A logical clock: time moves only when the loop advances it, so runs take no real time."""

    speed = 1.0

    def __init__(self, start: float = 0.0) -> None:
        self._now = start

    def now(self) -> float:
        return self._now

    def advance_to(self, instant: float) -> None:
        if instant < self._now:
            raise ValueError(f"a clock cannot go back: {instant} < {self._now}")
        self._now = instant

    def wall(self, at: float | None = None) -> datetime:
        return EPOCH + timedelta(seconds=self._now if at is None else at)


class SystemClock:
    """The real clock, for a served cluster that kubectl talks to; with `speed` above 1 its
    seconds pass that many times faster (timers, back-offs, grace periods, heartbeats), while the
    timestamps it writes stay on the wall clock, so that kubectl's ages read right."""

    def __init__(self, speed: float = 1.0) -> None:
        if not speed >= 1:
            raise ValueError(f"a clock's speed is 1 or more, not {speed}")
        self.speed = speed
        self._origin = time.monotonic()
        self._wall_origin = datetime.now(UTC)

    def now(self) -> float:
        return (time.monotonic() - self._origin) * self.speed

    def wall(self, at: float | None = None) -> datetime:
        return self._wall_origin + timedelta(
            seconds=(self.now() if at is None else at) / self.speed
        )


def rfc3339(instant: datetime) -> str:
    """Kubernetes' timestamp format: seconds precision, UTC, a trailing Z."""
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(stamp: str) -> datetime:
    """A Kubernetes timestamp (RFC 3339: `Z`, any offset, or none, read as UTC) as a UTC datetime;
    ValueError when it is not one."""
    moment = datetime.fromisoformat(stamp)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class Stamps:
    """`now()` as an RFC 3339 string, formatted once per second of the clock (a hot path)."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._second = -1
        self._text = ""

    def now(self) -> str:
        second = int(self.clock.now())
        if second != self._second:
            self._second = second
            self._text = rfc3339(self.clock.wall(float(second)))
        return self._text
