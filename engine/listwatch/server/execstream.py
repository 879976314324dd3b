"""pods/exec: a command in a pod's container, its standard streams over a WebSocket (kubectl exec).

How clients negotiate, and what this answers:

- kubectl v1.32 asks first with `GET .../pods/NAME/exec?command=...&container=...&stdout=true...`,
  `Upgrade: websocket` and the subprotocol `v5.channel.k8s.io`; if the upgrade fails (any answer
  but 101), it asks again with `POST` and `Upgrade: SPDY/3.1`. The official Python client asks
  with `GET`, `Upgrade: websocket` and `v5.channel.k8s.io,v4.channel.k8s.io` (older ones: v4
  alone). This serves v5 and v4, the first the client lists; SPDY is answered with a Status
  (kubectl prints it), as every other refusal before the upgrade is.
- Before the upgrade, what kube-apiserver checks: the options (a command, at least one stream),
  the pod (404), the container (400 when it must be named or is not the pod's), the node.
- After the upgrade every message is binary, its first byte the channel: 0 stdin (client to
  server), 1 stdout, 2 stderr, 3 error (server to client), 4 resize (client to server, JSON
  `{"Width": W, "Height": H}`), and with v5 255 close (client to server: `[255, 0]` ends stdin).
  As the API server's stream translator does, the server first sends an empty message on the
  lowest channel it writes, then the output, then one Status on the error channel: `Success`, or
  `Failure` with reason `NonZeroExitCode` and the exit code in `details.causes` (reason
  `ExitCode`), or the error that kept the command from running (a container that is not running,
  a runtime that cannot exec); then it closes the WebSocket and waits for the client's close.

The command runs through the kubelet's runtime (`Runtime.exec_session`), from a worker thread:
the cluster's loop is asked only where the pod and its container are.
"""

from __future__ import annotations

import contextlib
import json
import select
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from listwatch import errors
from listwatch.cluster import Cluster
from listwatch.runtime.base import STDERR, STDOUT, ExecSession, Runtime
from listwatch.server import messages, routes
from listwatch.server.websocket import WebSocket

V5 = "v5.channel.k8s.io"
V4 = "v4.channel.k8s.io"
#: The subprotocols served, newest first.
PROTOCOLS = (V5, V4)
STDIN, ERROR, RESIZE, CLOSE = 0, 3, 4, 255
#: How long the server waits for the client's close after the last status (it has read everything by
#: then).
FINISH_SECONDS = 10.0
#: How often the pump looks up from its wait to see whether the server is stopping.
POLL_SECONDS = 0.5


@dataclass(frozen=True, slots=True)
class ExecOptions:
    """PodExecOptions, from the query: the command, the container, which streams, a TTY."""

    command: tuple[str, ...]
    container: str
    stdin: bool
    stdout: bool
    stderr: bool
    tty: bool


@dataclass(frozen=True, slots=True)
class Target:
    """The container a command runs in, as the pod's status shows it."""

    pod: str
    container: str
    container_id: str  # "" while the container has none
    running: bool


def options(request: messages.Request) -> ExecOptions:
    """The exec options of a request; BadRequest for no command, or no stream at all."""
    command = tuple(request.values("command"))
    if not command:
        raise errors.BadRequest("you must specify at least one command for the container")
    q = request.query
    tty = routes.truthy(q.get("tty"))
    stdin, stdout = routes.truthy(q.get("stdin")), routes.truthy(q.get("stdout"))
    stderr = routes.truthy(q.get("stderr")) and not tty  # a terminal has one output stream
    if not (stdin or stdout or stderr):
        raise errors.BadRequest("you must specify at least 1 of stdin, stdout, stderr")
    return ExecOptions(command, q.get("container", ""), stdin, stdout, stderr, tty)


def locate(cluster: Cluster, name: str, namespace: str, container: str) -> Target:
    """(loop thread) The pod's container to exec into, with kube-apiserver's errors."""
    pod = cluster.pod(name, namespace)
    spec = pod.get("spec") or {}
    names = [c["name"] for c in spec.get("containers") or []]
    init_names = [c["name"] for c in spec.get("initContainers") or []]
    if not container:
        if len(names) != 1:
            choice = f", choose one of: [{' '.join(names)}]" if names else ""
            if names and init_names:
                choice += f" or one of the init containers: [{' '.join(init_names)}]"
            raise errors.BadRequest(f"a container name must be specified for pod {name}{choice}")
        container = names[0]
    elif container not in names and container not in init_names:
        raise errors.BadRequest(f"container {container} is not valid for pod {name}")
    if not spec.get("nodeName"):
        raise errors.BadRequest(f"pod {name} does not have a host assigned")
    status = pod.get("status") or {}
    for entry in [
        *(status.get("containerStatuses") or []),
        *(status.get("initContainerStatuses") or []),
    ]:
        if entry.get("name") == container:
            running = "running" in (entry.get("state") or {})
            return Target(
                name, container, str(entry.get("containerID", "")).partition("://")[2], running
            )
    return Target(name, container, "", False)


