"""The event loop that every simulated component runs on.

Work is a callback. Callbacks queued with `call_soon` run in FIFO order; timers run at their due
time, ties broken by the order they were set. Under a `ManualClock` the loop jumps the clock to the
next timer when nothing else is runnable, so a simulated minute of back-off costs no wall-clock time
and every run of the same inputs happens in the same order. Under a `SystemClock` the loop waits for
real time, and other threads hand it work with `call_soon_threadsafe`.
"""

from __future__ import annotations

import heapq
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from listwatch.clock import Clock, ManualClock, Stamps


class Timer:
    """A callback due at a given instant; `cancel` keeps it from running."""

    __slots__ = ("_loop", "args", "callback", "cancelled", "daemon", "when")

    def __init__(
        self,
        loop: Loop,
        when: float,
        callback: Callable[..., Any],
        args: tuple[Any, ...],
        daemon: bool,
    ) -> None:
        self._loop: Loop | None = loop
        self.when = when
        self.callback = callback
        self.args = args
        self.cancelled = False
        self.daemon = daemon

    def cancel(self) -> None:
        if not self.cancelled and self._loop is not None:
            self._loop._retire(self)
        self.cancelled = True


class Loop:
    """A single-threaded scheduler of callbacks over an injected clock."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.stamps = Stamps(clock)
        self._ready: deque[tuple[Callable[..., Any], tuple[Any, ...]]] = deque()
        self._timers: list[tuple[float, int, Timer]] = []
        self._seq = 0
        self._pending = 0  # non-daemon timers not yet fired or cancelled
        self._outside = 0  # work submitted to worker threads and not yet done
        self._pool: ThreadPoolExecutor | None = None
        self._wakeup = threading.Condition()

    def call_soon(self, callback: Callable[..., Any], *args: Any) -> None:
        self._ready.append((callback, args))

    def call_soon_threadsafe(self, callback: Callable[..., Any], *args: Any) -> None:
        with self._wakeup:
            self._ready.append((callback, args))
            self._wakeup.notify()

    def call_later(
        self, delay: float, callback: Callable[..., Any], *args: Any, daemon: bool = False
    ) -> Timer:
        """Run `callback` after `delay` seconds. A daemon timer (periodic housekeeping: bookmarks,
        compaction, heartbeats) does not by itself keep `run` going."""
        timer = Timer(self, self.clock.now() + max(0.0, delay), callback, args, daemon)
        if not daemon:
            self._pending += 1
        self._seq += 1
        heapq.heappush(self._timers, (timer.when, self._seq, timer))
        return timer

    def run_ready(self) -> int:
        """Run every callback that is runnable now (including those they queue); return how many."""
        ran = 0
        ready = self._ready
        while True:
            while ready:
                callback, args = ready.popleft()
                callback(*args)
                ran += 1
            if not self._fire_due_timers():
                return ran

    def _fire_due_timers(self) -> bool:
        now = self.clock.now()
        fired = False
        while self._timers and self._timers[0][0] <= now:
            timer = heapq.heappop(self._timers)[2]
            if not timer.cancelled:
                self._retire(timer)
                self._ready.append((timer.callback, timer.args))
                fired = True
        return fired

    def next_due(self) -> float | None:
        """When the earliest pending timer is due, or None when there is none."""
        while self._timers and self._timers[0][2].cancelled:
            heapq.heappop(self._timers)
        return self._timers[0][0] if self._timers else None

    def _retire(self, timer: Timer) -> None:
        if not timer.daemon:
            self._pending -= 1
        timer._loop = None

    def busy(self) -> bool:
        """Whether work is queued, out in a worker thread, or a non-daemon timer is pending."""
        return bool(self._ready) or self._pending > 0 or self._outside > 0

    def run(self, *, until: Callable[[], bool] | None = None, horizon: float | None = None) -> bool:
        """Run until `until()` holds, or until nothing but daemon timers is left (settled), or
        until the next timer lies beyond `horizon`. Returns whether `until` held (True when settled
        without `until`).

        Under a `ManualClock` time jumps from timer to timer and no real time passes, except while
        work submitted with `submit` is out in a thread: then the loop waits for it, as it does
        under the system clock, where it also sleeps until the next timer is due.
        """
        clock = self.clock
        manual = isinstance(clock, ManualClock)
        while True:
            self.run_ready()
            if until is not None and until():
                return True
            due = self.next_due()
            settled = until is None and not self.busy()
            beyond = horizon is not None and (due is None or due > horizon)
            if settled or (self._outside == 0 and (due is None or beyond)):
                if (
                    isinstance(clock, ManualClock)
                    and horizon is not None
                    and horizon > clock.now()
                    and not settled
                ):
                    clock.advance_to(horizon)
                return until() if until is not None else True
            if isinstance(clock, ManualClock) and self._outside == 0:
                assert due is not None
                clock.advance_to(due)
                continue
            deadline = (
                min(t for t in (due, horizon) if t is not None)
                if (due is not None or horizon is not None)
                else None
            )
            if deadline is not None and horizon is not None and clock.now() >= horizon:
                return until() if until is not None else False
            with self._wakeup:
                if not self._ready:
                    timeout = (
                        None
                        if deadline is None
                        else max(0.0, deadline - clock.now()) / clock.speed
                        if not manual
                        else None
                    )
                    self._wakeup.wait(0.5 if timeout is None else min(timeout, 0.5))

    def submit(
        self, work: Callable[[], Any], done: Callable[[Any, BaseException | None], None]
    ) -> None:
        """Run blocking `work` in a worker thread; `done(result, error)` then runs on the loop.

        This is how a runtime that talks to the outside world (a Docker Engine) keeps the
        contract that results come back through the loop; `run` waits for submitted work.
        """
        with self._wakeup:
            self._outside += 1

        def finish(result: Any, error: BaseException | None) -> None:
            self._outside -= 1
            done(result, error)

        def job() -> None:
            try:
                result, error = work(), None
            except BaseException as exc:  # handed to `done` on the loop, never lost in the thread
                result, error = None, exc
            self.call_soon_threadsafe(finish, result, error)

        self._executor().submit(job)

    def _executor(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="listwatch-runtime")
        return self._pool

    def close(self) -> None:
        """Stop the worker threads (after the work already submitted has finished)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def run_forever(self, stop: threading.Event) -> None:
        """Run under the system clock until `stop` is set, sleeping until the next timer or new
        work."""
        while not stop.is_set():
            self.run_ready()
            due = self.next_due()
            with self._wakeup:
                if self._ready or stop.is_set():
                    continue
                timeout = (
                    0.5
                    if due is None
                    else max(0.0, min(0.5, (due - self.clock.now()) / self.clock.speed))
                )
                self._wakeup.wait(timeout)

    def wake(self) -> None:
        with self._wakeup:
            self._wakeup.notify()
