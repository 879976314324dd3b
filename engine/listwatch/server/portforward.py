"""pods/portforward: TCP connections to a pod's ports, over a WebSocket (kubectl port-forward, the
official Python client's `portforward`).

Two protocols ride the WebSocket, chosen by its subprotocol:

- `SPDY/3.1+portforward.k8s.io` (kubectl v1.31 and later): the binary messages carry the bytes of
  an SPDY/3.1 session (`spdy`), in which the client opens, per local connection, two streams with
  the headers `streamType` (`error` or `data`), `port` and `requestID`. The server replies to each,
  pairs them by request, connects to the port, copies bytes between the connection and the data
  stream, and ends both streams when the connection ends; what kept it from connecting is written
  on the error stream. This is kubelet's SPDY port-forward server, carried as kube-apiserver's
  tunnel carries it; PINGs are echoed.
- `v4.channel.k8s.io` (or none): the channel protocol of kubelet's WebSocket port-forward, for the
  ports of the query's `ports`: per port, a data channel (2i) and an error channel (2i+1), the
  first message on each the port as two bytes little-endian. Each port gets one connection; the
  WebSocket closes once every port's connection has ended.

kubectl's fallback, `POST` with `Upgrade: SPDY/3.1`, is refused with a Status (as pods/exec's is).
Before the upgrade, what kube-apiserver and the kubelet check: the pod (404), its node (400), a
pod the kubelet has no sandbox for (400), the ports (400). A port nobody listens on is not a
refusal: the error channel (or stream) says so, in kubelet's and containerd's words.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
from dataclasses import dataclass, field

from listwatch import errors
from listwatch.cluster import Cluster
from listwatch.runtime.base import PortUnreachable, Runtime
from listwatch.server import messages, routes, spdy
from listwatch.server.live import LiveCluster
from listwatch.server.websocket import WebSocket

TUNNEL = "SPDY/3.1+portforward.k8s.io"
V4 = "v4.channel.k8s.io"
#: The WebSocket subprotocols served: the SPDY tunnel first, then the channel protocol.
PROTOCOLS = (TUNNEL, V4)
#: The headers of a port-forward stream (Kubernetes' PortHeader, StreamType, PortForwardRequestID).
PORT, STREAM_TYPE, REQUEST_ID = "port", "streamtype", "requestid"
#: How often a forwarding thread looks up from its wait to see whether the server is stopping.
POLL_SECONDS = 0.5
#: How long the server waits for the client's close after its own.
FINISH_SECONDS = 10.0
READ_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class Target:
    """The pod whose ports are forwarded: the kubelet's view of it (node, uid)."""

    pod: str
    namespace: str
    uid: str
    node: str


def owns(path: str) -> bool:
    """Whether `path` names a pod's portforward subresource (served here, not by `Handlers`)."""
    parts = [p for p in path.split("/") if p]
    return len(parts) == 7 and parts[:2] == ["api", "v1"] and parts[4::2] == ["pods", "portforward"]


def locate(cluster: Cluster, name: str, namespace: str) -> Target:
    """(loop thread) The pod to forward to, with kube-apiserver's and the kubelet's refusals."""
    pod = cluster.pod(name, namespace)
    spec = pod.get("spec") or {}
    if not spec.get("nodeName"):
        raise errors.BadRequest(f"pod {name} does not have a host assigned")
    if (pod.get("status") or {}).get("phase") != "Running":
        raise errors.BadRequest("unable to upgrade connection: pod does not exist")
    meta = pod.get("metadata") or {}
    return Target(name, namespace, str(meta.get("uid", "")), str(spec["nodeName"]))


def ports(request: messages.Request) -> tuple[int, ...]:
    """The ports of the query (`ports`, repeated or comma-separated), as the kubelet parses them
    for a WebSocket; BadRequest for none, or one that is no port."""
    values = request.values("ports")
    if not values:
        raise errors.BadRequest('query parameter "port" is required')
    found = []
    for value in values:
        if not value:
            raise errors.BadRequest('query parameter "port" cannot be empty')
        for part in value.split(","):
            if not part.isdigit() or int(part) > 65535:
                raise errors.BadRequest(
                    f'unable to parse "{value}" as a port: strconv.ParseUint: parsing "{part}": '
                    + ("value out of range" if part.isdigit() else "invalid syntax")
                )
            if int(part) < 1:
                raise errors.BadRequest(f'port "{value}" must be > 0')
            found.append(int(part))
    return tuple(found)


