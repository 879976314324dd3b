"""Watch streams from the loop thread to the HTTP event loop: what `Pump` writes, when it ends,
and that it always stops the watch; `Wakeups` batches cross-thread wake-ups."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from listwatch.apiserver.watchcache import WatchEvent
from listwatch.control import Control
from listwatch.engine import Engine
from listwatch.server import watchstream
from listwatch.server.live import LiveCluster
from listwatch.server.watchstream import Pump, Wakeups, WatchStream
from tests.served import pod


def encode(event: WatchEvent) -> bytes:
    return f"{event.type} {event.object.get('metadata', {}).get('name', '')}\n".encode()


@pytest.fixture
def live(engine: Engine) -> Iterator[LiveCluster]:
    cluster = LiveCluster(
        engine, nodes=("node01",), without=("scheduler", "controller-manager"), seed=1
    )
    cluster.start()
    yield cluster
    cluster.stop()


def watchers(live: LiveCluster) -> int:
    return live.call(lambda: len(live.api.caches["pods"].watches()))


def eventually(check: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.01)
    return check()


class Written:
    """A response body: what the pump sent, and a way to make it stop reading."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.sends = 0
        self.blocked = False

    async def send(self, data: bytes) -> None:
        self.sends += 1
        if self.blocked:
            await asyncio.Event().wait()  # a client that reads nothing more
        self.data += data


async def run(
    stream: WatchStream, written: Written, *, until: Callable[[], bool], **options: float
) -> tuple[str | None, Pump]:
    """Run a pump until it ends or `until()` holds (then it is cancelled, as a client that goes
    away cancels it)."""
    pump = Pump(
        stream, written.send, encode, wakeups=Wakeups(asyncio.get_running_loop()), **options
    )
    task = asyncio.get_running_loop().create_task(pump.run())
    await asyncio.sleep(0.05)
    while not task.done() and not until():
        await asyncio.sleep(0.01)
    if not task.done():
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return None, pump
    return task.result(), pump


def test_a_pump_writes_the_events_in_order_and_then_the_ones_that_come(live: LiveCluster) -> None:
    for name in ("a", "b"):
        live.call(live.api.create, "pods", pod(name, node="node01", labels={"order": "yes"}))
    stream = WatchStream(live, "pods", namespace="default", label_selector="order=yes")
    stream.open()
    written = Written()
    threading.Timer(
        0.2,
        lambda: live.call(
            live.api.create, "pods", pod("c", node="node01", labels={"order": "yes"})
        ),
    ).start()
    ended, _ = asyncio.run(run(stream, written, until=lambda: b"ADDED c" in written.data))
    assert ended is None
    added = [line for line in bytes(written.data).splitlines() if line.startswith(b"ADDED")]
    assert added == [b"ADDED a", b"ADDED b", b"ADDED c"]


def test_a_cancelled_pump_stops_its_watch(live: LiveCluster) -> None:
    baseline = watchers(live)
    stream = WatchStream(live, "pods", namespace="default", label_selector="nobody=here")
    stream.open()
    assert watchers(live) == baseline + 1
    ended, _ = asyncio.run(run(stream, Written(), until=lambda: True))
    assert ended is None and stream.closed
    assert eventually(lambda: watchers(live) == baseline)


def test_a_stream_ends_when_the_server_stops_or_its_time_is_up(live: LiveCluster) -> None:
    async def stopped() -> str:
        stream = WatchStream(live, "pods", namespace="default")
        stream.open()
        pump = Pump(stream, Written().send, encode, wakeups=Wakeups(asyncio.get_running_loop()))
        asyncio.get_running_loop().call_later(0.05, pump.stop)
        return await pump.run()

    assert asyncio.run(stopped()) == "stopping"
    timed = WatchStream(live, "pods", namespace="default", label_selector="nobody=here")
    timed.open()
    ended, _ = asyncio.run(run(timed, Written(), until=lambda: False, timeout_seconds=0.05))
    assert ended == "timeout"


def test_a_cut_ends_the_stream_after_what_was_queued(live: LiveCluster) -> None:
    live.call(live.api.create, "pods", pod("a"))
    stream = WatchStream(live, "pods", namespace="default", actor="cut-me")
    stream.open()
    live.call(lambda: Control(live.cluster).cut("cut-me"))
    written = Written()
    ended, _ = asyncio.run(run(stream, written, until=lambda: False))
    assert (ended, bytes(written.data)) == ("cut", b"ADDED a\n")


def test_a_watcher_that_lets_too_many_events_pile_up_is_closed(
    live: LiveCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(watchstream, "MAX_PENDING", 3)
    for name in "abcde":
        live.call(live.api.create, "pods", pod(name, node="node01"))
    baseline = watchers(live)
    stream = WatchStream(live, "pods", namespace="default")
    stream.open()
    assert eventually(lambda: stream.overflowed)
    ended, _ = asyncio.run(run(stream, Written(), until=lambda: False))
    assert ended == "slow"
    assert eventually(lambda: watchers(live) == baseline)


def test_a_watcher_whose_client_stops_reading_is_unresponsive_after_the_deadline(
    live: LiveCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(watchstream, "SLOW_WATCHER_SECONDS", 0.2)
    live.call(live.api.create, "pods", pod("a", node="node01"))
    stream = WatchStream(live, "pods", namespace="default")
    stream.open()
    written = Written()
    written.blocked = True
    seen: list[bool] = []

    async def watch() -> None:
        loop = asyncio.get_running_loop()

        def check(pump: Pump) -> bool:
            seen.append(pump.unresponsive(loop.time()))
            return seen[-1]

        holder: list[Pump] = []
        pump = Pump(stream, written.send, encode, wakeups=Wakeups(loop))
        holder.append(pump)
        task = loop.create_task(pump.run())
        started = loop.time()
        while not check(pump) and loop.time() - started < 5:
            await asyncio.sleep(0.05)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    asyncio.run(watch())
    assert seen[0] is False and seen[-1] is True  # blocked in a write, then past the deadline
    assert written.sends == 1


def test_wakeups_from_another_thread_set_every_event_with_few_loop_calls() -> None:
    async def main() -> tuple[int, bool]:
        loop = asyncio.get_running_loop()
        wakeups = Wakeups(loop)
        events = [asyncio.Event() for _ in range(1000)]
        calls = 0
        original = loop.call_soon_threadsafe

        def counted(*args: object, **kwargs: object) -> asyncio.Handle:
            nonlocal calls
            calls += 1
            return original(*args, **kwargs)  # type: ignore[arg-type]

        loop.call_soon_threadsafe = counted  # type: ignore[method-assign]
        thread = threading.Thread(target=lambda: [wakeups.wake(e) for e in events])
        thread.start()
        await loop.run_in_executor(None, thread.join)
        await asyncio.sleep(0.05)
        return calls, all(e.is_set() for e in events)

    calls, all_set = asyncio.run(main())
    assert all_set
    assert 1 <= calls < 100  # one per burst the loop had not yet run, not one per event


def test_closing_a_stream_twice_or_after_the_cluster_stopped_is_harmless(engine: Engine) -> None:
    live = LiveCluster(engine, nodes=("node01",), seed=2)
    live.start()
    stream = WatchStream(live, "pods")
    stream.open()
    live.stop()
    stream.close()
    stream.close()
    assert stream.closed