def negotiate(request: messages.Request) -> str:
    """The subprotocol to answer with; BadRequest for a request that is not a WebSocket upgrade
    (SPDY included) or offers none of PROTOCOLS."""
    upgrade = request.header("upgrade").lower()
    if "websocket" not in upgrade:
        if "spdy" in upgrade:
            raise errors.BadRequest(
                f"listwatch serves pods/exec over WebSocket ({', '.join(PROTOCOLS)}), not "
                f"{request.header('upgrade')}; "
                "use kubectl v1.30 or later, or a client that speaks WebSocket"
            )
        raise errors.BadRequest("Upgrade request required")
    offered = [p.strip() for p in request.header("sec-websocket-protocol").split(",") if p.strip()]
    for protocol in offered:
        if protocol in PROTOCOLS:
            return protocol
    raise errors.BadRequest(
        f"requested protocol(s) are not supported: [{' '.join(offered)}]; supports "
        f"[{' '.join(PROTOCOLS)}]"
    )


class Exec:
    """One exec, from the answer to the handshake to the client's close (a worker thread runs it,
    given the WebSocket)."""

    def __init__(
        self,
        opts: ExecOptions,
        target: Target,
        runtime: Runtime,
        *,
        subprotocol: str,
        stopping: threading.Event,
    ) -> None:
        self.opts = opts
        self.target = target
        self.runtime = runtime
        self.subprotocol = subprotocol
        self.stopping = stopping

    def __call__(self, ws: WebSocket) -> None:
        ws.accept(self.subprotocol)
        first = STDOUT if self.opts.stdout else STDERR if self.opts.stderr else ERROR
        ws.send(bytes([first]))  # the streams are open
        try:
            session = self._start()
        except errors.APIError as exc:
            self._finish(ws, exc.status())
            return
        try:
            self._pump(ws, session)
            if ws.closed or self.stopping.is_set():
                return
            code = session.exit_code()
        except (OSError, errors.APIError) as exc:
            self._finish(
                ws,
                errors.APIError(
                    f"Internal error occurred: error executing command in container: {exc}"
                ).status(),
            )
            return
        finally:
            session.close()
        self._finish(ws, exit_status(code))

    def _start(self) -> ExecSession:
        target = self.target
        if not target.running or not target.container_id:
            raise errors.APIError(
                "Internal error occurred: unable to upgrade connection: container not found "
                f'("{target.container}")'
            )
        return self.runtime.exec_session(
            target.container_id, list(self.opts.command), stdin=self.opts.stdin, tty=self.opts.tty
        )

    def _pump(self, ws: WebSocket, session: ExecSession) -> None:
        """Move the client's input to the command and its output to the client, until the output
        ends."""
        while not ws.closed and not self.stopping.is_set():
            client, command = ws.fileno(), session.fileno()
            ready = {client} if ws.buffered() else _readable((client, command), POLL_SECONDS)
            if client in ready:
                for message in ws.receive() or ():
                    self._take(ws, session, message)
            if command in ready:
                chunks = session.read()
                if chunks is None:
                    return
                for stream, data in chunks:
                    if data and (self.opts.stdout if stream == STDOUT else self.opts.stderr):
                        ws.send(bytes([stream]) + data)

    def _take(self, ws: WebSocket, session: ExecSession, message: bytes) -> None:
        """A message from the client: input, a terminal size, or (v5) the end of input."""
        if not message:
            return
        channel, data = message[0], message[1:]
        if channel == STDIN and self.opts.stdin and data:
            with contextlib.suppress(OSError):
                session.write(data)
        elif channel == RESIZE and self.opts.tty:
            size = _size(data)
            if size is not None:
                session.resize(*size)
        elif channel == CLOSE and ws.subprotocol == V5 and data[:1] == bytes([STDIN]):
            session.close_stdin()

    def _finish(self, ws: WebSocket, status: Mapping[str, Any]) -> None:
        if ws.closed:
            return
        with contextlib.suppress(OSError):
            ws.send(bytes([ERROR]) + messages.marshal(status))
            ws.close()
            ws.wait_closed(FINISH_SECONDS)


def _readable(fds: tuple[int, ...], timeout: float) -> set[int]:
    """Which of `fds` can be read (or have hung up) within `timeout` seconds. poll, not select:
    a server with a thousand connections hands out descriptors past select's limit of 1024."""
    poller = select.poll()
    for fd in fds:
        poller.register(fd, select.POLLIN)
    return {fd for fd, _ in poller.poll(timeout * 1000)}


def exit_status(code: int) -> dict[str, Any]:
    """The Status a finished command reports on the error channel (the API server's, verbatim in
    shape)."""
    if code == 0:
        return {"metadata": {}, "status": "Success"}
    return {
        "metadata": {},
        "status": "Failure",
        "message": "command terminated with non-zero exit code: command terminated with exit "
        f"code {code}",
        "reason": "NonZeroExitCode",
        "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]},
    }


def _size(data: bytes) -> tuple[int, int] | None:
    try:
        size = json.loads(data)
        return int(size["Width"]), int(size["Height"])
    except (ValueError, TypeError, KeyError):
        return None
