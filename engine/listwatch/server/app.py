"""The HTTPS listener: TLS, the bearer token, body limits, chunked streams, one thread per
connection.

`Server` puts a `LiveCluster` behind `http.server.ThreadingHTTPServer` on 127.0.0.1 (and on no
other address: `host` must be a loopback address). Each connection is served by a thread of its
own, which does the TLS handshake, then reads requests (HTTP/1.1 keep-alive) and answers them
through `handlers.Handlers`. Per request, in the order kube-apiserver's filters apply them:
1. authentication: `Authorization: Bearer <token>`, else 401 (the body is never read);
2. the body: at most 3 MiB (Content-Length or chunked), else 413 "Request entity too large";
3. the handler's answer, written whole, streamed as chunks (watches, followed logs), or the
   connection handed over to another protocol (exec's WebSocket, after its 101).
A malformed request, a client that vanishes mid-stream or a failed handshake costs only its own
connection; the listener and the cluster go on.
"""

from __future__ import annotations

import contextlib
import ipaddress
import select
import socket
import ssl
import sys
import tempfile
import threading
from collections.abc import Iterable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qsl, urlsplit

from listwatch import errors
from listwatch.engine import Engine
from listwatch.server import tls, watchstream
from listwatch.server.handlers import Handlers
from listwatch.server.live import LiveCluster
from listwatch.server.messages import (
    MAX_BODY_BYTES,
    Request,
    Response,
    Streamed,
    Upgrade,
    status_response,
)

#: How long a connection may sit idle between requests, or take over its TLS handshake.
IDLE_SECONDS = 120.0
#: A body over the limit is still read (and dropped) up to this size, so that the client reads
#: the 413 rather than a reset connection; a larger one closes the connection.
DRAIN_LIMIT_BYTES = 64 * 1024 * 1024


class _Listener(ThreadingHTTPServer):
    """ThreadingHTTPServer whose connection threads do the TLS handshake themselves."""

    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], context: ssl.SSLContext, app: Server) -> None:
        self.context = context
        self.app = app
        super().__init__(address, _Connection)

    def finish_request(self, request: Any, client_address: Any) -> None:
        raw: socket.socket = request
        raw.settimeout(IDLE_SECONDS)
        # Without TCP_NODELAY a response written in two parts waits for the client's delayed ACK
        # (40 ms a request on Linux).
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            secure = self.context.wrap_socket(raw, server_side=True)
        except (OSError, ssl.SSLError):
            with contextlib.suppress(OSError):
                raw.close()
            return  # a failed handshake (a plain-HTTP client, a scanner) costs only this connection
        try:
            _Connection(secure, client_address, self)
        finally:
            with contextlib.suppress(OSError):
                secure.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError, ssl.SSLError)):
            return  # a client that went away
        self.app.log(f"listwatch: error on a connection from {client_address}: {exc!r}")


