"""The docker backend: the kubelet's containers are real containers in a Docker Engine.

The control plane is the same engine as on the memory backend; only the kubelet's runtime changes.
Each pod gets a sandbox container and one container per attempt of each of its containers, named
and labelled the way the kubelet's Docker integration (dockershim) did, so that `docker ps` on the
machine reads like a Kubernetes node of the tutorial's era::

    NAMES                                                  IMAGE          COMMAND
    k8s_app_pod-example_default_6b0e..._0                  busybox:1.36   "sleep 3600"
    k8s_POD_pod-example_default_6b0e..._0                  busybox:latest "sleep infinity"

Labels (see `listwatch.runtime.dockernames`): `io.kubernetes.pod.name`, `.pod.namespace`,
`.pod.uid`, `io.kubernetes.container.name` (`POD` for the sandbox), `io.kubernetes.docker.type`
(`podsandbox` or `container`),
`io.kubernetes.sandbox.id`, and listwatch's own: `io.listwatch.node` (the simulated node: several
nodes share one engine), `io.listwatch.runtime` (this runtime object; what `close` removes) and
`io.listwatch.owner` (`host:pid:start` of the process; how a crashed run's containers are found).

What this runtime guarantees:

- Results come back on the loop: every blocking SDK call of a kubelet action runs in a worker
  thread through `Loop.submit`. The protocol's queries (`image_present`, `logs`, `listening`,
  `probe`, `images`) and `exec` answer inside the call, as on the memory runtime;
  `exec_session` starts a command whose streams the caller drives (`dockerexec`, kubectl exec).
- Exit codes are the real containers' exit codes. While any container of this runtime runs, one
  worker thread follows the engine's `die` events for them and hands each exit code to the loop,
  always after the container's `Started`; the loop counts that thread as outstanding work, so a
  wait for a container's exit waits in real time (use a `SystemClock`: a `ManualClock` does not
  move while the loop waits for the engine).
- `command` replaces the image's ENTRYPOINT and `args` its CMD (a `command` without `args` drops
  the image's CMD), as Kubernetes does; `env` entries with a `value` become the environment.
- Stopping sends SIGTERM, then SIGKILL after the grace period (a timer on the loop), like
  `docker stop -t` and the kubelet. A PID 1 without a SIGTERM handler (busybox `sleep`) ignores
  SIGTERM: it is killed when the grace period ends, exit code 137.
- Network: the sandbox runs with network mode `none` and the pod's containers join its network
  namespace, as Kubernetes' containers share their pod's: each pod has a loopback interface and
  nothing else. No traffic is ever sent to a container's address.
- Clean-up: `remove_pod` removes the pod's containers (a graceful stop is the kubelet's
  `stop_container` before it); `close` removes every container this runtime created, including
  those whose creation was in flight. At start, containers left by a listwatch process that no
  longer runs (a run killed with SIGKILL) are found by their `io.listwatch.owner` label and
  removed, not adopted: the new run's control plane has no record of their pods.

Where it differs from the memory runtime, because a real engine does:

- Images belong to the engine, not to a node: after node01 pulls an image, node02 finds it present,
  and every node's status.images lists the engine's images (its sandbox image among them).
- A pull goes to the image's registry; its failure message is the engine's, wrapped as the kubelet
  reported Docker errors (`rpc error: code = Unknown desc = Error response from daemon: ...`).
- Whether a process handles SIGTERM is not known before it is stopped: `Started.handles_sigterm`
  is True, and the exit code of the stop tells what happened.
- A container the engine creates but cannot start (`exec: "x": executable file not found`) is
  reported started, then exited with the engine's exit code (127, else 128), as the kubelet reports
  a StartError. A container the engine cannot even create (its image is gone) gets no callback and
  stays ContainerCreating; the engine's message is logged.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import docker
import docker.errors
from docker.types import Mount

from listwatch import errors
from listwatch.errors import BackendUnavailable
from listwatch.loop import Loop, Timer
from listwatch.rules import images
from listwatch.runtime.base import (
    ExecSession,
    Image,
    LogLine,
    OnExit,
    OnPulled,
    PortUnreachable,
    PullResult,
    Sandbox,
    Started,
    parse_log_timestamp,
    read_log,
)
from listwatch.runtime.dockerexec import DockerExec, dial_in_namespace
from listwatch.runtime.dockernames import (
    CONTAINER_NAME,
    CONTAINER_TYPE,
    NODE,
    OWNER,
    POD_NAME,
    POD_NAMESPACE,
    POD_UID,
    RESTART_COUNT,
    RUNTIME,
    SANDBOX_COMMAND,
    SANDBOX_ID,
    SANDBOX_IMAGE,
    container_name,
    environment,
    owner_alive,
    process_owner,
)
from listwatch.runtime.volumes import Volume, VolumeDirs

log = logging.getLogger(__name__)

#: How long one request for the engine's events lasts; the exit follower re-checks between two.
_EVENT_WINDOW_SECONDS = 1
#: How long `close` waits for creations in flight before it removes what this runtime created.
_CLOSE_WAIT_SECONDS = 60.0
_DEFAULT_HOST = "unix:///var/run/docker.sock"


class _Discarded(Exception):
    """A container created for a pod that was removed (or a runtime that closed) meanwhile."""


@dataclass(frozen=True, slots=True)
class _Launched:
    """What a container start gave: its ID and image ID, and an exit code if it could not run."""

    container_id: str
    image_id: str
    failed_exit: int | None = None
    failure: str = ""


@dataclass(slots=True)
class _Handle:
    """A started container, as the loop thread knows it."""

    node: str
    pod_uid: str
    on_exit: OnExit
    exited: bool = False
    kill_timer: Timer | None = None


@dataclass(slots=True)
class _Shared:
    """State the loop thread and the worker threads share; guarded by `lock`."""

    lock: threading.Condition = field(default_factory=threading.Condition)
    awaited: set[str] = field(default_factory=set)  # running containers whose exit is still to come
    removed: set[tuple[str, str]] = field(
        default_factory=set
    )  # (node, pod uid) removed by remove_pod
    inflight: int = 0  # creations under way
    closed: bool = False
    events_since: int = 0  # where the next watch of the engine's events starts (unix seconds)
    stream: Any = None  # the engine's event stream being read, closed to interrupt the reader


def _reach(host: str) -> None:
    """Connect to a local engine's socket once, closing it whatever happens: raises OSError when
    nothing listens. (The SDK leaves the socket of a failed connection open, and a test run with
    warnings as errors would fail on its ResourceWarning.)"""
    if not host.startswith("unix://"):
        return
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(5.0)
        probe.connect(host.removeprefix("unix://"))


def engine_error(exc: BaseException) -> str:
    """The engine's own message for a failed request."""
    if isinstance(exc, docker.errors.APIError) and exc.explanation:
        return str(exc.explanation)
    return str(exc)


