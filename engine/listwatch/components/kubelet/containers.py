"""The kubelet's containers part: pulls, starts, exits, restarts with back-off.

It owns the spec's `container` machine (spec/objects/container.yaml): its guards and actions are
the methods marked here, and every trigger on a container is fired by this part (`fire` and
`fire_later` only while the container's pod is being synced). It also stops a pod's containers
when the pod is deleted (`kill`) or gone (`discard`).

A container ends one of two ways, as in kuberuntime. On its own (its process exits): `exited`, and
restartPolicy decides what follows. Stopped by the kubelet (killContainer: the `Killing` Event,
SIGTERM, the grace period, then SIGKILL): `kill`, taken when the runtime reports the end, its exit
code deciding Completed (0: the process stopped cleanly on SIGTERM) or Error (137 after SIGKILL, or
whatever else the process exited with). A killed container is not restarted. What it needs from the
rest of the kubelet is passed in: the probes part (to probe a container once it has started),
`on_change` (the pod's status needs writing) and `on_pod_stopped` (the last container of a pod being
deleted has stopped).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from listwatch.apiserver import objects
from listwatch.components.backoff import Backoff
from listwatch.components.base import Acts
from listwatch.components.events import EventRecorder
from listwatch.components.kubelet.probes import Probes
from listwatch.components.kubelet.records import ContainerRecord, PodRecord
from listwatch.components.kubelet.status import go_duration
from listwatch.loop import Loop
from listwatch.machines.building import Machine
from listwatch.machines.callbacks import action, guard
from listwatch.rules import images
from listwatch.runtime.base import PullResult, Runtime, Started

#: The container machine's states in which a pull is under way (a first pull, a retry).
PULLING = frozenset({"Pulling", "Repulling"})


class Containers:
    """Drives each container of the node's pods through the `container` machine and the runtime."""

    def __init__(
        self,
        *,
        node_name: str,
        loop: Loop,
        runtime: Runtime,
        recorder: EventRecorder,
        act: Acts,
        settings: Mapping[str, Any],
        machine: Machine,
        probes: Probes,
        on_change: Callable[[PodRecord], None],
        on_pod_stopped: Callable[[PodRecord], None],
    ) -> None:
        self.node_name = node_name
        self.loop = loop
        self.runtime = runtime
        self.recorder = recorder
        self.act = act
        self.settings = settings
        self.machine = machine
        self.probes = probes
        self.on_change = on_change
        self.on_pod_stopped = on_pod_stopped

    def start(self, container: ContainerRecord) -> None:
        """Put a new container in the machine's initial state."""
        self.machine.start(container)

    def fire(self, container: ContainerRecord, trigger: str) -> None:
        """Fire `trigger` on the container, if its pod is still being synced."""
        container.timer = None
        if container.pod.pod_worker == "Syncing":
            self._fire(container, trigger)
            self.on_change(container.pod)

    def _fire(self, container: ContainerRecord, trigger: str) -> None:
        """Fire `trigger`, then note whether the status keeps reporting the container as it last
        did: in a state without a status of its own (a restart, a pull retry), and on through the
        creation of the new instance that follows it, until that instance has started."""
        self.machine.fire(self, container, trigger)
        state = self.machine.definition.state(container.container)
        starting = container.container == "Running" and not container.container_id
        container.keeps = not state.status or (starting and container.keeps)

    def fire_later(self, container: ContainerRecord, trigger: str, delay: float) -> None:
        """Fire `trigger` on the container after `delay`, if its pod is still being synced then."""
        container.timer = self.loop.call_later(max(delay, 0.0), self.fire, container, trigger)

    def spec_changed(self, container: ContainerRecord, spec: Mapping[str, Any]) -> None:
        """The pod's spec gives the container a new image: kill it and start it again."""
        container.spec = spec
        self._fire(container, "spec_changed")
        self.loop.call_soon(self.fire, container, "start")

    def kill(self, record: PodRecord, grace: float) -> None:
        """The pod is being deleted: stop its running containers (counted in `record.stopping`)."""
        for container in record.containers:
            _cancel_timer(container)
            if container.container == "Running" and container.container_id:
                record.stopping += 1
                container.killed = True
                self.recorder.record(
                    record.pod, "Killing", field_path=container.field_path, container=container.name
                )
                self.runtime.stop_container(self.node_name, container.container_id, grace)

    def shorten(self, record: PodRecord, grace: float) -> None:
        """A shorter grace period for the containers of a pod still stopping (killPod again with
        the shorter grace period override)."""
        for container in record.containers:
            if container.killed and container.container == "Running" and container.container_id:
                self.runtime.stop_container(self.node_name, container.container_id, grace)

    def discard(self, record: PodRecord) -> None:
        """The pod is gone from the API: nothing more fires, and what still runs is stopped now."""
        for container in record.containers:
            _cancel_timer(container)
            if container.container_id and container.container == "Running":
                self.runtime.stop_container(self.node_name, container.container_id, 0)

    # -- the container machine's callbacks ---------------------------------------------------------

    @guard
    def image_invalid(self, container: ContainerRecord) -> bool:
        """The image reference does not parse (EnsureImageExists' applyDefaultImageTag); the
        parse error, in distribution/reference's words, is kept for the message."""
        try:
            images.parse(container.spec["image"])
        except ValueError as error:
            container.pull_error = str(error)
            return True
        return False

    @action
    def report_invalid_image(self, container: ContainerRecord) -> None:
        """InvalidImageName: an InspectFailed Event with the parse error, then startContainer's
        `Error: InvalidImageName`; nothing is pulled and no back-off follows."""
        self._record_image_failure(container, "InspectFailed", "ErrInvalidImageName")
        container.waiting_message = self.settings["waitingMessages"]["InvalidImageName"].format(
            image=container.spec["image"], error=container.pull_error
        )

    @guard
    def image_present(self, container: ContainerRecord) -> bool:
        """The image is on the node, or the policy says not to pull; an image reference that does
        not parse never is (the default tag is applied before the policy is read)."""
        if self.image_invalid(container):
            return False
        policy = container.spec.get("imagePullPolicy", "IfNotPresent")
        if policy == "Always":
            return False
        return policy == "Never" or self.runtime.image_present(
            self.node_name, container.spec["image"]
        )

    @action
    def report_image_present(self, container: ContainerRecord) -> None:
        self.recorder.record(
            container.pod.pod,
            "AlreadyPresent",
            field_path=container.field_path,
            image=container.spec["image"],
        )

    @action
    def pull_image(self, container: ContainerRecord) -> None:
        image = container.spec["image"]
        self.recorder.record(
            container.pod.pod, "Pulling", field_path=container.field_path, image=image
        )
        container.pull_started = self.loop.clock.now()

        def done(result: PullResult) -> None:
            if container.container not in PULLING or container.spec.get("image") != image:
                return
            container.pull = result
            if result.ok:
                self._fire(container, "pulled")
            else:
                container.pull_error = result.error
                self._fire(container, "pull_failed")
            self.on_change(container.pod)

        self.runtime.pull_image(self.node_name, container.pod.pod, image, done)

    @action
    def report_pulled(self, container: ContainerRecord) -> None:
        result = container.pull
        assert result is not None
        total = self.loop.clock.now() - container.pull_started
        self.recorder.record(
            container.pod.pod,
            "Pulled",
            field_path=container.field_path,
            image=container.spec["image"],
            duration=go_duration(result.seconds),
            total=go_duration(total),
            size=result.size,
        )
        container.image_backoff = None

    def _record_image_failure(self, container: ContainerRecord, reason: str, error: str) -> None:
        """The two Warnings of an image that cannot be had: `reason` with the error, then
        startContainer's `Error: <waiting reason>` (`error`)."""
        pod = container.pod.pod
        self.recorder.record(
            pod,
            reason,
            field_path=container.field_path,
            image=container.spec["image"],
            error=container.pull_error,
        )
        self.recorder.record(pod, error, field_path=container.field_path)

    @action
    def report_pull_failed(self, container: ContainerRecord) -> None:
        self._record_image_failure(container, "FailedPull", "ErrImagePull")
        container.waiting_message = container.pull_error
        s = self.settings
        if container.image_backoff is None:
            maximum = float(s["maxImageBackOffSeconds"])
            container.image_backoff = Backoff(float(s["imageBackOffSeconds"]), maximum, 2 * maximum)
        container.image_backoff.next(self.loop.clock.now())
        self.fire_later(container, "retry", float(s["resyncAfterErrorSeconds"]))

    @guard
    def in_image_backoff(self, container: ContainerRecord) -> bool:
        backoff = container.image_backoff
        return backoff is not None and backoff.waiting(backoff.updated, self.loop.clock.now())

    @action
    def report_image_backoff(self, container: ContainerRecord) -> None:
        pod = container.pod.pod
        image = container.spec["image"]
        self.recorder.record(pod, "BackOffPull", field_path=container.field_path, image=image)
        self.recorder.record(pod, "ErrImagePullBackOff", field_path=container.field_path)
        container.waiting_message = self.settings["waitingMessages"]["ImagePullBackOff"].format(
            image=image, error=container.pull_error
        )
        assert container.image_backoff is not None
        self.fire_later(
            container,
            "retry",
            container.image_backoff.due(container.image_backoff.updated) - self.loop.clock.now(),
        )

    @action
    def create_and_start(self, container: ContainerRecord) -> None:
        record = container.pod
        pod = record.pod
        self.recorder.record(
            pod, "Created", field_path=container.field_path, container=container.name
        )
        container.container_id = ""
        container.killed = False
        attempt = container.restart_count

        def exited(code: int) -> None:
            if container.container_id != started_id[0] or container.container != "Running":
                return
            container.exit_code = code
            self._fire(container, "kill" if container.killed else "exited")
            self.on_change(record)

        started_id = [""]

        def started(info: Started) -> None:
            if record.pod_worker != "Syncing" or container.container != "Running":
                self.runtime.stop_container(self.node_name, info.container_id, 0)
                return
            started_id[0] = container.container_id = info.container_id
            container.image_id = info.image_id
            container.handles_sigterm = info.handles_sigterm
            container.started_at = self.loop.stamps.now()
            container.waiting_message = ""
            self.recorder.record(
                pod, "Started", field_path=container.field_path, container=container.name
            )
            self.probes.start(container)
            self.on_change(record)

        self.runtime.start_container(self.node_name, pod, container.spec, attempt, exited, started)

    @guard
    def exit_code_zero(self, container: ContainerRecord) -> bool:
        return container.exit_code == 0

    @action
    def record_exit(self, container: ContainerRecord) -> None:
        """The container ended on its own: its terminated state, then a restart if its policy
        allows (or, should its pod be terminating meanwhile, one fewer container to wait for)."""
        if self._terminated(container):
            return
        self.fire_later(container, "restart", 0.0)

    def _terminated(self, container: ContainerRecord) -> bool:
        """Record the container's terminated state; whether its pod is terminating (then the
        container was one its pod's deletion waits for, and the last one ends the wait)."""
        container.finished = self.loop.clock.now()
        container.finished_at = self.loop.stamps.now()
        container.terminated = {
            "exitCode": container.exit_code,
            "reason": "Completed" if container.exit_code == 0 else "Error",
            "startedAt": container.started_at,
            "finishedAt": container.finished_at,
            "containerID": f"{self.runtime.scheme}://{container.container_id}",
        }
        record = container.pod
        if record.pod_worker != "Terminating":
            return False
        record.stopping -= 1
        if record.stopping <= 0:
            self.loop.call_soon(self.on_pod_stopped, record)
        return True

    @guard
    def restart_policy_allows(self, container: ContainerRecord) -> bool:
        policy = container.pod.pod["spec"].get("restartPolicy", "Always")
        return policy == "Always" or (policy == "OnFailure" and container.exit_code != 0)

    @guard
    def in_crash_backoff(self, container: ContainerRecord) -> bool:
        backoff = container.backoff
        return backoff is not None and backoff.waiting(container.finished, self.loop.clock.now())

    @action
    def report_crash_backoff(self, container: ContainerRecord) -> None:
        pod = container.pod.pod
        pod_ref = f"{objects.name_of(pod)}_{objects.namespace_of(pod)}({objects.uid_of(pod)})"
        self.recorder.record(
            pod,
            "BackOffRestart",
            field_path=container.field_path,
            container=container.name,
            pod=pod_ref,
        )
        assert container.backoff is not None
        container.waiting_message = self.settings["waitingMessages"]["CrashLoopBackOff"].format(
            backoff=go_duration(container.backoff.duration), container=container.name, pod=pod_ref
        )
        container.last_terminated = container.terminated
        self.fire_later(
            container, "restart", container.backoff.due(container.finished) - self.loop.clock.now()
        )

    @action
    def count_restart(self, container: ContainerRecord) -> None:
        s = self.settings
        if container.backoff is None:
            container.backoff = Backoff(
                float(s["containerBackOffSeconds"]),
                float(s["maxContainerBackOffSeconds"]),
                float(s["backOffResetSeconds"]),
            )
        container.backoff.next(self.loop.clock.now())
        self._begin_restart(container)

    def _begin_restart(self, container: ContainerRecord) -> None:
        container.last_terminated = container.terminated
        container.terminated = None
        container.restart_count += 1
        container.container_id = ""
        container.waiting_message = ""
        self.loop.call_soon(self.fire, container, "start")

    @action
    def kill_for_update(self, container: ContainerRecord) -> None:
        pod = container.pod.pod
        self.act(
            "restart",
            pod,
            detail=f"container {container.name}: image changed to {container.spec.get('image')}; "
            "kill and start again",
        )
        self.recorder.record(
            pod, "DefinitionChanged", field_path=container.field_path, container=container.name
        )
        if container.container_id:
            self.runtime.stop_container(self.node_name, container.container_id, 0)
        container.terminated = {
            "exitCode": 0,
            "reason": "Completed",
            "startedAt": container.started_at,
            "finishedAt": self.loop.stamps.now(),
            "containerID": f"{self.runtime.scheme}://{container.container_id}",
        }
        self._begin_restart(container)

    @guard
    def stops_cleanly(self, container: ContainerRecord) -> bool:
        """The killed container exited 0: it handled SIGTERM and ended within its grace period.

        Read from the exit code the runtime reported, not predicted: a Docker Engine cannot tell
        beforehand whether a process handles SIGTERM (see `Started.handles_sigterm`)."""
        return container.exit_code == 0

    @action
    def kill_container(self, container: ContainerRecord) -> None:
        """killContainer has returned: the container's terminated state; never a restart."""
        self._terminated(container)


def _cancel_timer(container: ContainerRecord) -> None:
    if container.timer is not None:
        container.timer.cancel()
        container.timer = None
