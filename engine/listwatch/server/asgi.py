"""The served API as an ASGI application: from the HTTP server's messages to `Handlers` and back.

Per request, in the order kube-apiserver's filters apply them:
1. authentication: `Authorization: Bearer <token>`, else 401;
2. the body: at most 3 MiB, else 413 "Request entity too large" (a body a little over the limit
   is read and dropped, so that the client reads the 413 rather than a reset connection);
3. the handler's answer (`Handlers.handle`, on a worker thread: it waits for the cluster's loop),
   written whole, streamed (a watch through `watchstream.Pump`, a followed log chunk by chunk), or,
   for a WebSocket, the connection handed to the exec or port-forward on a worker thread
   (pods/portforward is answered by `portforward`, not `Handlers`).
A client that goes away cancels its request's task; its watch is stopped.

The event loop is shared by every connection, so nothing here blocks it: handlers and execs run
on `executor`, watch events arrive through `watchstream.Wakeups`, and a watcher that stops reading
is closed by the sweep (`sweep_unresponsive`) instead of holding anything up.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import ssl
import threading
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qsl

from listwatch import errors
from listwatch.server import portforward, routes, tls
from listwatch.server.handlers import Handlers
from listwatch.server.messages import MAX_BODY_BYTES, Request, Response, status_response
from listwatch.server.watchstream import Pump, Wakeups
from listwatch.server.websocket import Message, Receive, Send, WebSocket

#: A body over the limit is still read (and dropped) up to this size, so that the client reads
#: the 413; a larger one is cut off.
DRAIN_LIMIT_BYTES = 64 * 1024 * 1024
#: How often the watchers are checked for one that stopped reading.
SWEEP_SECONDS = 1.0
#: Worker threads for handlers (each waits for the cluster's loop) and for execs.
WORKERS = 64


class Application:
    """The ASGI application over one `Handlers` (see the module docstring)."""

    def __init__(self, handlers: Handlers, token: str, *, stopping: threading.Event) -> None:
        self.handlers = handlers
        self.token = token
        self.stopping = stopping
        self.executor = ThreadPoolExecutor(WORKERS, thread_name_prefix="listwatch-request")
        #: The running watch streams, and the tasks that run them.
        self.pumps: dict[Pump, asyncio.Task[str]] = {}
        self._wakeups: Wakeups | None = None

    async def __call__(self, scope: Message, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        try:
            if kind == "http":
                await self._http(scope, receive, send)
            elif kind == "websocket":
                await self._websocket(scope, receive, send)
        except (ssl.SSLError, ConnectionError):
            return  # the client broke its connection mid-answer: only that answer is lost
        if kind == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        sweeper: asyncio.Task[None] | None = None
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self._wakeups = Wakeups(asyncio.get_running_loop())
                sweeper = asyncio.get_running_loop().create_task(self._sweep())
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if sweeper is not None:
                    sweeper.cancel()
                self.stop_streams()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def stop_streams(self) -> None:
        """End every watch stream (the server is stopping); call on the event loop."""
        for pump in list(self.pumps):
            pump.stop()

    async def _sweep(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(SWEEP_SECONDS)
            now = loop.time()
            for pump, task in list(self.pumps.items()):
                if pump.unresponsive(now):
                    task.cancel()

    # -- plain HTTP ----------------------------------------------------------------------------

    async def _http(self, scope: Message, receive: Receive, send: Send) -> None:
        request = _request(scope)
        if not tls.token_matches(request.header("authorization") or None, self.token):
            await _answer(send, status_response(errors.Unauthorized("Unauthorized")), request)
            return
        try:
            body = await _body(receive, request)
        except errors.APIError as exc:
            await _answer(send, status_response(exc), request)
            return
        request = dataclasses.replace(request, body=body)
        response = await self._handle(request)
        if response.upgrade is not None:
            response = status_response(errors.BadRequest("Upgrade request required"))
        stream = response.stream
        if stream is None:
            await _answer(send, response, request)
            return
        await send(_start(response, streamed=True))

        async def part(data: bytes) -> None:
            await send({"type": "http.response.body", "body": data, "more_body": True})

        if stream.watch is not None:
            assert stream.encode is not None
            pump = Pump(
                stream.watch,
                part,
                stream.encode,
                wakeups=self._wakeups_now(),
                timeout_seconds=stream.timeout_seconds,
            )
            await self._watch(receive, pump)
        elif stream.chunks is not None:
            await self._chunks(receive, part, stream.chunks)
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _handle(self, request: Request) -> Response:
        loop = asyncio.get_running_loop()
        handle = self._portforward if portforward.owns(request.path) else self.handlers.handle
        return await loop.run_in_executor(self.executor, handle, request)

    def _portforward(self, request: Request) -> Response:
        """pods/portforward (`portforward`): checked, then handed over to the WebSocket."""
        live = self.handlers.live
        try:
            route = routes.parse(request.path, live.api.registry)
            route.verb(request.method, request.query)
            return portforward.answer(live, route, request, stopping=self.stopping)
        except errors.APIError as exc:
            return status_response(exc)
        except Exception as exc:  # as Handlers.handle: a Status, never an exception
            return status_response(errors.APIError(f"Internal error occurred: {exc}"))

    def _wakeups_now(self) -> Wakeups:
        if self._wakeups is None:  # served without lifespan events
            self._wakeups = Wakeups(asyncio.get_running_loop())
        return self._wakeups

    async def _watch(self, receive: Receive, pump: Pump) -> None:
        """Run `pump` until it ends. A client that goes away cancels it, and a client that falls
        too far behind is dropped: both raise CancelledError, on which the server closes the
        connection without waiting to write the stream's end."""
        loop = asyncio.get_running_loop()
        if self.stopping.is_set():
            pump.stop()
        task = loop.create_task(pump.run())
        self.pumps[pump] = task
        watcher = loop.create_task(_disconnected(receive))
        try:
            await asyncio.wait({task, watcher}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            del self.pumps[pump]
            gone = watcher.done()
            watcher.cancel()
            if not task.done():
                task.cancel()
            with contextlib.suppress(BaseException):
                await task
        if gone or task.cancelled() or task.exception() is not None or task.result() == "slow":
            raise asyncio.CancelledError

    async def _chunks(
        self, receive: Receive, part: Callable[[bytes], Awaitable[None]], chunks: Iterator[bytes]
    ) -> None:
        """A followed log: each chunk as the worker thread reads it, until the end, the client's
        going or the server's stopping."""
        loop = asyncio.get_running_loop()
        watcher = loop.create_task(_disconnected(receive))
        try:
            while not self.stopping.is_set():
                chunk = await loop.run_in_executor(self.executor, next, chunks, None)
                if watcher.done():
                    raise asyncio.CancelledError
                if chunk is None:
                    return
                await part(chunk)
        except errors.APIError:
            return
        finally:
            watcher.cancel()
            closer = getattr(chunks, "close", None)
            if closer is not None:
                await loop.run_in_executor(self.executor, closer)

    # -- WebSocket (pods/exec, pods/portforward) -----------------------------------------------

    async def _websocket(self, scope: Message, receive: Receive, send: Send) -> None:
        request = _request(scope, method="GET")
        if not tls.token_matches(request.header("authorization") or None, self.token):
            await _deny(send, status_response(errors.Unauthorized("Unauthorized")))
            return
        response = await self._handle(request)
        if response.upgrade is None:
            await _deny(send, response)
            return
        loop = asyncio.get_running_loop()
        websocket = WebSocket(loop, receive, send)
        try:
            await loop.run_in_executor(self.executor, response.upgrade, websocket)
        except OSError:
            pass  # the client went away mid-exec
        finally:
            websocket.release()


def _request(scope: Message, *, method: str | None = None) -> Request:
    query = scope.get("query_string", b"").decode("latin-1")
    pairs = tuple(parse_qsl(query, keep_blank_values=True))
    headers: dict[str, str] = {}
    for name, value in scope.get("headers", ()):
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1")
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
    path = scope.get("path") or "/"
    return Request(method or scope["method"], path, dict(pairs), headers, b"", pairs)


async def _body(receive: Receive, request: Request) -> bytes:
    """The request body, or RequestEntityTooLarge once it passes MAX_BODY_BYTES."""
    declared = request.header("content-length")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        await _drain(receive, int(declared))
        raise _too_large()
    parts: list[bytes] = []
    total = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise asyncio.CancelledError
        chunk = message.get("body", b"")
        total += len(chunk)
        if total > MAX_BODY_BYTES:
            if message.get("more_body"):
                await _drain(receive, DRAIN_LIMIT_BYTES - total)
            raise _too_large()
        parts.append(chunk)
        if not message.get("more_body"):
            return b"".join(parts)


def _too_large() -> errors.RequestEntityTooLarge:
    return errors.RequestEntityTooLarge(f"Request entity too large: limit is {MAX_BODY_BYTES}")


async def _drain(receive: Receive, limit: int) -> None:
    """Read and drop what remains of a body, up to `limit` bytes."""
    left = min(limit, DRAIN_LIMIT_BYTES)
    while left > 0:
        message = await receive()
        if message["type"] != "http.request":
            return
        left -= len(message.get("body", b""))
        if not message.get("more_body"):
            return


async def _disconnected(receive: Receive) -> None:
    """Return once the client has gone."""
    while (await receive())["type"] != "http.disconnect":
        pass


def _start(response: Response, *, streamed: bool = False) -> Message:
    headers = [
        (b"content-type", response.content_type.encode("latin-1")),
        (b"cache-control", b"no-cache, private"),
    ]
    if not streamed:
        headers.append((b"content-length", str(len(response.body)).encode()))
    headers.extend(
        (name.lower().encode("latin-1"), value.encode("latin-1"))
        for name, value in response.headers.items()
    )
    return {"type": "http.response.start", "status": response.status, "headers": headers}


async def _answer(send: Send, response: Response, request: Request) -> None:
    await send(_start(response))
    body = b"" if request.method == "HEAD" else response.body
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def _deny(send: Send, response: Response) -> None:
    """Refuse a WebSocket handshake with an HTTP answer (a Status; kubectl prints it)."""
    start = _start(response)
    await send({**start, "type": "websocket.http.response.start"})
    await send({"type": "websocket.http.response.body", "body": response.body})
