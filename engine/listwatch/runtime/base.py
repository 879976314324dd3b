"""The seam between the kubelet and where containers really run: the `Runtime` protocol.

The kubelet calls a runtime the way it calls a CRI runtime: create a pod sandbox, check or pull
an image, list the node's images (for its status), create and start a container, stop it, read
its logs. Every result comes back through
a callback on the event loop, never inside the call, so that a simulated runtime (memory) and a
real one (Docker) look the same to the kubelet. Contract tests run one body against each runtime
(`tests/runtime/test_contract.py`).

Exec is the exception, as the CRI's Exec is a streaming call beside the kubelet's sync loop:
`exec` and `exec_session` answer inside the call and may be called from any thread (the served
API's connection threads call `exec_session`); they touch no state of the loop. A runtime that
cannot enter its containers (the memory runtime simulates them) raises `ExecUnsupported`.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from listwatch import errors
from listwatch.runtime.volumes import Volume


@dataclass(frozen=True, slots=True)
class PullResult:
    """The outcome of an image pull: success with the image's size, or an error message."""

    image: str
    ok: bool
    size: int = 0
    seconds: float = 0.0
    error: str = ""
    image_id: str = ""


@dataclass(frozen=True, slots=True)
class Started:
    """A container the runtime started."""

    container_id: str
    image_id: str
    #: Whether the process stops cleanly on SIGTERM (exit 0) rather than being killed after the
    #: grace period.
    handles_sigterm: bool = True


@dataclass(frozen=True, slots=True)
class Image:
    """An image a node has, as the CRI's ListImages reports it: its ID, the names it is known by,
    its size.

    `repo_digests` are `repository@sha256:...` names, `repo_tags` `repository:tag` names, each as
    the runtime spells them (containerd: `docker.io/library/busybox:1.36`; Docker: `busybox:1.36`).
    """

    id: str
    repo_tags: tuple[str, ...]
    repo_digests: tuple[str, ...]
    size: int


@dataclass(frozen=True, slots=True)
class Sandbox:
    """A pod's sandbox; the kubelet assigns the pod's IP from its node's podCIDR (the CNI's job)."""

    sandbox_id: str


@dataclass(frozen=True, slots=True)
class LogLine:
    """One line a container wrote, with the time the runtime wrote it (nanoseconds since the
    epoch, as the CRI's log file keeps it)."""

    at: int
    text: str


def epoch_nanos(instant: datetime) -> int:
    """A timezone-aware instant as nanoseconds since the epoch."""
    delta = instant - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1_000


def log_timestamp(nanos: int) -> str:
    """The prefix the kubelet writes on each line of `kubectl logs --timestamps`: RFC 3339 in
    UTC with nine fraction digits (its RFC3339NanoFixed), `2026-01-01T10:00:00.500000000Z`."""
    seconds, fraction = divmod(nanos, 1_000_000_000)
    stamp = (_EPOCH + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{stamp}.{fraction:09d}Z"


_STAMP = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)")


def parse_log_timestamp(text: str) -> int | None:
    """An RFC 3339 timestamp with up to nine fraction digits (what Docker and containerd write
    before each log line) as nanoseconds since the epoch; None when `text` is not one."""
    found = _STAMP.fullmatch(text)
    if found is None:
        return None
    year, month, day, hour, minute, second = (int(g) for g in found.groups()[:6])
    fraction, zone = found.group(7) or "", found.group(8)
    try:
        instant = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:
        return None
    if zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        instant -= sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
    return epoch_nanos(instant) + int(fraction.ljust(9, "0"))


def read_log(
    lines: Sequence[LogLine],
    *,
    tail: int | None = None,
    since: datetime | None = None,
    timestamps: bool = False,
) -> str:
    """A container's log as the kubelet reads it (its ReadLogs): the last `tail` lines, of those
    the ones written at or after `since`, each prefixed with its time and a space with
    `timestamps`."""
    if tail is not None:
        lines = lines[-tail:] if tail > 0 else []
    if since is not None:
        start = epoch_nanos(since)
        lines = [line for line in lines if line.at >= start]
    if timestamps:
        return "".join(f"{log_timestamp(line.at)} {line.text}" for line in lines)
    return "".join(line.text for line in lines)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

OnPulled = Callable[[PullResult], None]
OnExit = Callable[[int], None]

#: The stream numbers an exec session's output chunks carry (those of the remote command protocol).
STDOUT = 1
STDERR = 2


class ExecUnsupported(errors.BadRequest):
    """The runtime cannot run a command inside its containers (the memory runtime's are
    simulated)."""


