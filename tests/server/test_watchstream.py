"""Watch streams across threads: what `pump` writes, and that it always stops the watch."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from listwatch.apiserver.watchcache import WatchEvent
from listwatch.engine import Engine
from listwatch.server.live import LiveCluster
from listwatch.server.watchstream import WatchStream, pump
from tests.served import pod


class FakeSink:
    """Collects chunks; can fail writes (a broken pipe) or report the peer gone after N polls."""

    def __init__(self, *, fail_writes: bool = False, gone_after_polls: int | None = None) -> None:
        self.chunks: list[bytes] = []
        self.fail_writes = fail_writes
        self.gone_after_polls = gone_after_polls
        self.polls = 0

    def write(self, chunk: bytes) -> None:
        if self.fail_writes:
            raise BrokenPipeError("the client is gone")
        self.chunks.append(chunk)

    def peer_gone(self) -> bool:
        self.polls += 1
        return self.gone_after_polls is not None and self.polls > self.gone_after_polls


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


def test_a_stream_whose_peer_goes_away_while_idle_stops_its_watch(live: LiveCluster) -> None:
    baseline = watchers(live)
    stream = WatchStream(live, "pods", namespace="default", label_selector="nobody=here")
    stream.open()
    assert watchers(live) == baseline + 1
    assert (
        pump(stream, FakeSink(gone_after_polls=2), encode, stopping=threading.Event(), poll=0.01)
        == "gone"
    )
    assert watchers(live) == baseline and stream.closed


def test_a_stream_whose_write_fails_stops_its_watch(live: LiveCluster) -> None:
    live.call(live.api.create, "pods", pod("existing", node="node01"))
    baseline = watchers(live)
    stream = WatchStream(live, "pods", namespace="default")
    stream.open()
    assert (
        pump(stream, FakeSink(fail_writes=True), encode, stopping=threading.Event(), poll=0.01)
        == "gone"
    )
    assert watchers(live) == baseline


def test_a_stream_ends_when_the_server_stops_or_its_time_is_up(live: LiveCluster) -> None:
    stopping = threading.Event()
    stopping.set()
    stream = WatchStream(live, "pods", namespace="default")
    stream.open()
    assert pump(stream, FakeSink(), encode, stopping=stopping) == "stopping"
    timed = WatchStream(live, "pods", namespace="default", label_selector="nobody=here")
    timed.open()
    assert (
        pump(timed, FakeSink(), encode, stopping=threading.Event(), timeout_seconds=0.05, poll=0.01)
        == "timeout"
    )


def test_a_stream_writes_one_chunk_per_event_in_order(live: LiveCluster) -> None:
    for name in ("a", "b"):
        live.call(live.api.create, "pods", pod(name, node="node01", labels={"order": "yes"}))
    sink = FakeSink(gone_after_polls=1)
    stream = WatchStream(live, "pods", namespace="default", label_selector="order=yes")
    stream.open()
    pump(stream, sink, encode, stopping=threading.Event(), poll=0.2)
    assert sink.chunks[:2] == [b"ADDED a\n", b"ADDED b\n"]


def test_closing_a_stream_twice_or_after_the_cluster_stopped_is_harmless(engine: Engine) -> None:
    live = LiveCluster(engine, nodes=("node01",), seed=2)
    live.start()
    stream = WatchStream(live, "pods")
    stream.open()
    live.stop()
    stream.close()
    stream.close()
    assert stream.closed
