"""A server-side WebSocket (RFC 6455) on a connection whose HTTP request has been read.

The handshake and the framing are `wsproto`'s (sans-IO); this module only moves bytes between it
and the connection's socket, which stays blocking and is driven by one thread: the caller
`select`s on `fileno()` (and asks `buffered()` first, since TLS may hold decrypted bytes the
socket no longer shows), then calls `receive`. What it guarantees:

- `handshake` checks the upgrade request before anything is written (a bad one is a plain 400);
  `accept` then answers it with 101 and the chosen subprotocol, nothing else (no extensions: no
  compression);
- `receive` returns whole messages, reassembled from fragments, text as UTF-8 bytes; it answers
  pings with pongs and a close with a close, and returns None once the peer has closed (by a close
  frame or by closing the connection);
- `close` sends a close frame once; `wait_closed` then reads until the peer answers or goes.
"""

from __future__ import annotations

import contextlib
import select
import socket
import ssl
import time

from wsproto import ConnectionType, WSConnection
from wsproto.connection import ConnectionState
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Message,
    Ping,
    Request,
    TextMessage,
)
from wsproto.utilities import LocalProtocolError, RemoteProtocolError

from listwatch import errors
from listwatch.server import messages

#: The close code of a normal end (RFC 6455 section 7.4.1).
NORMAL_CLOSURE = 1000


class WebSocket:
    """One WebSocket connection, server side (see the module docstring)."""

    def __init__(self, connection: WSConnection, subprotocol: str) -> None:
        self.connection = connection
        self.subprotocol = subprotocol
        self.sock: socket.socket | None = None
        self.closed = False  # the peer has closed, or the connection is gone
        self._partial = bytearray()

    @classmethod
    def handshake(cls, request: messages.Request, subprotocol: str) -> WebSocket:
        """Read the opening handshake of `request`, to be answered choosing `subprotocol`.
        BadRequest when it is not a valid WebSocket upgrade (nothing has been written then)."""
        connection = WSConnection(ConnectionType.SERVER)
        try:
            connection.receive_data(_head(request))
            opened = [event for event in connection.events() if isinstance(event, Request)]
        except (RemoteProtocolError, LocalProtocolError) as exc:
            raise errors.BadRequest(f"invalid WebSocket upgrade request: {exc}") from exc
        if not opened:
            raise errors.BadRequest(
                "invalid WebSocket upgrade request: the handshake is incomplete"
            )
        return cls(connection, subprotocol)

    def accept(self, sock: socket.socket) -> None:
        """Answer the handshake on `sock` (101 Switching Protocols); the connection is a WebSocket
        from here."""
        self.sock = sock
        sock.sendall(self.connection.send(AcceptConnection(subprotocol=self.subprotocol)))

    @property
    def _sock(self) -> socket.socket:
        if self.sock is None:
            raise RuntimeError("the WebSocket handshake has not been answered (call accept first)")
        return self.sock

    def fileno(self) -> int:
        return self._sock.fileno()

    def buffered(self) -> bool:
        """Whether bytes already read from the socket (and decrypted) wait to be received."""
        return isinstance(self.sock, ssl.SSLSocket) and self.sock.pending() > 0

    def send(self, data: bytes) -> None:
        """Send one binary message (nothing, once the connection is closing)."""
        if self.connection.state is ConnectionState.OPEN:
            self._sock.sendall(self.connection.send(BytesMessage(data=data)))

    def receive(self) -> list[bytes] | None:
        """The messages that have arrived (call when readable); None once the peer has closed."""
        if self.closed:
            return None
        try:
            data = self._sock.recv(1 << 16)
        except (OSError, ValueError):
            data = b""
        received: list[bytes] = []
        try:
            self.connection.receive_data(data or None)
            for event in self.connection.events():
                if isinstance(event, Message):
                    chunk = (
                        event.data.encode() if isinstance(event, TextMessage) else bytes(event.data)
                    )
                    self._partial += chunk
                    if event.message_finished:
                        received.append(bytes(self._partial))
                        self._partial.clear()
                elif isinstance(event, Ping):
                    self._write(self.connection.send(event.response()))
                elif isinstance(event, CloseConnection):
                    if self.connection.state is ConnectionState.REMOTE_CLOSING:
                        self._write(self.connection.send(event.response()))
                    self.closed = True
        except (RemoteProtocolError, LocalProtocolError):
            self.closed = True
        if not data:
            self.closed = True
        if self.closed and not received:
            return None
        return received

    def close(self, code: int = NORMAL_CLOSURE, reason: str = "") -> None:
        """Send a close frame (once; nothing when the peer has already closed)."""
        if self.connection.state is ConnectionState.OPEN:
            with contextlib.suppress(LocalProtocolError):
                self._write(self.connection.send(CloseConnection(code=code, reason=reason)))

    def wait_closed(self, timeout: float) -> None:
        """After `close`: read (and drop) what comes until the peer answers, goes, or `timeout`
        passes."""
        deadline = time.monotonic() + timeout
        while not self.closed:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            if not self.buffered():
                try:
                    readable, _, _ = select.select([self._sock], [], [], min(remaining, 1.0))
                except (OSError, ValueError):
                    return
                if not readable:
                    continue
            self.receive()

    def _write(self, data: bytes) -> None:
        try:
            self._sock.sendall(data)
        except OSError:
            self.closed = True


def _head(request: messages.Request) -> bytes:
    """The request's head as it came (its line and headers), for wsproto's handshake parser."""
    lines = [f"{request.method} {request.path} HTTP/1.1"]
    lines.extend(f"{name}: {value}" for name, value in request.headers.items())
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", errors="replace")
