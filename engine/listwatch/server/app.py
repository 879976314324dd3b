"""The HTTPS listener: hypercorn (HTTP/1.1 and HTTP/2, TLS, on asyncio) serving the ASGI
application of `asgi` on 127.0.0.1 only.

`Server` puts a `LiveCluster` behind it. One event loop, on a thread of its own, serves every
connection; the cluster runs on its loop thread (`live`), handlers wait for it on worker threads
(`asgi`). What the listener guarantees, with kube-apiserver's figures where it has them:
- a listen backlog of SOMAXCONN (as Go's listener), so that a burst of connects is queued, not
  refused;
- a deadline for a request's head (HEADER_SECONDS: a client that trickles it in is cut off, as
  kube-apiserver's ReadHeaderTimeout does), which is also how long a connection may sit idle, and
  for a TLS handshake;
- HTTP/2 offered by ALPN (kubectl and client-go use it: many watches on one connection);
- a malformed request, a client that vanishes mid-stream or a failed handshake costs only its own
  connection; the listener and the cluster go on, and nothing is logged with a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import socket
import ssl
import tempfile
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from http import HTTPStatus
from pathlib import Path
from typing import IO, Any, cast

import h11
from hypercorn.asyncio import serve
from hypercorn.config import Config, Sockets
from hypercorn.protocol.h11 import H11Protocol
from hypercorn.typing import ASGIFramework

from listwatch import errors
from listwatch.engine import Engine
from listwatch.server import tls
from listwatch.server.asgi import Application
from listwatch.server.handlers import Handlers
from listwatch.server.live import LiveCluster

#: How long a client may take to send a request's head, or sit idle between requests, or take
#: over its TLS handshake (kube-apiserver's ReadHeaderTimeout is 32 s).
HEADER_SECONDS = 32.0
#: The largest request head, as Go's http.Server allows (MaxHeaderBytes, 1 MiB).
MAX_HEADER_BYTES = 1 << 20
#: How long open connections get to finish once the server stops.
GRACE_SECONDS = 2.0


def _with_reason_phrases() -> None:
    """Give each HTTP/1.1 status line its reason phrase (`HTTP/1.1 409 Conflict`), as Go's
    net/http writes it: hypercorn sends none, and the official Python client reports the phrase
    as `ApiException.reason`. Done once, on hypercorn's HTTP/1.1 protocol class."""
    send = H11Protocol._send_h11_event
    if getattr(send, "with_reasons", False):
        return

    async def with_reason(self: H11Protocol, event: Any) -> None:
        if isinstance(event, h11.Response) and not event.reason:
            with contextlib.suppress(ValueError):
                event = h11.Response(
                    status_code=event.status_code,
                    headers=event.headers,
                    reason=HTTPStatus(event.status_code).phrase,
                )
        await send(self, event)

    with_reason.with_reasons = True  # type: ignore[attr-defined]
    H11Protocol._send_h11_event = with_reason  # type: ignore[method-assign]


_with_reason_phrases()


class _Config(Config):
    """Hypercorn's configuration, serving on the socket listwatch bound (on loopback, before the
    cluster starts) with the TLS context of the certificate listwatch generated."""

    def __init__(self, sock: socket.socket, context: ssl.SSLContext) -> None:
        super().__init__()
        self._socket = sock
        self._context = context
        self.backlog = socket.SOMAXCONN
        self.keep_alive_timeout = HEADER_SECONDS
        self.ssl_handshake_timeout = HEADER_SECONDS
        self.h11_max_incomplete_size = MAX_HEADER_BYTES
        self.h2_max_header_list_size = MAX_HEADER_BYTES
        self.graceful_timeout = GRACE_SECONDS
        self.include_server_header = False  # kube-apiserver sends none
        self.accesslog = None

    @property
    def ssl_enabled(self) -> bool:
        return True

    def create_ssl_context(self) -> ssl.SSLContext:
        return self._context

    def create_sockets(self) -> Sockets:
        return Sockets([self._socket], [], [])


