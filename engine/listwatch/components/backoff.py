"""client-go's `flowcontrol.Backoff` for one key, as the kubelet uses it for restarts and pulls.

`next(now)` starts the back-off at its initial duration, or doubles it up to the maximum, and
notes when; after `reset_after` seconds without a `next`, it starts over. `waiting(since, now)`
is whether an event at `since` is still inside the back-off (IsInBackOffSince).

Worked example (initial 10, maximum 300, reset after 600): next(0) -> 10; an exit at 5 is waiting
until 15; next(15) -> 20; next(35) -> 40; ... -> 300 and stays; next(2000), 600s after the last, ->
10.
"""

from __future__ import annotations


class Backoff:
    __slots__ = ("duration", "initial", "maximum", "reset_after", "updated")

    def __init__(self, initial: float, maximum: float, reset_after: float) -> None:
        self.initial = initial
        self.maximum = maximum
        self.reset_after = reset_after
        self.duration = 0.0
        self.updated = 0.0

    def _expired(self, now: float) -> bool:
        return now - self.updated > self.reset_after

    def next(self, now: float) -> float:
        """Start or double the back-off at `now`; return its new duration."""
        if not self.duration or self._expired(now):
            self.duration = self.initial
        else:
            self.duration = min(self.duration * 2, self.maximum)
        self.updated = now
        return self.duration

    def waiting(self, since: float, now: float) -> bool:
        """Whether something that happened at `since` must still wait at `now`."""
        return bool(self.duration) and not self._expired(now) and now - since < self.duration

    def due(self, since: float) -> float:
        """When the wait for something that happened at `since` ends."""
        return since + self.duration
