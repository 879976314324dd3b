"""The event loop: FIFO callbacks, timers in order, logical time that jumps, and outside work."""

from __future__ import annotations

import threading
import time

from listwatch.clock import ManualClock, SystemClock
from listwatch.loop import Loop


def test_callbacks_run_in_order_and_timers_at_their_time() -> None:
    loop = Loop(ManualClock())
    seen: list[tuple[str, float]] = []
    loop.call_later(5, lambda: seen.append(("late", loop.clock.now())))
    loop.call_later(1, lambda: seen.append(("early", loop.clock.now())))
    loop.call_soon(lambda: seen.append(("now", loop.clock.now())))
    assert loop.run()
    assert seen == [("now", 0.0), ("early", 1.0), ("late", 5.0)]


def test_a_logical_hour_takes_no_real_time() -> None:
    loop = Loop(ManualClock())
    fired: list[float] = []
    loop.call_later(3600, lambda: fired.append(loop.clock.now()))
    started = time.perf_counter()
    loop.run()
    assert fired == [3600.0] and time.perf_counter() - started < 1


def test_daemon_timers_do_not_keep_the_loop_running() -> None:
    loop = Loop(ManualClock())
    ticks: list[float] = []

    def tick() -> None:
        ticks.append(loop.clock.now())
        loop.call_later(10, tick, daemon=True)

    loop.call_later(10, tick, daemon=True)
    loop.call_later(25, lambda: None)
    loop.run()
    assert ticks == [10.0, 20.0] and loop.clock.now() == 25.0


def test_a_horizon_stops_the_run_and_moves_the_clock_to_it() -> None:
    loop = Loop(ManualClock())
    fired: list[float] = []
    loop.call_later(100, lambda: fired.append(1))
    assert loop.run(until=lambda: bool(fired), horizon=50) is False
    assert fired == [] and loop.clock.now() == 50.0


def test_submitted_work_runs_in_a_thread_and_its_result_comes_back_on_the_loop() -> None:
    loop = Loop(ManualClock())
    results: list[tuple[object, object, bool]] = []
    main = threading.get_ident()

    def work() -> int:
        time.sleep(0.05)
        return threading.get_ident()

    loop.submit(
        work, lambda result, error: results.append((result, error, threading.get_ident() == main))
    )
    assert loop.run(until=lambda: bool(results))
    ((worker, error, on_loop_thread),) = results
    assert worker != main and error is None and on_loop_thread
    assert loop.clock.now() == 0.0  # the logical clock did not jump while waiting
    loop.close()


def test_an_error_in_submitted_work_is_handed_to_done() -> None:
    loop = Loop(ManualClock())
    errors: list[BaseException | None] = []

    def work() -> None:
        raise RuntimeError("engine gone")

    loop.submit(work, lambda result, error: errors.append(error))
    loop.run(until=lambda: bool(errors))
    assert isinstance(errors[0], RuntimeError) and str(errors[0]) == "engine gone"
    loop.close()


def test_under_the_system_clock_timers_wait_real_time() -> None:
    loop = Loop(SystemClock())
    fired: list[float] = []
    loop.call_later(0.2, lambda: fired.append(loop.clock.now()))
    started = time.perf_counter()
    assert loop.run(until=lambda: bool(fired), horizon=5)
    assert 0.15 <= time.perf_counter() - started < 2