class _OneLine(logging.Formatter):
    """The listener's own errors as one line each: what happened, never a traceback."""

    def format(self, record: logging.LogRecord) -> str:
        text = f"listwatch: {record.getMessage()}"
        if record.exc_info and record.exc_info[1] is not None:
            text += f": {record.exc_info[1]!r}"
        return text


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
        speed: float = 1.0,
        trace_actions: bool = False,
    ) -> None:
        """`runtime` is the kubelets' (`listwatch.runtime.RUNTIMES`: memory or docker;
        BackendUnavailable when it cannot run here); `speed`, how much faster than real time the
        cluster's clock runs; `trace_actions`, whether its components report their acts
        (`LiveCluster`)."""
        if not ipaddress.ip_address(host).is_loopback:
            raise errors.ListwatchError(
                f"listwatch serves on a loopback address only (127.0.0.1), not {host}"
            )
        self.host = host
        self.requested_port = port
        self.err = err
        self.live = LiveCluster(
            engine,
            nodes=nodes,
            without=without,
            seed=seed,
            err=err,
            runtime=runtime,
            speed=speed,
            trace_actions=trace_actions,
        )
        self.credentials = tls.generate(hosts=(host, "localhost"))
        self.stopping = threading.Event()
        self._kubeconfig_out = Path(kubeconfig_out) if kubeconfig_out is not None else None
        self._tempdir: tempfile.TemporaryDirectory[str] | None = None
        self._socket: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._shutdown: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self.kubeconfig: Path | None = None
        self.handlers: Handlers
        self.application: Application

    @property
    def port(self) -> int:
        if self._socket is None:
            return self.requested_port
        return int(self._socket.getsockname()[1])

    @property
    def url(self) -> str:
        return f"https://{self.host}:{self.port}"

    def start(self) -> None:
        """Start the cluster and the listener; OSError when the port cannot be bound."""
        try:
            sock = _listen(self.host, self.requested_port)
        except OSError:
            self.live.stop()  # never started: closed here (a docker runtime lets go of its engine)
            raise
        try:
            self.live.start()
        except BaseException:
            sock.close()
            raise
        self._socket = sock
        self.handlers = Handlers(
            self.live,
            server_address=f"{self.host}:{self.port}",
            err=self.err,
            stopping=self.stopping,
        )
        self.application = Application(
            self.handlers, self.credentials.token, stopping=self.stopping
        )
        config = _Config(sock, tls.server_context(self.credentials))
        config.errorlog = self._error_log()
        loop = self._loop = asyncio.new_event_loop()
        loop.set_exception_handler(_connection_errors_to(config.errorlog))
        self._shutdown = asyncio.Event()
        self._thread = threading.Thread(
            target=self._serve, args=(loop, config), name="listwatch-http", daemon=True
        )
        self._thread.start()
        if self._kubeconfig_out is None:
            self._tempdir = tempfile.TemporaryDirectory(prefix="listwatch-serve-")
            target = Path(self._tempdir.name, "kubeconfig")
        else:
            target = self._kubeconfig_out
        self.kubeconfig = tls.write_kubeconfig(target, self.credentials, self.url)

    def _serve(self, loop: asyncio.AbstractEventLoop, config: Config) -> None:
        assert self._shutdown is not None
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(
                serve(
                    cast(ASGIFramework, self.application),
                    config,
                    shutdown_trigger=self._shutdown.wait,
                    mode="asgi",
                )
            )
        except (ssl.SSLError, ConnectionError):
            pass  # one connection's end, raised again when the listener shuts down
        except Exception as exc:  # the listener failed as a whole: say so, in one line
            if self.err is not None:
                self.err.write(f"listwatch: the HTTPS listener stopped: {exc!r}\n")
        finally:
            _close(loop)

    def _error_log(self) -> logging.Logger:
        logger = logging.getLogger(f"listwatch.http.{id(self)}")
        logger.propagate = False
        logger.handlers.clear()
        if self.err is not None:
            handler = logging.StreamHandler(self.err)
            handler.setFormatter(_OneLine())
            logger.addHandler(handler)
        else:
            logger.addHandler(logging.NullHandler())
        return logger

    def stop(self) -> None:
        """End the streams, stop accepting, stop the cluster."""
        self.stopping.set()
        loop, shutdown = self._loop, self._shutdown
        if loop is not None and shutdown is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self.application.stop_streams)
                loop.call_soon_threadsafe(shutdown.set)
        if self._thread is not None:
            self._thread.join(GRACE_SECONDS + 0.5)
            if self._thread.is_alive() and loop is not None:
                # A connection still in TLS's closing handshake with a client that will never
                # answer (one that shut its socket without closing it) would hold the listener
                # for asyncio's 30-second SSL shutdown: drop such connections.
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(_abort_transports, loop)
                self._thread.join(5)
        if self._socket is not None:
            self._socket.close()
        if self._loop is not None:
            self.application.executor.shutdown(wait=False, cancel_futures=True)
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


def _connection_errors_to(
    log: logging.Logger,
) -> Callable[[asyncio.AbstractEventLoop, dict[str, Any]], None]:
    """The loop's handler for what a connection's task raised and nobody awaited: nothing for a
    client that broke its TLS session or a connection cancelled at shutdown (it costs only that
    connection), one line in the error log, never a traceback, for anything else."""

    def handle(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if isinstance(exc, ssl.SSLError | ConnectionError | asyncio.CancelledError):
            return
        what = f"{type(exc).__name__}: {exc}" if exc is not None else ""
        log.error("%s %s", context.get("message", "error"), what)

    return handle


def _close(loop: asyncio.AbstractEventLoop) -> None:
    """Close the listener's loop as asyncio.run closes its own, what still runs cancelled, and
    drop the connections still open: a client that never answers TLS's close_notify would
    otherwise hold its socket for asyncio's 30-second SSL shutdown, past the loop's end."""
    with contextlib.suppress(Exception):
        tasks = asyncio.all_tasks(loop)
        for task in tasks:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        _abort_transports(loop)
        loop.run_until_complete(asyncio.sleep(0))
        loop.run_until_complete(loop.shutdown_asyncgens())
    loop.close()


def _abort_transports(loop: asyncio.AbstractEventLoop) -> None:
    """Drop every connection of the loop at once."""
    # The selector loop's registry of its socket transports (CPython's, not public API).
    open_transports: Mapping[int, asyncio.Transport] = getattr(loop, "_transports", {})
    for transport in list(open_transports.values()):
        transport.abort()


def _listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on `host`:`port` (0: a free port), with a full backlog."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
        sock.listen(socket.SOMAXCONN)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


__all__ = ["Server"]
