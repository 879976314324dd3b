"""The memory backend: a simulated container runtime, deterministic under the logical clock.

A manifest alone decides what happens, through a small catalogue of images:

| image                 | tags                          | what a container does                    |
|-----------------------|-------------------------------|------------------------------------------|
| nginx, httpd          | 1.14, 1.15, ... (CATALOGUE)   | serves forever; stops cleanly on SIGTERM |
| redis                 | 6, 7, latest ...              | serves forever, logs "Ready to accept    |
|                       |                               | connections"                             |
| busybox, alpine       | latest, 1.36, 3.20 ...        | runs its `command`/`args` (see below)    |
| registry.k8s.io/pause | 3.10                          | does nothing, forever (the sandbox)      |

Any other image, or a tag the catalogue does not list, cannot be pulled: the pull fails as
containerd reports a missing image, and the pod goes ErrImagePull / ImagePullBackOff.

Node images: a node starts with the images of its machine image (`PRELOADED`): the pod sandbox
image `registry.k8s.io/pause:3.10` (what every containerd node has; kubeadm and kind preload it)
and `busybox:1.35`, a deliberate choice: a node of a cluster that has run anything keeps images
it pulled, and this gives a fresh simulated node one of a repository the features use, so that
the troubleshooting tree can propose an image the cluster has instead of one that cannot be
pulled (TS-22) even on a served cluster that has pulled nothing yet. No feature or test uses that
tag, so every other image is pulled as before. Each pull adds its image to that node only.
`images(node)` lists them as containerd does: the name `docker.io/library/busybox:1.36`, the
digest form `docker.io/library/busybox@sha256:...` (simulated digests, made from the reference:
the pods' imageID), and the catalogue's size; the kubelet reports them in status.images.

busybox-style commands are interpreted: `sh -c "<script>"` with statements separated by `;`,
`&&` or newlines, or the program directly (`["sleep", "30"]`). Statements: `echo TEXT` (a log
line), `sleep N` (N seconds of logical time; `infinity` runs forever), `exit N`, `true`, `false`,
`while true; do ...; done` (forever, repeating its body), `tail -f /dev/null` (forever), and
`trap 'exit N' TERM` (the script then stops cleanly on SIGTERM, exiting N, where busybox's own
processes ignore it as PID 1 and are killed at the end of the grace period). Anything else is
`sh: X: not found` and exit 127. Without a command, busybox's `sh` exits 0 at once.

Times are logical: a sandbox takes 0.3s, a pull 0.5s plus size at 40 MB/s, a start 0.2s.

What it cannot do: run a command inside a container (`kubectl exec`). A simulated container has
no processes or file system to enter; `exec` and `exec_session` raise `ExecUnsupported` saying so
and pointing at the docker backend, where containers are real.
"""

from __future__ import annotations

import functools
import hashlib
import random
import re
import shlex
import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from listwatch.loop import Loop, Timer
from listwatch.rules.images import normalize
from listwatch.runtime.base import (
    CONNECTION_REFUSED,
    ExecSession,
    ExecUnsupported,
    Image,
    LogLine,
    OnExit,
    OnPulled,
    PortUnreachable,
    PullResult,
    Sandbox,
    Started,
    epoch_nanos,
    port_refused,
    read_log,
)
from listwatch.runtime.volumes import Volume


@dataclass(frozen=True, slots=True)
class ImageInfo:
    tags: frozenset[str]
    size: int
    kind: str  # "server" or "command"
    start_log: tuple[str, ...] = ()
    handles_sigterm: bool = True
    ports: frozenset[int] = frozenset()  # what a server listens on


CATALOGUE: dict[str, ImageInfo] = {
    "nginx": ImageInfo(
        frozenset(
            {
                "1.14",
                "1.14.2",
                "1.15",
                "1.15.12",
                "1.16",
                "1.19",
                "1.21",
                "1.23",
                "1.25",
                "1.26",
                "1.27",
                "alpine",
                "stable",
                "latest",
            }
        ),
        44_712_000,
        "server",
        ports=frozenset({80}),
    ),
    "httpd": ImageInfo(
        frozenset({"2.4", "alpine", "latest"}), 58_000_000, "server", ports=frozenset({80})
    ),
    "redis": ImageInfo(
        frozenset({"6", "7", "7.2", "alpine", "latest"}),
        45_000_000,
        "server",
        ("Ready to accept connections tcp",),
        ports=frozenset({6379}),
    ),
    "busybox": ImageInfo(
        frozenset({"1.35", "1.36", "1.37", "stable", "latest"}),
        4_270_000,
        "command",
        handles_sigterm=False,
    ),
    "alpine": ImageInfo(
        frozenset({"3.18", "3.19", "3.20", "latest"}), 7_800_000, "command", handles_sigterm=False
    ),
    # The pod sandbox image (containerd's sandbox_image): it does nothing, forever.
    "registry.k8s.io/pause": ImageInfo(frozenset({"3.10"}), 320_368, "server"),
}