class PortUnreachable(Exception):
    """Nothing accepts a connection on a port inside the pod: `reason` is the runtime's words
    (containerd's), `sandbox_id` the pod's sandbox, which the kubelet names as the pod."""

    def __init__(self, sandbox_id: str, reason: str) -> None:
        super().__init__(reason)
        self.sandbox_id = sandbox_id
        self.reason = reason


def port_refused(sandbox_id: str, port: int, ipv4: str, ipv6: str) -> PortUnreachable:
    """containerd's error when neither loopback address of the pod's network namespace accepts a
    connection on `port` (each reason in Go's words: `connect: connection refused`)."""
    return PortUnreachable(
        sandbox_id,
        f'failed to connect to localhost:{port} inside namespace "{sandbox_id}", '
        f"IPv4: dial tcp4 127.0.0.1:{port}: {ipv4} IPv6 dial tcp6 [::1]:{port}: {ipv6} ",
    )


CONNECTION_REFUSED = "connect: connection refused"


class ExecSession(Protocol):
    """A command running inside a container, its standard streams joined to the caller (kubectl
    exec).

    Reading is driven by the caller: `fileno` is readable (for `select`) when `read` has output
    for it; `read` then returns the chunks that arrived, each tagged STDOUT or STDERR (a TTY has
    stdout only), or None once the command has closed its output. `exit_code` is then the
    command's exit code. `close` ends the session (and the command's connection) at any time.
    """

    def fileno(self) -> int: ...

    def read(self) -> list[tuple[int, bytes]] | None: ...

    def write(self, data: bytes) -> None:
        """Send `data` to the command's standard input (only when the session was opened with
        stdin)."""
        ...

    def close_stdin(self) -> None: ...

    def resize(self, width: int, height: int) -> None:
        """Resize the command's terminal (only with a TTY)."""
        ...

    def exit_code(self) -> int: ...

    def close(self) -> None: ...


class Runtime(Protocol):
    """What the kubelet needs from a container runtime. `node` scopes everything to one node."""

    #: How container IDs are prefixed in status (`containerd://`, `docker://`).
    scheme: str

    def describe(self) -> str: ...

    def run_sandbox(
        self,
        node: str,
        pod: Mapping[str, Any],
        done: Callable[[Sandbox], None],
        *,
        volumes: Sequence[Volume] = (),
    ) -> None:
        """Make the pod's sandbox with its volumes set up (the kubelet resolved them), for its
        containers' volumeMounts."""
        ...

    def image_present(self, node: str, image: str) -> bool: ...

    def pull_image(self, node: str, pod: Mapping[str, Any], image: str, done: OnPulled) -> None: ...

    def images(self, node: str) -> list[Image]:
        """The images present on the node, in no particular order (the CRI's ListImages): those it
        came with and those pulled since. The kubelet reports them in the node's status.images."""
        ...

    def start_container(
        self,
        node: str,
        pod: Mapping[str, Any],
        container: Mapping[str, Any],
        attempt: int,
        on_exit: OnExit,
        done: Callable[[Started], None],
    ) -> None: ...

    def stop_container(self, node: str, container_id: str, grace_seconds: float) -> None: ...

    def remove_pod(self, node: str, pod_uid: str) -> None: ...

    def logs(
        self,
        container_id: str,
        *,
        tail: int | None = None,
        since: datetime | None = None,
        timestamps: bool = False,
    ) -> str:
        """What the container wrote to stdout and stderr, read as the kubelet reads it
        (`read_log`: the last `tail` lines, those written at or after `since`, with their times
        with `timestamps`); '' for an unknown container."""
        ...

    def listening(self, container_id: str) -> frozenset[int] | None:
        """The TCP ports the container listens on, or None when it is not running."""
        ...

    def probe(self, container_id: str, probe: Mapping[str, Any], *, ip: str) -> tuple[bool, str]:
        """Run a probe (exec, httpGet or tcpSocket) against a container: (succeeded, output)."""
        ...

    def exec(self, container_id: str, command: list[str]) -> tuple[int, str]:
        """Run `command` inside a running container to its end: (exit code, stdout and stderr).
        Raises ExecUnsupported where containers cannot be entered."""
        ...

    def exec_session(
        self, container_id: str, command: list[str], *, stdin: bool, tty: bool
    ) -> ExecSession:
        """Start `command` inside a running container, its streams joined to the caller (see
        `ExecSession`). Raises ExecUnsupported where containers cannot be entered."""
        ...

    def connect(self, node: str, pod_uid: str, port: int) -> socket.socket:
        """A TCP connection to `port` on the loopback of the pod's network namespace (kubectl
        port-forward; never the pod's address), blocking. Raises PortUnreachable when nothing
        accepts it, or the pod has no sandbox."""
        ...

    def close(self) -> None: ...
