"""The kubelet's back-off: client-go's flowcontrol.Backoff, following its worked example."""

from __future__ import annotations

from listwatch.components.backoff import Backoff


def test_the_back_off_starts_doubles_caps_and_resets() -> None:
    backoff = Backoff(10, 300, 600)
    assert backoff.next(0) == 10
    assert backoff.waiting(5, 10) and not backoff.waiting(5, 15)
    assert backoff.due(5) == 15
    assert [backoff.next(t) for t in (15, 35, 75, 155, 315, 615)] == [20, 40, 80, 160, 300, 300]
    assert backoff.next(2000) == 10


def test_nothing_waits_before_the_first_back_off_or_after_a_reset() -> None:
    backoff = Backoff(10, 300, 600)
    assert not backoff.waiting(0, 0)
    backoff.next(0)
    assert not backoff.waiting(700, 701)