class _Connection(BaseHTTPRequestHandler):
    """One client connection: its requests, one after another."""

    protocol_version = "HTTP/1.1"
    timeout = IDLE_SECONDS
    # Buffered: a response's head and body leave in one write when the request is done (see
    # TCP_NODELAY in `finish_request`); streams flush each chunk themselves.
    wbufsize = 1 << 16
    server: _Listener

    def version_string(self) -> str:
        return "listwatch"

    def log_message(self, format: str, *args: Any) -> None:
        """Requests are not logged (a served cluster under load would flood the terminal)."""

    def do_GET(self) -> None:
        self._serve()

    def do_HEAD(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def _serve(self) -> None:
        app = self.server.app
        if not tls.token_matches(self.headers.get("Authorization"), app.credentials.token):
            self._discard_body()  # unread, then dropped, so that the client reads the 401
            self._send(status_response(errors.Unauthorized("Unauthorized")))
            return
        try:
            body = self._read_body()
        except errors.RequestEntityTooLarge as exc:
            self._send(status_response(exc))
            return
        except errors.APIError as exc:
            self.close_connection = True
            self._send(status_response(exc))
            return
        url = urlsplit(self.path)
        headers = {name.lower(): value for name, value in self.headers.items()}
        pairs = tuple(parse_qsl(url.query, keep_blank_values=True))
        request = Request(self.command, url.path or "/", dict(pairs), headers, body, pairs)
        response = app.handlers.handle(request)
        if response.upgrade is not None:
            self._switch(response.upgrade)
        elif response.stream is not None:
            self._stream(response, response.stream)
        else:
            self._send(response)

    def _read_body(self) -> bytes:
        """The request body, or RequestEntityTooLarge once it passes MAX_BODY_BYTES."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked()
        length_text = self.headers.get("Content-Length")
        if not length_text:
            return b""
        try:
            length = int(length_text)
        except ValueError:
            raise errors.BadRequest(f"invalid Content-Length: {length_text!r}") from None
        if length < 0:
            raise errors.BadRequest(f"invalid Content-Length: {length_text!r}")
        if length > MAX_BODY_BYTES:
            self._drain(length)
            raise errors.RequestEntityTooLarge(
                f"Request entity too large: limit is {MAX_BODY_BYTES}"
            )
        return self.rfile.read(length)

    def _discard_body(self) -> None:
        length_text = self.headers.get("Content-Length") or "0"
        chunked = "chunked" in (self.headers.get("Transfer-Encoding") or "").lower()
        if chunked or not length_text.isdigit():
            self.close_connection = True
            return
        self._drain(int(length_text))

    def _drain(self, length: int) -> None:
        if length > DRAIN_LIMIT_BYTES:
            self.close_connection = True
            return
        remaining = length
        while remaining > 0:
            chunk = self.rfile.read(min(remaining, 1 << 16))
            if not chunk:
                break
            remaining -= len(chunk)

    def _read_chunked(self) -> bytes:
        parts: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1024)
            try:
                size = int(line.split(b";")[0].strip() or b"x", 16)
            except ValueError:
                raise errors.BadRequest("malformed chunked request body") from None
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass
                break
            total += size
            if total > MAX_BODY_BYTES:
                self.close_connection = True
                raise errors.RequestEntityTooLarge(
                    f"Request entity too large: limit is {MAX_BODY_BYTES}"
                )
            parts.append(self.rfile.read(size))
            self.rfile.readline(1024)
        return b"".join(parts)

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def _switch(self, upgrade: Upgrade) -> None:
        """Hand the connection to another protocol (exec's WebSocket); it is not reused after."""
        self.close_connection = True
        self.wfile.flush()
        upgrade(self.connection)

    def _stream(self, response: Response, stream: Streamed) -> None:
        self.close_connection = True  # the socket is polled for the client's going; do not reuse it
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Cache-Control", "no-cache, private")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.flush()
        except OSError:
            if stream.watch is not None:
                stream.watch.close()
            return
        app = self.server.app
        sink = _ChunkSink(self)
        if stream.watch is not None:
            assert stream.encode is not None
            watchstream.pump(
                stream.watch,
                sink,
                stream.encode,
                stopping=app.stopping,
                timeout_seconds=stream.timeout_seconds,
            )
        elif stream.chunks is not None:
            try:
                for chunk in stream.chunks:
                    if app.stopping.is_set() or sink.peer_gone():
                        break
                    sink.write(chunk)
            except (OSError, errors.APIError):
                return
        with contextlib.suppress(OSError):
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()


class _ChunkSink:
    """Writes chunks of a chunked response, and tells whether the client has gone."""

    def __init__(self, connection: _Connection) -> None:
        self.connection = connection

    def write(self, chunk: bytes) -> None:
        if chunk:
            self.connection.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.connection.wfile.flush()

    def peer_gone(self) -> bool:
        """Whether the client closed its end: after the request nothing more is expected from
        it, so a readable socket means end of stream (or a reset), unless it holds data."""
        sock = self.connection.connection
        try:
            readable, _, _ = select.select([sock], [], [], 0)
        except (OSError, ValueError):
            return True
        if not readable:
            return False
        previous = sock.gettimeout()
        try:
            sock.settimeout(0)
            data = sock.recv(1024)
        except (ssl.SSLWantReadError, BlockingIOError):
            return False
        except OSError:
            return True
        finally:
            with contextlib.suppress(OSError):
                sock.settimeout(previous)
        return not data


class Server:
    """The simulated cluster behind a Kubernetes-compatible HTTPS API on a loopback address.

    `start` generates the credentials, starts the cluster's loop thread and the listener, and
    writes the kubeconfig; `stop` undoes all of it (and removes a kubeconfig it chose the path of).
    """

    def __init__(
        self,
        engine: Engine,
        *,
        nodes: Sequence[str],
        port: int = 6443,
        host: str = "127.0.0.1",
        without: Iterable[str] = (),
        kubeconfig_out: str | Path | None = None,
        err: IO[str] | None = None,
        seed: int | None = None,
        runtime: str = "memory",
    ) -> None:
        """`runtime` is the kubelets' (`listwatch.runtime.RUNTIMES`: memory or docker;
        BackendUnavailable when it cannot run here)."""
        if not ipaddress.ip_address(host).is_loopback:
            raise errors.ListwatchError(
                f"listwatch serves on a loopback address only (127.0.0.1), not {host}"
            )
        self.host = host
        self.requested_port = port
        self.err = err
        self.live = LiveCluster(
            engine, nodes=nodes, without=without, seed=seed, err=err, runtime=runtime
        )
        self.credentials = tls.generate(hosts=(host, "localhost"))
        self.stopping = threading.Event()
        self._kubeconfig_out = Path(kubeconfig_out) if kubeconfig_out is not None else None
        self._tempdir: tempfile.TemporaryDirectory[str] | None = None
        self._listener: _Listener | None = None
        self._thread: threading.Thread | None = None
        self.kubeconfig: Path | None = None
        self.handlers: Handlers

    @property
    def port(self) -> int:
        if self._listener is None:
            return self.requested_port
        return int(self._listener.server_address[1])

    @property
    def url(self) -> str:
        return f"https://{self.host}:{self.port}"

    def log(self, text: str) -> None:
        if self.err is not None:
            self.err.write(text.rstrip("\n") + "\n")
            self.err.flush()

    def start(self) -> None:
        """Start the cluster and the listener; OSError when the port cannot be bound."""
        context = tls.server_context(self.credentials)
        try:
            listener = _Listener((self.host, self.requested_port), context, self)
        except OSError:
            self.live.stop()  # never started: closed here (a docker runtime lets go of its engine)
            raise
        try:
            self.live.start()
        except BaseException:
            listener.server_close()
            raise
        self._listener = listener
        self.handlers = Handlers(
            self.live,
            server_address=f"{self.host}:{self.port}",
            err=self.err,
            stopping=self.stopping,
        )
        self._thread = threading.Thread(
            target=listener.serve_forever,
            kwargs={"poll_interval": 0.2},
            name="listwatch-http",
            daemon=True,
        )
        self._thread.start()
        if self._kubeconfig_out is None:
            self._tempdir = tempfile.TemporaryDirectory(prefix="listwatch-serve-")
            target = Path(self._tempdir.name, "kubeconfig")
        else:
            target = self._kubeconfig_out
        self.kubeconfig = tls.write_kubeconfig(target, self.credentials, self.url)

    def stop(self) -> None:
        """Stop accepting, end the streams, stop the cluster."""
        self.stopping.set()
        if self._listener is not None:
            self._listener.shutdown()
            self._listener.server_close()
        if self._thread is not None:
            self._thread.join(5)
        self.live.stop()
        if self._tempdir is not None:
            self._tempdir.cleanup()
            self._tempdir = None

    def client_context(self) -> ssl.SSLContext:
        """A TLS context that trusts this server (for Python clients and tests)."""
        return tls.client_context(self.credentials.ca_pem)

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


__all__ = ["Server"]