def negotiate(request: messages.Request) -> str:
    """The subprotocol to answer with ("" when the client offers none); BadRequest for a request
    that is no WebSocket upgrade (SPDY included) or offers none of PROTOCOLS."""
    upgrade = request.header("upgrade").lower()
    if "websocket" not in upgrade:
        if "spdy" in upgrade:
            raise errors.BadRequest(
                f"listwatch serves pods/portforward over WebSocket ({', '.join(PROTOCOLS)}), not "
                f"{request.header('upgrade')}; use kubectl v1.31 or later (with "
                "KUBECTL_PORT_FORWARD_WEBSOCKETS unset or true), or a client that speaks WebSocket"
            )
        raise errors.BadRequest("Upgrade request required")
    offered = [p.strip() for p in request.header("sec-websocket-protocol").split(",") if p.strip()]
    if not offered:
        return ""
    for protocol in PROTOCOLS:
        if protocol in offered:
            return protocol
    raise errors.BadRequest(
        f"requested protocol(s) are not supported: [{' '.join(offered)}]; supports "
        f"[{' '.join(PROTOCOLS)}]"
    )


def forwarding_error(port: int, exc: PortUnreachable) -> str:
    """What the kubelet writes on the error stream when the runtime cannot forward a port (it
    names the sandbox as the pod, and no uid)."""
    return f"error forwarding port {port} to pod {exc.sandbox_id}, uid : {exc.reason}"


def _readable(fds: list[int], timeout: float) -> set[int]:
    poller = select.poll()
    for fd in fds:
        poller.register(fd, select.POLLIN)
    return {fd for fd, _ in poller.poll(timeout * 1000)}


def _finish(ws: WebSocket) -> None:
    if ws.closed:
        return
    with contextlib.suppress(OSError):
        ws.close()
        ws.wait_closed(FINISH_SECONDS)


# -- the channel protocol (v4.channel.k8s.io) ------------------------------------------------------


class Channels:
    """One forward over the channel protocol, from the handshake's answer to the end (a worker
    thread runs it, given the WebSocket)."""

    def __init__(
        self,
        target: Target,
        ports: tuple[int, ...],
        runtime: Runtime,
        *,
        subprotocol: str,
        stopping: threading.Event,
    ) -> None:
        self.target = target
        self.ports = ports
        self.runtime = runtime
        self.subprotocol = subprotocol
        self.stopping = stopping

    def __call__(self, ws: WebSocket) -> None:
        ws.accept(self.subprotocol)
        for index, port in enumerate(self.ports):
            prefix = port.to_bytes(2, "little")
            ws.send(bytes([2 * index]) + prefix)
            ws.send(bytes([2 * index + 1]) + prefix)
        connections: dict[int, socket.socket] = {}
        try:
            for index, port in enumerate(self.ports):
                try:
                    connections[index] = self.runtime.connect(
                        self.target.node, self.target.uid, port
                    )
                except PortUnreachable as exc:
                    text = forwarding_error(port, exc)
                    ws.send(bytes([2 * index + 1]) + text.encode())
            self._pump(ws, connections)
        finally:
            for sock in connections.values():
                sock.close()
        _finish(ws)

    def _pump(self, ws: WebSocket, connections: dict[int, socket.socket]) -> None:
        """Copy between the WebSocket's data channels and the connections until every connection
        has ended, or the client has gone."""
        while connections and not ws.closed and not self.stopping.is_set():
            by_fd = {sock.fileno(): index for index, sock in connections.items()}
            ready = (
                {ws.fileno()} if ws.buffered() else _readable([ws.fileno(), *by_fd], POLL_SECONDS)
            )
            if ws.fileno() in ready:
                for message in ws.receive() or ():
                    self._to_pod(connections, message)
            for fd, index in by_fd.items():
                if fd not in ready or index not in connections:
                    continue
                try:
                    data = connections[index].recv(READ_BYTES)
                except OSError:
                    data = b""
                if data:
                    ws.send(bytes([2 * index]) + data)
                else:
                    connections.pop(index).close()

    @staticmethod
    def _to_pod(connections: dict[int, socket.socket], message: bytes) -> None:
        """A message from the client: data for a port's connection (on its data channel); the
        client writes nothing else."""
        if len(message) < 2 or message[0] % 2:
            return
        index = message[0] // 2
        sock = connections.get(index)
        if sock is None:
            return
        try:
            sock.sendall(message[1:])
        except OSError:
            connections.pop(index).close()