#: The images every node starts with (see the module docstring), as full references.
PRELOADED: tuple[str, ...] = ("docker.io/library/busybox:1.35", "registry.k8s.io/pause:3.10")

SANDBOX_SECONDS = 0.3
START_SECONDS = 0.2
PULL_FIXED_SECONDS = 0.5
PULL_BYTES_PER_SECOND = 40_000_000
FOREVER = float("inf")
EXEC_UNSUPPORTED = (
    "cannot exec into a container on the memory backend: its containers are simulated, with no "
    "process to run a command in; "
    "serve the cluster with `listwatch serve --runtime docker` to exec into real containers"
)


@functools.lru_cache(maxsize=1024)
@functools.lru_cache(maxsize=1024)
def image_id(reference: str) -> str:
    """The simulated repo digest of a full reference: `docker.io/library/busybox@sha256:...`."""
    return f"{reference.rpartition(':')[0]}@sha256:{hashlib.sha256(reference.encode()).hexdigest()}"


def node_image(reference: str) -> Image:
    """A full reference as the node lists it: its tag and digest names, and the catalogue's size."""
    _, repo, _ = normalize(reference)
    info = CATALOGUE.get(repo)
    digest = image_id(reference)
    return Image(
        f"sha256:{digest.rpartition(':')[2]}",
        (reference,),
        (digest,),
        info.size if info is not None else 0,
    )


@dataclass(slots=True)
class Program:
    """What a container's process does: log lines and sleeps, then an exit code or forever."""

    steps: list[tuple[float, str]]  # (seconds from start, log line)
    runtime: float
    exit_code: int
    loop_body: list[tuple[float, str]] | None = None
    loop_period: float = 0.0
    ports: frozenset[int] = frozenset()
    sigterm_exit: int | None = (
        None  # the exit code of a `trap 'exit N' TERM`, if the script sets one
    )


def interpret(
    image_kind: str,
    command: list[str],
    args: list[str],
    start_log: tuple[str, ...] = (),
    ports: frozenset[int] = frozenset(),
) -> Program:
    """Turn a container's command and args into a Program (see the module docstring)."""
    if image_kind == "server" and not command:
        return Program([(0.0, line) for line in start_log], FOREVER, 0, ports=ports)
    argv = list(command) + list(args)
    if not argv:
        return Program([], 0.0, 0)
    if len(argv) >= 3 and argv[0] in ("sh", "/bin/sh", "bash", "/bin/bash") and argv[1] == "-c":
        return _script(argv[2])
    return _script(" ".join(shlex.quote(a) for a in argv))


def _statements(script: str) -> list[str]:
    parts = re.split(r";|&&|\n", script)
    return [p.strip() for p in parts if p.strip()]


#: `trap 'exit N' TERM` (or SIGTERM, or 15): the one trap the interpreter knows.
TRAP_TERM = re.compile(r"""trap\s+(['"])exit\s+(\d+)\1\s+(?:SIG)?(?:TERM|15)\b""")


def _script(script: str) -> Program:
    program = _script_body(script)
    trap = TRAP_TERM.search(script)
    if trap is not None:
        program.sigterm_exit = int(trap.group(2)) % 256
    return program


def _script_body(script: str) -> Program:
    steps: list[tuple[float, str]] = []
    clock = 0.0
    loop_match = re.search(r"while\s+(true|:)\s*;?\s*do(.*?);?\s*done", script, re.S)
    if loop_match:
        before = script[: loop_match.start()]
        program = _run(_statements(before), steps, clock)
        if program is not None:
            return program
        clock = steps[-1][0] if steps else 0.0
        body_steps: list[tuple[float, str]] = []
        body_end = _run(_statements(loop_match.group(2)), body_steps, 0.0, in_loop=True)
        period = (
            body_end.runtime
            if isinstance(body_end, Program)
            else (body_steps[-1][0] if body_steps else 0.0)
        )
        return Program(steps, FOREVER, 0, loop_body=body_steps, loop_period=max(period, 1.0))
    result = _run(_statements(script), steps, clock)
    if result is not None:
        return result
    return Program(steps, _end_time(steps), 0)


def _end_time(steps: list[tuple[float, str]]) -> float:
    return max((t for t, _ in steps), default=0.0)


