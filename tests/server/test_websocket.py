"""The WebSocket as an exec's thread sees it: ASGI messages from the event loop, turned into a
readable descriptor, messages, sends and the closing handshake."""

from __future__ import annotations

import asyncio
import select
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from listwatch.server.websocket import WebSocket


class Peer:
    """The HTTP server's side: an event loop on a thread, the messages the app sent, and a queue
    of messages for the app to receive."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.sent: list[dict[str, Any]] = []
        self.incoming: asyncio.Queue[dict[str, Any]] | None = None
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            self.incoming = asyncio.Queue()
            ready.set()
            self.loop.run_forever()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        ready.wait()

    async def receive(self) -> dict[str, Any]:
        assert self.incoming is not None
        return await self.incoming.get()

    async def send(self, message: Any) -> None:
        self.sent.append(dict(message))

    def deliver(self, message: dict[str, Any]) -> None:
        assert self.incoming is not None
        self.loop.call_soon_threadsafe(self.incoming.put_nowait, message)

    def stop(self) -> None:
        async def end() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(end(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


@pytest.fixture
def peer() -> Iterator[Peer]:
    server = Peer()
    yield server
    server.stop()


def opened(peer: Peer) -> WebSocket:
    ws = WebSocket(peer.loop, peer.receive, peer.send)
    ws.accept("v5.channel.k8s.io")
    return ws


def readable(ws: WebSocket, timeout: float = 5.0) -> bool:
    return bool(select.select([ws], [], [], timeout)[0])


def test_accepting_answers_with_the_subprotocol_and_sends_binary_messages(peer: Peer) -> None:
    ws = opened(peer)
    ws.send(b"\x01hello")
    assert peer.sent == [
        {"type": "websocket.accept", "subprotocol": "v5.channel.k8s.io"},
        {"type": "websocket.send", "bytes": b"\x01hello"},
    ]
    ws.release()


def test_received_messages_make_it_readable_and_arrive_in_order(peer: Peer) -> None:
    ws = opened(peer)
    assert not readable(ws, 0.05)
    peer.deliver({"type": "websocket.receive", "bytes": b"\x00abc"})
    peer.deliver({"type": "websocket.receive", "text": "\x04{}"})
    assert readable(ws)
    received: list[bytes] = []
    while len(received) < 2 and readable(ws):
        received.extend(ws.receive() or [])
    assert received == [b"\x00abc", b"\x04{}"]
    assert not ws.closed
    ws.release()


def test_a_peer_that_goes_away_is_a_closed_websocket_and_sends_become_nothing(peer: Peer) -> None:
    ws = opened(peer)
    peer.deliver({"type": "websocket.disconnect", "code": 1006})
    assert readable(ws)
    assert ws.receive() is None and ws.closed
    ws.send(b"\x01late")
    assert [m["type"] for m in peer.sent] == ["websocket.accept"]
    ws.release()


def test_closing_sends_a_close_and_waits_for_the_peers_answer(peer: Peer) -> None:
    ws = opened(peer)
    threading.Timer(0.1, peer.deliver, [{"type": "websocket.disconnect", "code": 1000}]).start()
    ws.close()
    ws.wait_closed(5)
    assert ws.closed
    assert peer.sent[-1] == {"type": "websocket.close", "code": 1000, "reason": ""}
    ws.release()
