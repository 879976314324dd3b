"""A WebSocket opened by the HTTP server, used from a blocking thread (pods/exec's).

The HTTP server (hypercorn) speaks the protocol: the opening handshake, framing, fragments, pings
and the closing handshake. This adapts its ASGI messages to the thread that runs an exec, which
waits with `select` on both the client and the command:
- `fileno` is readable while received messages wait (a socket pair the event loop writes to);
- `receive` returns them (None once the client has closed or gone), `send` sends one binary
  message and returns once it is handed to the server, `close` starts the closing handshake and
  `wait_closed` waits for its end.

    thread                             event loop
    accept("v5.channel.k8s.io")   ->   websocket.accept; a task reads the client's messages
    send(b"\\x01hello")            ->   websocket.send
    select([ws, command]) <- wakes     websocket.receive: queued, one byte on the socket pair
    close(); wait_closed(10)       ->   websocket.close ... websocket.disconnect
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

#: The close code of a normal end (RFC 6455 section 7.4.1).
NORMAL_CLOSURE = 1000
#: How long a send may wait for the server to take a message before the WebSocket counts as gone.
SEND_SECONDS = 60.0


class WebSocket:
    """The server side of one WebSocket, for a blocking thread (see the module docstring)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, receive: Receive, send: Send) -> None:
        self.loop = loop
        self._receive = receive
        self._send = send
        self.subprotocol = ""
        self.closed = False  # the peer has closed, or the connection is gone
        self._messages: deque[bytes] = deque()
        self._gone = threading.Event()
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)

    def accept(self, subprotocol: str) -> None:
        """Answer the opening handshake (101 Switching Protocols) choosing `subprotocol` ("": the
        client offered none, and the answer names none)."""
        self.subprotocol = subprotocol
        self._run({"type": "websocket.accept", "subprotocol": subprotocol or None})
        asyncio.run_coroutine_threadsafe(self._read(), self.loop)

    async def _sent(self, message: Message) -> None:
        await self._send(message)

    async def _read(self) -> None:
        try:
            while True:
                message = await self._receive()
                if message["type"] == "websocket.receive":
                    data = message.get("bytes")
                    if data is None:
                        data = (message.get("text") or "").encode()
                    self._messages.append(data)
                    self._signal()
                elif message["type"] == "websocket.disconnect":
                    return
        finally:
            self._gone.set()
            self._signal()

    def _signal(self) -> None:
        with contextlib.suppress(OSError):
            self._writer.send(b"\0")

    def fileno(self) -> int:
        return self._reader.fileno()

    def buffered(self) -> bool:
        """Whether received messages wait to be taken."""
        return bool(self._messages)

    def receive(self) -> list[bytes] | None:
        """The messages that have arrived (call when readable); None once the peer has closed."""
        with contextlib.suppress(OSError):
            while self._reader.recv(4096):
                pass
        received = []
        while self._messages:
            received.append(self._messages.popleft())
        if not received and self._gone.is_set():
            self.closed = True
            return None
        return received

    def send(self, data: bytes) -> None:
        """Send one binary message (nothing, once the connection is closing or gone)."""
        if not self.closed and not self._gone.is_set():
            self._run({"type": "websocket.send", "bytes": data})

    def close(self, code: int = NORMAL_CLOSURE, reason: str = "") -> None:
        """Send a close frame (nothing when the peer has already gone)."""
        if not self._gone.is_set():
            self._run({"type": "websocket.close", "code": code, "reason": reason})

    def wait_closed(self, timeout: float) -> None:
        """After `close`: wait until the peer answers or goes, or `timeout` passes."""
        if self._gone.wait(timeout):
            self.closed = True

    def release(self) -> None:
        """Free the socket pair (once the thread is done with the WebSocket)."""
        self._reader.close()
        self._writer.close()

    def _run(self, message: Message) -> None:
        """Send `message` on the event loop and wait until the server has taken it."""
        future = asyncio.run_coroutine_threadsafe(self._sent(message), self.loop)
        try:
            future.result(SEND_SECONDS)
        except Exception as exc:  # the connection is gone (or the loop has stopped)
            future.cancel()
            self.closed = True
            raise OSError(f"the WebSocket is gone: {exc!r}") from exc