def _run(
    statements: list[str], steps: list[tuple[float, str]], clock: float, *, in_loop: bool = False
) -> Program | None:
    """Append the statements' log lines to `steps`; return a Program when the script ends early."""
    for statement in statements:
        try:
            words = shlex.split(statement)
        except ValueError:
            words = statement.split()
        if not words:
            continue
        verb = words[0]
        if verb == "echo":
            steps.append((clock, " ".join(words[1:])))
        elif verb == "sleep":
            value = words[1] if len(words) > 1 else "0"
            if value == "infinity":
                return Program(steps, FOREVER, 0)
            try:
                clock += float(value.rstrip("s"))
            except ValueError:
                steps.append((clock, f"sleep: invalid number '{value}'"))
                return Program(steps, clock, 1)
            steps.append((clock, ""))
        elif verb == "exit":
            code = int(words[1]) if len(words) > 1 and words[1].lstrip("-").isdigit() else 0
            return Program(steps, clock, code % 256)
        elif verb in ("true", ":", "trap"):
            continue
        elif verb == "false":
            return Program(steps, clock, 1)
        elif verb == "tail" and "-f" in words:
            return Program(steps, FOREVER, 0)
        elif verb in ("httpd", "nc") and "-p" in words:
            port = words[words.index("-p") + 1] if words.index("-p") + 1 < len(words) else ""
            if not port.isdigit():
                steps.append((clock, f"{verb}: bad port '{port}'"))
                return Program(steps, clock, 1)
            return Program(steps, FOREVER, 0, ports=frozenset({int(port)}))
        else:
            steps.append((clock, f"sh: {verb}: not found"))
            return Program(steps, clock, 127)
    if in_loop:
        return Program(steps, clock, 0)
    return None


@dataclass(slots=True)
class _Container:
    node: str
    pod_uid: str
    started_at: float
    program: Program
    on_exit: OnExit
    handles_sigterm: bool
    exit_timer: Timer | None = None
    exited: bool = False