# -- the SPDY tunnel (SPDY/3.1+portforward.k8s.io) ----------------------------------------------


@dataclass(slots=True)
class _Pair:
    """The error and data streams of one forwarded connection, and the connection."""

    request_id: str
    port: int
    error_stream: int = 0
    data_stream: int = 0
    connection: socket.socket | None = None
    #: What the client sent on the data stream before the connection was open.
    pending: list[bytes] = field(default_factory=list)
    #: The client has ended its half of the data stream.
    client_done: bool = False
    done: bool = False


class Tunnel:
    """One SPDY/3.1 port-forward session carried by a WebSocket (see the module docstring); a
    worker thread runs it, given the WebSocket."""

    def __init__(self, target: Target, runtime: Runtime, *, stopping: threading.Event) -> None:
        self.target = target
        self.runtime = runtime
        self.stopping = stopping
        self.framer = spdy.Framer()
        self.pairs: dict[str, _Pair] = {}
        #: The pair each open stream belongs to.
        self.streams: dict[int, _Pair] = {}
        self.last_stream = 0

    def __call__(self, ws: WebSocket) -> None:
        ws.accept(TUNNEL)
        try:
            self._run(ws)
        finally:
            for pair in self.pairs.values():
                if pair.connection is not None:
                    pair.connection.close()
        if self.stopping.is_set() and not ws.closed:
            with contextlib.suppress(OSError):
                self._send(ws, spdy.Frame(spdy.GOAWAY, self.last_stream))
        _finish(ws)

    def _run(self, ws: WebSocket) -> None:
        while not ws.closed and not self.stopping.is_set():
            by_fd = {
                pair.connection.fileno(): pair
                for pair in self.pairs.values()
                if pair.connection is not None
            }
            ready = (
                {ws.fileno()} if ws.buffered() else _readable([ws.fileno(), *by_fd], POLL_SECONDS)
            )
            if ws.fileno() in ready and not self._receive(ws):
                return
            for fd, pair in by_fd.items():
                if fd in ready and pair.connection is not None:
                    self._from_pod(ws, pair)

    def _send(self, ws: WebSocket, frame: spdy.Frame) -> None:
        ws.send(self.framer.encode(frame))

    def _receive(self, ws: WebSocket) -> bool:
        """Act on what the client sent; False once the session ends (its GOAWAY, or a frame SPDY
        does not allow, answered with GOAWAY)."""
        for message in ws.receive() or ():
            try:
                frames = self.framer.feed(message)
            except spdy.ProtocolError:
                self._send(ws, spdy.Frame(spdy.GOAWAY, self.last_stream, value=spdy.PROTOCOL_ERROR))
                return False
            for frame in frames:
                if not self._take(ws, frame):
                    return False
        return True

    def _take(self, ws: WebSocket, frame: spdy.Frame) -> bool:
        """Act on one frame from the client; False once the session ends (GOAWAY)."""
        if frame.kind == spdy.SYN_STREAM:
            self._open(ws, frame)
        elif frame.kind == spdy.DATA:
            self._data(ws, frame)
        elif frame.kind == spdy.RST_STREAM:
            pair = self.streams.pop(frame.stream_id, None)
            if pair is not None:
                self._drop(pair)
        elif frame.kind == spdy.PING:
            self._send(ws, frame)
        elif frame.kind == spdy.GOAWAY:
            return False
        return True

    def _open(self, ws: WebSocket, frame: spdy.Frame) -> None:
        """A new stream: checked as kubelet's stream handler checks it (a bad one is reset), then
        paired with the other stream of its request."""
        headers, stream_id = frame.headers, frame.stream_id
        self.last_stream = max(self.last_stream, stream_id)
        kind, port_text = headers.get(STREAM_TYPE, ""), headers.get(PORT, "")
        if (
            kind not in ("error", "data")
            or not port_text.isdigit()
            or not 0 < int(port_text) < 65536
        ):
            self._send(ws, spdy.Frame(spdy.RST_STREAM, stream_id, value=spdy.CANCEL))
            return
        self._send(ws, spdy.Frame(spdy.SYN_REPLY, stream_id))
        request_id = headers.get(REQUEST_ID) or str(stream_id if kind == "error" else stream_id - 2)
        pair = self.pairs.setdefault(request_id, _Pair(request_id, int(port_text)))
        self.streams[stream_id] = pair
        if kind == "error" and not pair.error_stream:
            pair.error_stream = stream_id
        elif kind == "data" and not pair.data_stream:
            pair.data_stream = stream_id
        else:
            message = (
                f"error processing stream for request {request_id}: {kind} stream already assigned"
            )
            if pair.error_stream:
                self._send(ws, spdy.Frame(spdy.DATA, pair.error_stream, data=message.encode()))
            return
        if pair.error_stream and pair.data_stream:
            self._connect(ws, pair)

    def _connect(self, ws: WebSocket, pair: _Pair) -> None:
        try:
            pair.connection = self.runtime.connect(self.target.node, self.target.uid, pair.port)
        except PortUnreachable as exc:
            text = forwarding_error(pair.port, exc)
            self._send(ws, spdy.Frame(spdy.DATA, pair.error_stream, data=text.encode()))
            self._end(ws, pair)
            return
        try:
            for data in pair.pending:
                pair.connection.sendall(data)
            if pair.client_done:
                pair.connection.shutdown(socket.SHUT_WR)
        except OSError:
            self._end(ws, pair)
        pair.pending.clear()

    def _data(self, ws: WebSocket, frame: spdy.Frame) -> None:
        pair = self.streams.get(frame.stream_id)
        if pair is None or frame.stream_id != pair.data_stream or pair.done:
            return
        if frame.data:  # what was read is read: the client may send as much again
            self._send(ws, spdy.Frame(spdy.WINDOW_UPDATE, frame.stream_id, value=len(frame.data)))
        if pair.connection is None:
            pair.pending.append(frame.data)
            pair.client_done = pair.client_done or frame.fin
            return
        try:
            if frame.data:
                pair.connection.sendall(frame.data)
            if frame.fin:
                pair.client_done = True
                pair.connection.shutdown(socket.SHUT_WR)
        except OSError:
            self._end(ws, pair)

    def _from_pod(self, ws: WebSocket, pair: _Pair) -> None:
        assert pair.connection is not None
        try:
            data = pair.connection.recv(READ_BYTES)
        except OSError:
            data = b""
        if data:
            self._send(ws, spdy.Frame(spdy.DATA, pair.data_stream, data=data))
        else:
            self._end(ws, pair)

    def _end(self, ws: WebSocket, pair: _Pair) -> None:
        """The connection has ended: end both streams (the error stream first), as the kubelet's
        forwarder closes them."""
        if not pair.done:
            pair.done = True
            self._send(ws, spdy.Frame(spdy.DATA, pair.error_stream, spdy.FLAG_FIN))
            self._send(ws, spdy.Frame(spdy.DATA, pair.data_stream, spdy.FLAG_FIN))
        self._drop(pair)

    def _drop(self, pair: _Pair) -> None:
        if pair.connection is not None:
            pair.connection.close()
            pair.connection = None
        pair.done = True
        self.pairs.pop(pair.request_id, None)
        for stream_id in (pair.error_stream, pair.data_stream):
            if self.streams.get(stream_id) is pair:
                del self.streams[stream_id]


def answer(
    live: LiveCluster,
    route: routes.ResourceRoute,
    request: messages.Request,
    *,
    stopping: threading.Event,
) -> messages.Response:
    """Check what kube-apiserver and the kubelet check, then hand the connection to the forward
    (`Tunnel` or `Channels`)."""
    if request.method not in ("GET", "POST"):
        raise routes.not_allowed()
    subprotocol = negotiate(request)
    wanted = () if subprotocol == TUNNEL else ports(request)
    target = live.call(locate, live.cluster, route.name, route.namespace or "default")
    runtime = live.cluster.runtime
    if subprotocol == TUNNEL:
        return messages.Response(101, upgrade=Tunnel(target, runtime, stopping=stopping))
    return messages.Response(
        101,
        upgrade=Channels(target, wanted, runtime, subprotocol=subprotocol, stopping=stopping),
    )