class DockerRuntime:
    """The kubelet's container runtime over a Docker Engine (see the module docstring).

    `client` is a `docker.DockerClient`; without one the engine is the one at `DOCKER_HOST`, else
    at the local socket (`unix:///var/run/docker.sock`; the docker command's contexts are not
    consulted). Raises `BackendUnavailable` when no engine answers, or when the sandbox image is
    missing and cannot be pulled.
    """

    scheme = "docker"

    def __init__(
        self,
        loop: Loop,
        *,
        client: docker.DockerClient | None = None,
        sandbox_image: str = SANDBOX_IMAGE,
        sandbox_command: Iterable[str] = SANDBOX_COMMAND,
    ) -> None:
        self.loop = loop
        self.sandbox_image = sandbox_image
        self.sandbox_command = list(sandbox_command)
        self.id = secrets.token_hex(6)
        self.owner = process_owner()
        self._owns_client = client is None
        self._where = (
            os.environ.get("DOCKER_HOST", _DEFAULT_HOST)
            if client is None
            else str(client.api.base_url)
        )
        try:
            if client is None:
                _reach(self._where)
            self.client = client or docker.from_env(
                environment={**os.environ, "DOCKER_HOST": self._where}, max_pool_size=32
            )
            self._version = str(self.client.version().get("Version", "?"))
        except (docker.errors.DockerException, OSError) as exc:
            raise BackendUnavailable(
                f"the docker backend needs a Docker Engine and none answers at {self._where} "
                f"({exc}); "
                "start one (as root: `.ci/dockerd start` in a listwatch checkout, or install "
                "Debian's docker.io) "
                "and point DOCKER_HOST at its socket"
            ) from exc
        self._shared = _Shared(events_since=int(time.time()) - 1)
        self._handles: dict[str, _Handle] = {}
        self._by_pod: dict[tuple[str, str], list[str]] = {}
        self._sandboxes: dict[tuple[str, str], str] = {}
        #: Each pod's volumes: host directory and whether it is mounted read-only, by name.
        self._volumes: dict[tuple[str, str], dict[str, tuple[str, bool]]] = {}
        self._volume_dirs = VolumeDirs()
        self._early_exits: dict[str, int] = {}
        self._image_ids: dict[str, str] = {}
        self._following = False
        try:
            self.removed_orphans = self._remove_orphans()
            self._ensure_sandbox_image()
        except BaseException:
            if self._owns_client:
                self.client.close()
            raise

    def describe(self) -> str:
        return f"docker (Docker Engine {self._version} at {self._where})"

    # -- start-up ----------------------------------------------------------------------------------

    def _remove_orphans(self) -> list[str]:
        """Remove the containers of listwatch processes that no longer run; return their names."""
        removed: list[str] = []
        for summary in self.client.api.containers(all=True, filters={"label": OWNER}):
            owner = (summary.get("Labels") or {}).get(OWNER, "")
            if not owner_alive(owner):
                self._remove(summary["Id"])
                removed.extend(name.lstrip("/") for name in summary.get("Names") or ())
        if removed:
            log.info(
                "removed %d containers left by listwatch runs that no longer run: %s",
                len(removed),
                ", ".join(removed),
            )
        return removed

    def _ensure_sandbox_image(self) -> None:
        if self.image_present("", self.sandbox_image):
            return
        error = self._pull(self.sandbox_image)
        if isinstance(error, str):
            raise BackendUnavailable(
                f"the docker backend's pod sandbox image {self.sandbox_image} is not on the "
                f"Docker Engine at {self._where} "
                f"and cannot be pulled ({error}); `.ci/dockerd start` imports it from Debian's "
                "busybox-static"
            )

    # -- sandboxes ---------------------------------------------------------------------------------

    def run_sandbox(
        self,
        node: str,
        pod: Mapping[str, Any],
        done: Callable[[Sandbox], None],
        *,
        volumes: Sequence[Volume] = (),
    ) -> None:
        meta = pod.get("metadata") or {}
        key = (node, str(meta.get("uid", "")))
        labels = self._labels(node, pod, "POD", kind="podsandbox")
        name = container_name("POD", pod, 0)
        read_only = {volume.name: volume.read_only for volume in volumes}

        def work() -> str:
            paths = self._volume_dirs.write(key[1], volumes)
            self._volumes[key] = {n: (path, read_only[n]) for n, path in paths.items()}
            launched = self._create_and_start(
                key,
                name,
                awaited=False,
                image=self.sandbox_image,
                command=self.sandbox_command,
                labels=labels,
                network_mode="none",
                hostname=str(meta.get("name", ""))[:63] or None,
            )
            if launched.failed_exit is not None:
                raise RuntimeError(launched.failure)
            return launched.container_id

        def finished(sandbox_id: str | None, error: BaseException | None) -> None:
            if error is not None or sandbox_id is None:
                self._report("the sandbox of", meta, error)
                return
            self._sandboxes[key] = sandbox_id
            done(Sandbox(sandbox_id))

        self.loop.submit(work, finished)

    # -- images ------------------------------------------------------------------------------------

    def image_present(self, node: str, image: str) -> bool:
        """Whether the engine has the image (images belong to the engine, shared by every node)."""
        try:
            self._inspect_image(image)
        except (docker.errors.DockerException, OSError):
            return False
        return True

    def pull_image(self, node: str, pod: Mapping[str, Any], image: str, done: OnPulled) -> None:
        def work() -> PullResult:
            began = time.monotonic()
            outcome = self._pull(image)
            seconds = time.monotonic() - began
            if isinstance(outcome, str):
                return PullResult(
                    image,
                    False,
                    seconds=seconds,
                    error=f"rpc error: code = Unknown desc = Error response from daemon: {outcome}",
                )
            return PullResult(
                image,
                True,
                size=int(outcome.get("Size") or 0),
                seconds=seconds,
                image_id=self._image_id(outcome),
            )

        def finished(result: PullResult | None, error: BaseException | None) -> None:
            done(
                result
                if result is not None
                else PullResult(
                    image, False, error=engine_error(error or RuntimeError("no result"))
                )
            )

        self.loop.submit(work, finished)

    def images(self, node: str) -> list[Image]:
        """The engine's images (every node shares them), named as the engine names them
        (`busybox:1.36`, `busybox@sha256:...`), as dockershim listed them for the kubelet. Names
        `<none>` are left out, and so is an image left without a name; [] when the engine does not
        answer (the kubelet then reports no images)."""
        try:
            found = self.client.api.images()
        except (docker.errors.DockerException, OSError):
            return []
        listed = []
        for entry in found:
            tags = tuple(t for t in entry.get("RepoTags") or () if not t.startswith("<none>"))
            digests = tuple(d for d in entry.get("RepoDigests") or () if not d.startswith("<none>"))
            if tags or digests:
                listed.append(
                    Image(str(entry.get("Id", "")), tags, digests, int(entry.get("Size") or 0))
                )
        return listed

    def _pull(self, image: str) -> dict[str, Any] | str:
        """Pull through the engine: the image's inspection, or the engine's error message."""
        try:
            reference = images.parse(image)
        except ValueError as exc:
            return str(exc)
        try:
            # A digest pins the image: the engine pulls `repository@digest`, as containerd does.
            for progress in self.client.api.pull(
                reference.repository,
                tag=reference.digest or reference.tag,
                stream=True,
                decode=True,
            ):
                if "error" in progress:
                    return str(
                        (progress.get("errorDetail") or {}).get("message") or progress["error"]
                    )
            return dict(self._inspect_image(image))
        except (docker.errors.DockerException, OSError) as exc:
            return engine_error(exc)

    def _inspect_image(self, reference: str) -> dict[str, Any]:
        inspection: dict[str, Any] = self.client.api.inspect_image(reference)  # type: ignore[no-untyped-call]  # untyped in types-docker
        return inspection

    def _image_id(self, inspection: Mapping[str, Any]) -> str:
        """The imageID the kubelet reported on Docker: `docker-pullable://repo@digest`, else
        `docker://sha256:...`."""
        digests = inspection.get("RepoDigests") or ()
        return (
            f"docker-pullable://{digests[0]}" if digests else f"docker://{inspection.get('Id', '')}"
        )

    # -- containers --------------------------------------------------------------------------------

    def start_container(
        self,
        node: str,
        pod: Mapping[str, Any],
        container: Mapping[str, Any],
        attempt: int,
        on_exit: OnExit,
        done: Callable[[Started], None],
    ) -> None:
        meta = pod.get("metadata") or {}
        key = (node, str(meta.get("uid", "")))
        sandbox_id = self._sandboxes.get(key)
        labels = self._labels(node, pod, str(container.get("name", "")), kind="container")
        labels[RESTART_COUNT] = str(attempt)
        if sandbox_id:
            labels[SANDBOX_ID] = sandbox_id
        name = container_name(str(container.get("name", "")), pod, attempt)

        def work() -> _Launched:
            return self._create_and_start(
                key,
                name,
                awaited=True,
                image=str(container.get("image", "")),
                entrypoint=list(container.get("command") or ()) or None,
                command=list(container.get("args") or ()) or None,
                environment=environment(container),
                working_dir=container.get("workingDir") or None,
                tty=bool(container.get("tty")),
                stdin_open=bool(container.get("stdin")),
                labels=labels,
                network_mode=f"container:{sandbox_id}" if sandbox_id else "none",
                mounts=self._mounts(key, container),
            )

        def finished(launched: _Launched | None, error: BaseException | None) -> None:
            if error is not None or launched is None:
                self._report(f"container {container.get('name')} of", meta, error)
                return
            cid = launched.container_id
            if (
                key in self._shared.removed
            ):  # removed meanwhile: remove_pod's sweep takes the container
                self._early_exits.pop(cid, None)
                return
            self._handles[cid] = _Handle(node, key[1], on_exit)
            self._by_pod.setdefault(key, []).append(cid)
            done(Started(cid, launched.image_id))
            if launched.failed_exit is not None:
                log.warning(
                    "container %s of pod %s could not start: %s",
                    container.get("name"),
                    meta.get("name"),
                    launched.failure,
                )
                self.loop.call_soon(self._exited, cid, launched.failed_exit)
                return
            early = self._early_exits.pop(cid, None)
            if early is not None:
                self.loop.call_soon(self._exited, cid, early)
            self._follow_exits()

        self.loop.submit(work, finished)

    def _mounts(self, key: tuple[str, str], container: Mapping[str, Any]) -> list[Mount]:
        """The container's volumeMounts as bind mounts of its pod's volume directories."""
        volumes = self._volumes.get(key, {})
        mounts = []
        for mount in container.get("volumeMounts") or ():
            found = volumes.get(str(mount.get("name", "")))
            if found is None:
                continue
            path, read_only = found
            sub_path = str(mount.get("subPath") or "")
            mounts.append(
                Mount(
                    str(mount.get("mountPath", "")),
                    os.path.join(path, sub_path) if sub_path else path,
                    type="bind",
                    read_only=read_only or bool(mount.get("readOnly")),
                )
            )
        return mounts

    def _create_and_start(
        self,
        key: tuple[str, str],
        name: str,
        *,
        awaited: bool,
        image: str,
        labels: dict[str, str],
        **options: Any,
    ) -> _Launched:
        """Create and start a container (in a worker thread). An `awaited` container's exit is
        followed from before its start; a sandbox's is not (it runs until its pod is removed)."""
        shared = self._shared
        with shared.lock:
            if shared.closed or key in shared.removed:
                raise _Discarded(name)
            shared.inflight += 1
        try:
            created = self._create(name, image=image, labels=labels, **options)
            cid = created["Id"]
            with shared.lock:
                discard = shared.closed or key in shared.removed
                if awaited and not discard:
                    shared.awaited.add(cid)
            if discard:
                self._remove(cid)
                raise _Discarded(name)
            image_id = self._image_ids.get(created["Image"]) or self._image_ids.setdefault(
                created["Image"], self._image_id(self._inspect_image(created["Image"]))
            )
            try:
                self.client.api.start(cid)
            except docker.errors.APIError as exc:
                with shared.lock:
                    shared.awaited.discard(cid)
                state = self.client.api.inspect_container(cid).get("State") or {}
                return _Launched(
                    cid,
                    image_id,
                    failed_exit=int(state.get("ExitCode") or 128),
                    failure=engine_error(exc),
                )
            return _Launched(cid, image_id)
        finally:
            with shared.lock:
                shared.inflight -= 1
                shared.lock.notify_all()

    def _create(self, name: str, **options: Any) -> dict[str, Any]:
        """Create a container; on a name in use (another run, same pod UID), add a random suffix as
        dockershim did."""
        try:
            return dict(self.client.containers.create(name=name, **options).attrs)
        except docker.errors.APIError as exc:
            if exc.status_code != 409:
                raise
        return dict(
            self.client.containers.create(name=f"{name}_{secrets.token_hex(4)}", **options).attrs
        )

    def _labels(
        self, node: str, pod: Mapping[str, Any], container: str, *, kind: str
    ) -> dict[str, str]:
        meta = pod.get("metadata") or {}
        return {
            POD_NAME: str(meta.get("name", "")),
            POD_NAMESPACE: str(meta.get("namespace") or "default"),
            POD_UID: str(meta.get("uid", "")),
            CONTAINER_NAME: container,
            CONTAINER_TYPE: kind,
            NODE: node,
            RUNTIME: self.id,
            OWNER: self.owner,
        }

    def _report(self, what: str, meta: Mapping[str, Any], error: BaseException | None) -> None:
        if isinstance(error, _Discarded):
            return
        log.error(
            "docker: %s pod %s/%s was not created: %s",
            what,
            meta.get("namespace"),
            meta.get("name"),
            engine_error(error or RuntimeError("?")),
        )

    # -- exits -------------------------------------------------------------------------------------

    def _follow_exits(self) -> None:
        """Have one worker thread follow the engine's `die` events while any container is
        awaited."""
        if self._following:
            return
        self._following = True
        self.loop.submit(self._watch_exits, self._stopped_following)

    def _stopped_following(self, _: object, error: BaseException | None) -> None:
        self._following = False
        with self._shared.lock:
            more = bool(self._shared.awaited) and not self._shared.closed
        if error is not None:
            log.warning(
                "docker: following container exits failed (%s); trying again in 1s",
                engine_error(error),
            )
            if more:
                self.loop.call_later(1.0, self._follow_exits)
            return
        if more:
            self._follow_exits()

    def _watch_exits(self) -> None:
        """In a worker thread: hand each awaited container's exit code to the loop, until none is
        awaited.

        The engine's events are read in windows of `_EVENT_WINDOW_SECONDS`, each starting where the
        last ended, so no `die` is missed; a container that died before the first window is found by
        inspecting it.
        """
        shared = self._shared
        with shared.lock:
            awaited = set(shared.awaited)
        for cid in awaited:
            try:
                state = self.client.api.inspect_container(cid).get("State") or {}
            except docker.errors.NotFound:
                continue
            if state.get("Status") in ("exited", "dead"):
                self._died(cid, int(state.get("ExitCode") or 0))
        filters = {"type": "container", "event": "die", "label": f"{RUNTIME}={self.id}"}
        while True:
            with shared.lock:
                if shared.closed or not shared.awaited:
                    return
                since = shared.events_since
            until = int(time.time()) + _EVENT_WINDOW_SECONDS
            stream = self.client.api.events(since=since, until=until, filters=filters, decode=True)
            with shared.lock:
                shared.stream = stream
                self._interrupt_if_idle()  # closed, or nothing awaited, since the check above
            try:
                for event in stream:
                    attributes = (event.get("Actor") or {}).get("Attributes") or {}
                    if not self._died(
                        str(event.get("id", "")), int(attributes.get("exitCode") or 0)
                    ):
                        break  # nothing is awaited any more
            finally:
                stream.close()
                with shared.lock:
                    shared.stream = None
                    shared.events_since = until

    def _interrupt_if_idle(self) -> None:
        """Stop reading the engine's events at once when nothing is awaited (any thread; lock
        held)."""
        shared = self._shared
        if shared.stream is not None and (shared.closed or not shared.awaited):
            shared.stream.close()

    def _died(self, cid: str, code: int) -> bool:
        """(worker thread) An awaited container exited: pass its code to the loop, once. Returns
        whether any container is still awaited."""
        with self._shared.lock:
            if cid in self._shared.awaited:
                self._shared.awaited.discard(cid)
                self.loop.call_soon_threadsafe(self._exited, cid, code)
            return bool(self._shared.awaited)

    def _exited(self, cid: str, code: int) -> None:
        """(loop) Deliver an exit, after the container's `Started` (kept for later if it came
        first)."""
        handle = self._handles.get(cid)
        if handle is None:
            self._early_exits[cid] = code
            return
        if handle.exited:
            return
        handle.exited = True
        if handle.kill_timer is not None:
            handle.kill_timer.cancel()
            handle.kill_timer = None
        handle.on_exit(code)

    # -- stopping and removing ---------------------------------------------------------------------

    def stop_container(self, node: str, container_id: str, grace_seconds: float) -> None:
        """SIGTERM now and SIGKILL when the grace period ends (at once for a grace of 0)."""
        handle = self._handles.get(container_id)
        if handle is None or handle.exited:
            return
        if grace_seconds <= 0:
            self._signal(container_id, "SIGKILL")
            return
        self._signal(container_id, "SIGTERM")
        if handle.kill_timer is not None:  # stopped again: the later grace period (a shorter one)
            handle.kill_timer.cancel()
        handle.kill_timer = self.loop.call_later(grace_seconds, self._grace_over, container_id)

    def _grace_over(self, container_id: str) -> None:
        handle = self._handles.get(container_id)
        if handle is not None and not handle.exited:
            handle.kill_timer = None
            self._signal(container_id, "SIGKILL")

    def _signal(self, container_id: str, signal: str) -> None:
        def work() -> None:
            try:
                self.client.api.kill(container_id, signal=signal)
            except docker.errors.APIError as exc:
                if exc.status_code not in (404, 409):  # gone, or not running any more
                    raise

        self.loop.submit(work, self._log_failure(f"{signal} to {container_id[:12]}"))

    def remove_pod(self, node: str, pod_uid: str) -> None:
        """Forget the pod's containers (no exit is reported after this) and remove them from the
        engine."""
        key = (node, pod_uid)
        forgotten = self._by_pod.pop(key, [])
        for cid in forgotten:
            handle = self._handles.pop(cid, None)
            if handle is not None and handle.kill_timer is not None:
                handle.kill_timer.cancel()
        self._sandboxes.pop(key, None)
        self._volumes.pop(key, None)
        with self._shared.lock:
            self._shared.removed.add(key)
            self._shared.awaited.difference_update(forgotten)
            self._interrupt_if_idle()

        def work() -> None:
            labels = [f"{RUNTIME}={self.id}", f"{NODE}={node}", f"{POD_UID}={pod_uid}"]
            for summary in self.client.api.containers(all=True, filters={"label": labels}):
                self._remove(summary["Id"])
            self._volume_dirs.remove(pod_uid)

        self.loop.submit(work, self._log_failure(f"removing the containers of pod {pod_uid}"))

    def _remove(self, cid: str) -> None:
        try:
            self.client.api.remove_container(cid, force=True)
        except docker.errors.APIError as exc:
            if exc.status_code not in (404, 409):  # gone, or its removal already under way
                raise

    def _log_failure(self, what: str) -> Callable[[object, BaseException | None], None]:
        def done(_: object, error: BaseException | None) -> None:
            if error is not None:
                log.warning("docker: %s failed: %s", what, engine_error(error))

        return done

    # -- reading and entering containers -----------------------------------------------------------

    def logs(
        self,
        container_id: str,
        *,
        tail: int | None = None,
        since: datetime | None = None,
        timestamps: bool = False,
    ) -> str:
        """What the container wrote to stdout and stderr, read as the kubelet reads it
        (`read_log`); '' for an unknown container. The engine gives each line with the time it
        was written (its `timestamps`), and the last `tail` of them, so that `since` filters them
        after the tail, as the kubelet does."""
        if tail is not None and tail <= 0:
            return ""
        try:
            data = self.client.api.logs(
                container_id,
                stdout=True,
                stderr=True,
                timestamps=True,
                tail="all" if tail is None else tail,
            )
        except docker.errors.NotFound:
            return ""
        text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else str(data)
        return read_log(stamped_lines(text), since=since, timestamps=timestamps)

    def exec(self, container_id: str, command: list[str]) -> tuple[int, str]:
        """Run `command` inside a running container to its end (probes); return its exit code and
        output."""
        result = self.client.containers.get(container_id).exec_run(command)
        output = result.output if isinstance(result.output, bytes) else b""
        return int(result.exit_code or 0), output.decode("utf-8", errors="replace")

    def exec_session(
        self, container_id: str, command: list[str], *, stdin: bool, tty: bool
    ) -> ExecSession:
        """Start `command` inside a running container, its streams joined to the caller (kubectl
        exec); an engine that refuses is an InternalError with the engine's message, as the
        kubelet reports a runtime's failure to exec."""
        try:
            return DockerExec(self.client, container_id, command, stdin=stdin, tty=tty)
        except (docker.errors.DockerException, OSError) as exc:
            raise errors.APIError(
                "Internal error occurred: error executing command in container: "
                f"{engine_error(exc)}"
            ) from exc

    def connect(self, node: str, pod_uid: str, port: int) -> socket.socket:
        """A connection to `port` on the loopback of the pod's network namespace, which its
        sandbox holds (`dial_in_namespace`); never through a container's address."""
        sandbox_id = self._sandboxes.get((node, pod_uid))
        if sandbox_id is None:
            raise PortUnreachable("", f"failed to find sandbox for pod {pod_uid}")
        try:
            state = self.client.api.inspect_container(sandbox_id).get("State") or {}
        except (docker.errors.DockerException, OSError) as exc:
            raise PortUnreachable(sandbox_id, engine_error(exc)) from exc
        pid = int(state.get("Pid") or 0)
        if not state.get("Running") or pid <= 0:
            raise PortUnreachable(sandbox_id, f"sandbox {sandbox_id} is not running")
        return dial_in_namespace(sandbox_id, pid, port)

    def listening(self, container_id: str) -> frozenset[int] | None:
        """The TCP ports the container listens on, read inside it from /proc/net/tcp{,6} (what
        `ss -lnt` reads); None when it is not running."""
        try:
            if not (self.client.api.inspect_container(container_id).get("State") or {}).get(
                "Running"
            ):
                return None
            _, table = self.exec(container_id, ["cat", "/proc/net/tcp", "/proc/net/tcp6"])
        except (docker.errors.DockerException, OSError):
            return None
        ports = set()
        for line in table.splitlines():
            fields = line.split()
            if len(fields) > 3 and fields[3] == "0A" and ":" in fields[1]:  # 0A: TCP_LISTEN
                ports.add(int(fields[1].rpartition(":")[2], 16))
        return frozenset(ports)

    def probe(self, container_id: str, probe: Mapping[str, Any], *, ip: str) -> tuple[bool, str]:
        """Run a readiness or liveness probe: `exec` in the container (its exit code), `httpGet`
        with busybox's wget inside the pod's network namespace, one second at most (never through
        the container's address; busybox 1.35's own `wget -T` crashes), `tcpSocket` against the
        ports it listens on. Returns (succeeded, output)."""
        if "exec" in probe:
            try:
                code, output = self.exec(
                    container_id, list((probe["exec"] or {}).get("command") or [])
                )
            except (docker.errors.DockerException, OSError) as exc:
                return False, engine_error(exc)
            return code == 0, output.strip()
        for kind in ("httpGet", "tcpSocket"):
            if kind not in probe:
                continue
            port = (probe[kind] or {}).get("port")
            refused = f"dial tcp {ip}:{port}: connect: connection refused"
            path = str((probe[kind] or {}).get("path") or "/")
            url = f'Get "http://{ip}:{port}{path}": '
            if not isinstance(port, int) or port not in (
                self.listening(container_id) or frozenset()
            ):
                return False, url + refused if kind == "httpGet" else refused
            if kind == "tcpSocket":
                return True, ""
            code, output = self.exec(
                container_id,
                ["timeout", "1", "wget", "-q", "-O", "/dev/null", f"http://127.0.0.1:{port}{path}"],
            )
            if code == 0:
                return True, ""
            status = output.rpartition("HTTP/1.")[2][2:5] if "HTTP/1." in output else ""
            return (
                False,
                f"HTTP probe failed with statuscode: {status}"
                if status.isdigit()
                else url + output.strip(),
            )
        return False, "the probe has no handler (exec, httpGet or tcpSocket)"

    # -- the end -----------------------------------------------------------------------------------

    def containers(self) -> list[dict[str, Any]]:
        """The engine's summaries of the containers this runtime created and has not removed."""
        return [
            dict(c)
            for c in self.client.api.containers(all=True, filters={"label": f"{RUNTIME}={self.id}"})
        ]

    def close(self) -> None:
        """Remove every container this runtime created (waiting for creations in flight first)."""
        shared = self._shared
        with shared.lock:
            if shared.closed:
                return
            shared.closed = True
            shared.awaited.clear()
            self._interrupt_if_idle()
            shared.lock.wait_for(lambda: shared.inflight == 0, timeout=_CLOSE_WAIT_SECONDS)
        for handle in self._handles.values():
            if handle.kill_timer is not None:
                handle.kill_timer.cancel()
        self._handles.clear()
        self._by_pod.clear()
        self._early_exits.clear()
        try:
            for summary in self.containers():
                self._remove(summary["Id"])
        finally:
            self._volume_dirs.close()
            if self._owns_client:
                self.client.close()


def stamped_lines(text: str) -> list[LogLine]:
    """A log the engine gave with `timestamps` (`<RFC 3339 time> <line>` each) as LogLines; a line
    without a time (none is expected) counts as written at the epoch."""
    found = []
    parts = text.split("\n")  # lines end at a newline only (a carriage return is text)
    for line in [f"{part}\n" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else []):
        stamp, _, rest = line.partition(" ")
        at = parse_log_timestamp(stamp)
        found.append(LogLine(at, rest) if at is not None else LogLine(0, line))
    return found