class MemoryRuntime:
    """A simulated CRI runtime on the event loop (owner of nothing in the spec: it is the world)."""

    scheme = "containerd"

    def __init__(self, loop: Loop, *, seed: int = 0) -> None:
        self.loop = loop
        self._random = random.Random(seed)
        self._images: dict[str, set[str]] = {}
        self._containers: dict[str, _Container] = {}
        self._by_pod: dict[str, list[str]] = {}
        self._sandboxes: dict[str, str] = {}

    def describe(self) -> str:
        return "memory (simulated containerd)"

    def _id(self) -> str:
        return f"{self._random.getrandbits(256):064x}"

    def run_sandbox(
        self,
        node: str,
        pod: Mapping[str, Any],
        done: Callable[[Sandbox], None],
        *,
        volumes: Sequence[Volume] = (),
    ) -> None:
        """A simulated sandbox: its volumes hold nothing a simulated container could read."""
        sandbox_id = self._id()
        uid = str((pod.get("metadata") or {}).get("uid", ""))

        def ran() -> None:
            self._sandboxes[uid] = sandbox_id
            done(Sandbox(sandbox_id))

        self.loop.call_later(SANDBOX_SECONDS, ran)

    def _node_images(self, node: str) -> set[str]:
        return self._images.setdefault(node, set(PRELOADED))

    def image_present(self, node: str, image: str) -> bool:
        return normalize(image)[0] in self._node_images(node)

    def images(self, node: str) -> list[Image]:
        """The node's images: those it started with (PRELOADED) and those pulled on it."""
        return [node_image(reference) for reference in sorted(self._node_images(node))]

    def pull_image(self, node: str, pod: Mapping[str, Any], image: str, done: OnPulled) -> None:
        reference, repo, tag = normalize(image)
        info = CATALOGUE.get(repo)
        if info is None or tag not in info.tags:
            error = (
                f'rpc error: code = NotFound desc = failed to pull and unpack image "{reference}": '
                f'failed to resolve reference "{reference}": {reference}: not found'
            )
            self.loop.call_later(
                PULL_FIXED_SECONDS,
                done,
                PullResult(image, False, seconds=PULL_FIXED_SECONDS, error=error),
            )
            return
        seconds = PULL_FIXED_SECONDS + info.size / PULL_BYTES_PER_SECOND

        def pulled() -> None:
            self._node_images(node).add(reference)
            done(
                PullResult(
                    image, True, size=info.size, seconds=seconds, image_id=image_id(reference)
                )
            )

        self.loop.call_later(seconds, pulled)

    def start_container(
        self,
        node: str,
        pod: Mapping[str, Any],
        container: Mapping[str, Any],
        attempt: int,
        on_exit: OnExit,
        done: Callable[[Started], None],
    ) -> None:
        reference, repo, _ = normalize(container.get("image", ""))
        info = CATALOGUE.get(repo, ImageInfo(frozenset(), 0, "command"))
        program = interpret(
            info.kind,
            container.get("command") or [],
            container.get("args") or [],
            info.start_log,
            info.ports,
        )
        container_id = self._id()
        uid = (pod.get("metadata") or {}).get("uid", "")

        def started() -> None:
            handles_sigterm = info.handles_sigterm or program.sigterm_exit is not None
            state = _Container(node, uid, self.loop.clock.now(), program, on_exit, handles_sigterm)
            self._containers[container_id] = state
            self._by_pod.setdefault(uid, []).append(container_id)
            if program.runtime != FOREVER:
                state.exit_timer = self.loop.call_later(
                    program.runtime, self._exit, container_id, program.exit_code
                )
            done(Started(container_id, image_id(reference), handles_sigterm))

        self.loop.call_later(START_SECONDS, started)

    def _exit(self, container_id: str, code: int) -> None:
        state = self._containers.get(container_id)
        if state is None or state.exited:
            return
        state.exited = True
        if state.exit_timer is not None:
            state.exit_timer.cancel()
        state.on_exit(code)

    def stop_container(self, node: str, container_id: str, grace_seconds: float) -> None:
        state = self._containers.get(container_id)
        if state is None or state.exited:
            return
        if state.handles_sigterm:
            self.loop.call_later(0.1, self._exit, container_id, state.program.sigterm_exit or 0)
        else:
            self.loop.call_later(grace_seconds, self._exit, container_id, 137)

    def remove_pod(self, node: str, pod_uid: str) -> None:
        self._sandboxes.pop(pod_uid, None)
        for container_id in self._by_pod.pop(pod_uid, []):
            state = self._containers.pop(container_id, None)
            if state is not None and state.exit_timer is not None:
                state.exit_timer.cancel()

    def listening(self, container_id: str) -> frozenset[int] | None:
        """The ports the container's process listens on (None: no such running container)."""
        state = self._containers.get(container_id)
        if state is None or state.exited:
            return None
        return state.program.ports

    def probe(self, container_id: str, probe: Mapping[str, Any], *, ip: str) -> tuple[bool, str]:
        """Run a readiness or liveness probe: exec (the command's exit code), httpGet or tcpSocket
        (the port)."""
        listening = self.listening(container_id) or frozenset()
        if "exec" in probe:
            program = interpret("command", list((probe["exec"] or {}).get("command") or []), [])
            output = "".join(f"{line}\n" for _, line in program.steps if line)
            return program.exit_code == 0 and program.runtime != FOREVER, output.strip()
        for kind in ("httpGet", "tcpSocket"):
            if kind in probe:
                port = (probe[kind] or {}).get("port")
                if isinstance(port, int) and port in listening:
                    return True, ""
                refused = f"dial tcp {ip}:{port}: connect: connection refused"
                return (
                    False,
                    f'Get "http://{ip}:{port}/": {refused}' if kind == "httpGet" else refused,
                )
        return False, "the probe has no handler (exec, httpGet or tcpSocket)"

    def logs(
        self,
        container_id: str,
        *,
        tail: int | None = None,
        since: datetime | None = None,
        timestamps: bool = False,
    ) -> str:
        state = self._containers.get(container_id)
        if state is None:
            return ""
        return read_log(self._log_lines(state), tail=tail, since=since, timestamps=timestamps)

    def _log_lines(self, state: _Container) -> list[LogLine]:
        """The lines the container's program has written so far, each at the time it wrote it."""
        clock = self.loop.clock
        start = state.started_at
        elapsed = clock.now() - start
        program = state.program
        written = [(t, line) for t, line in program.steps if t <= elapsed and line]
        if program.loop_body is not None and program.loop_period > 0:
            base = _end_time(program.steps)
            rounds = (
                min(int((elapsed - base) // program.loop_period) + 1, 1000)
                if elapsed >= base
                else 0
            )
            for r in range(rounds):
                offset = base + r * program.loop_period
                written.extend(
                    (offset + t, line)
                    for t, line in program.loop_body
                    if offset + t <= elapsed and line
                )
        return [LogLine(epoch_nanos(clock.wall(start + t)), f"{line}\n") for t, line in written]

    def exec(self, container_id: str, command: list[str]) -> tuple[int, str]:
        raise ExecUnsupported(EXEC_UNSUPPORTED)

    def exec_session(
        self, container_id: str, command: list[str], *, stdin: bool, tty: bool
    ) -> ExecSession:
        raise ExecUnsupported(EXEC_UNSUPPORTED)

    def connect(self, node: str, pod_uid: str, port: int) -> socket.socket:
        """Refused, always: a simulated container has no process to connect to, so the answer is
        containerd's when nothing listens on the port."""
        sandbox_id = self._sandboxes.get(pod_uid)
        if sandbox_id is None:
            raise PortUnreachable("", f"failed to find sandbox for pod {pod_uid}")
        raise port_refused(sandbox_id, port, CONNECTION_REFUSED, CONNECTION_REFUSED)

    def close(self) -> None:
        for state in self._containers.values():
            if state.exit_timer is not None:
                state.exit_timer.cancel()
        self._containers.clear()
