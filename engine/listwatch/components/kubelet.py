"""The kubelet: admits the pods bound to its node, runs their containers, reports their status.

Three spec machines drive it: `pod-worker` (admission, syncing, termination), `container` (one
per container: pull, create, start, exit, restart with back-off) and `pod-phase` (the phase the
containers add up to). The pod's conditions come from the rules in `spec/objects/pod.yaml`.
Status is written once per change batch, like the kubelet's status manager, and only when it
differs from what was last written.

Restart back-off is client-go's `flowcontrol.Backoff` as the kubelet uses it: the first exit
restarts at once and starts a 10s back-off; an exit while the back-off since the last restart has
not elapsed waits (CrashLoopBackOff) until it has, and each restart doubles the back-off up to 5
minutes; it resets when a restart comes more than 10 minutes after the previous one.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from listwatch import errors
from listwatch.apiserver import objects
from listwatch.apiserver.objects import Obj
from listwatch.apiserver.selectors import selector_from_map
from listwatch.backends.base import PullResult, Runtime, Sandbox, Started
from listwatch.backends.memory import normalize
from listwatch.client.informer import InformerEvent
from listwatch.components.backoff import Backoff
from listwatch.components.base import Component
from listwatch.components.nodeaffinity import required_affinity
from listwatch.machines.callbacks import action, guard


class ContainerRecord:
    """One container of a pod on this node; `container` is its state in the spec machine."""

    __slots__ = (
        "backoff",
        "container",
        "container_id",
        "exit_code",
        "finished",
        "finished_at",
        "handles_sigterm",
        "image_backoff",
        "image_id",
        "index",
        "last_terminated",
        "name",
        "pod",
        "pull",
        "pull_error",
        "pull_started",
        "restart_count",
        "spec",
        "started_at",
        "terminated",
        "timer",
        "waiting_message",
    )

    def __init__(self, pod: PodRecord, spec: Mapping[str, Any], index: int) -> None:
        self.pod = pod
        self.spec = spec
        self.name: str = spec["name"]
        self.index = index
        self.container = ""
        self.restart_count = 0
        self.exit_code: int | None = None
        self.started_at = ""
        self.finished_at = ""
        self.finished = 0.0
        self.last_terminated: dict[str, Any] | None = None
        self.terminated: dict[str, Any] | None = None
        self.container_id = ""
        self.image_id = ""
        self.pull: PullResult | None = None
        self.pull_started = 0.0
        self.pull_error = ""
        self.waiting_message = ""
        self.backoff: Backoff | None = None
        self.image_backoff: Backoff | None = None
        self.handles_sigterm = True
        self.timer: Any = None

    @property
    def field_path(self) -> str:
        return f"spec.containers{{{self.name}}}"


class PodRecord:
    """A pod on this node; `pod_worker` and `pod_phase` are its states in the spec machines."""

    __slots__ = (
        "containers",
        "dirty",
        "ip",
        "message",
        "pod",
        "pod_phase",
        "pod_worker",
        "reason",
        "sandbox_ready",
        "start_time",
        "stopping",
        "uid",
        "written",
    )

    def __init__(self, pod: Obj) -> None:
        self.pod = pod
        self.uid = objects.uid_of(pod)
        self.pod_worker = ""
        self.pod_phase = ""
        self.containers: list[ContainerRecord] = []
        self.sandbox_ready = False
        self.start_time = ""
        self.ip = ""
        self.reason = ""
        self.message = ""
        self.dirty = False
        self.written: Obj | None = None
        self.stopping = 0


class Kubelet(Component):
    """One node's kubelet, over a container runtime (memory, Docker)."""

    name = "kubelet"

    def __init__(self, *, node: Obj, runtime: Runtime, **kwargs: Any) -> None:
        node_name = objects.name_of(node)
        super().__init__(instance=node_name, host=node_name, **kwargs)
        self.node_name = node_name
        self.node_template = node
        self.node: Obj | None = None
        self.runtime = runtime
        self.worker = self.machines["pod-worker"]
        self.phase = self.machines["pod-phase"]
        self.container_machine = self.machines["container"]
        self.conditions = self.spec.objects["pod"].conditions
        self.pods: dict[str, PodRecord] = {}
        self._waiting: list[Obj] = []
        self._ip_count = 1
        self.host_ip = ""
        self.pod_cidr = ""

    def start(self) -> None:
        """Register the node (as a kubelet does at start), then open the spec's watches."""
        with contextlib.suppress(errors.AlreadyExists):
            self.api.create("nodes", self.node_template, actor=self.actor)
        super().start()

    # -- watch handlers ------------------------------------------------------------------------------

    @action
    def node_seen(self, event: InformerEvent) -> None:
        self.node = event.object
        for address in (self.node.get("status") or {}).get("addresses") or ():
            if address.get("type") == "InternalIP":
                self.host_ip = address.get("address", "")
        self.pod_cidr = (self.node.get("spec") or {}).get("podCIDR", "")
        waiting, self._waiting = self._waiting, []
        for pod in waiting:
            self._add(pod)

    @action
    def pod_added(self, event: InformerEvent) -> None:
        if self.node is None:
            self._waiting.append(event.object)  # admission needs the node's labels
            return
        self._add(event.object)

    def _add(self, pod: Obj) -> None:
        uid = objects.uid_of(pod)
        if uid in self.pods:
            return
        record = PodRecord(pod)
        self.worker.start(record)
        self.phase.start(record)
        for i, spec in enumerate(pod["spec"].get("containers") or ()):
            container = ContainerRecord(record, spec, i)
            self.container_machine.start(container)
            record.containers.append(container)
        self.pods[uid] = record
        if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
            return  # finished before (a re-list after a restart): nothing to run
        self.worker.fire(self, record, "admit")
        if objects.meta(pod).get("deletionTimestamp"):
            self.worker.fire(self, record, "terminate")

    @action
    def pod_updated(self, event: InformerEvent) -> None:
        pod = event.object
        record = self.pods.get(objects.uid_of(pod))
        if record is None:
            self.pod_added(event)
            return
        record.pod = pod
        if objects.meta(pod).get("deletionTimestamp"):
            self.worker.fire(self, record, "terminate")
            return
        if record.pod_worker != "Syncing":
            return
        for spec, container in zip(pod["spec"].get("containers") or (), record.containers, strict=False):
            if spec.get("image") != container.spec.get("image"):
                container.spec = spec
                self.container_machine.fire(self, container, "spec_changed")
                self.loop.call_soon(self._fire, container, "start")

    @action
    def pod_removed(self, event: InformerEvent) -> None:
        record = self.pods.pop(objects.uid_of(event.object), None)
        if record is None:
            return
        for container in record.containers:
            if container.timer is not None:
                container.timer.cancel()
            if container.container_id and container.container == "Running":
                self.runtime.stop_container(self.node_name, container.container_id, 0)
        self.runtime.remove_pod(self.node_name, record.uid)
        self.recorder.forget(record.uid)

    # -- the pod-worker machine ----------------------------------------------------------------------

    @guard
    def pod_admissible(self, record: PodRecord) -> bool:
        assert self.node is not None
        labels = objects.labels_of(self.node)
        spec = record.pod["spec"]
        for check in self.settings["admission"]:
            if check["check"] == "NodeAffinity":
                affinity = required_affinity(spec)
                fits = selector_from_map(spec.get("nodeSelector")).matches(labels) and (affinity is None or affinity(labels))
                if not fits:
                    record.reason, record.message = check["reason"], check["message"]
                    return False
        return True

    @action
    def start_pod(self, record: PodRecord) -> None:
        self.act("admit", record.pod, result="admitted", detail=f"admitted on {self.node_name}; creating the pod sandbox")
        record.start_time = self.loop.stamps.now()
        self._dirty(record)
        self.runtime.run_sandbox(self.node_name, record.pod, lambda sandbox: self._sandbox_ready(record, sandbox))

    def _sandbox_ready(self, record: PodRecord, sandbox: Sandbox) -> None:
        if record.pod_worker != "Syncing":
            return
        record.sandbox_ready = True
        self._ip_count += 1
        base = (self.pod_cidr or "10.244.0.0/24").rpartition(".")[0]
        record.ip = f"{base}.{self._ip_count % 254 + 1}"
        for container in record.containers:
            self._fire(container, "start")
        self._dirty(record)

    @action
    def reject_pod(self, record: PodRecord) -> None:
        self.act("admit", record.pod, result="rejected", detail=f"rejected: {record.message}")
        self.recorder.emit(record.pod, "Warning", record.reason, record.message)
        self.phase.fire(self, record, "reject")
        record.start_time = self.loop.stamps.now()
        status = {
            "phase": "Failed",
            "message": self.settings["rejectedStatusMessage"].format(message=record.message),
            "reason": record.reason,
            "startTime": record.start_time,
            "qosClass": (record.pod.get("status") or {}).get("qosClass", "BestEffort"),
        }
        self._write_status(record, status)

    @action
    def kill_pod(self, record: PodRecord) -> None:
        grace = float(objects.meta(record.pod).get("deletionGracePeriodSeconds") or 0)
        for container in record.containers:
            if container.timer is not None:
                container.timer.cancel()
                container.timer = None
            if container.container == "Running" and container.container_id:
                record.stopping += 1
                self.recorder.record(record.pod, "Killing", field_path=container.field_path, container=container.name)
                self.runtime.stop_container(self.node_name, container.container_id, grace)
        if record.stopping == 0:
            self.loop.call_soon(self._stopped, record)

    def _stopped(self, record: PodRecord) -> None:
        if record.pod_worker == "Terminating":
            self._flush(record, terminal=True)
            self.worker.fire(self, record, "stopped")

    @action
    def remove_pod(self, record: PodRecord) -> None:
        """The kubelet's final delete (grace period 0) once the containers are gone."""
        self.runtime.remove_pod(self.node_name, record.uid)
        with contextlib.suppress(errors.APIError):
            self.api.delete(
                "pods",
                objects.name_of(record.pod),
                namespace=objects.namespace_of(record.pod),
                actor=self.actor,
                grace_period_seconds=0,
                uid=record.uid,
            )

    # -- the container machine --------------------------------------------------------------------------

    @guard
    def image_present(self, container: ContainerRecord) -> bool:
        policy = container.spec.get("imagePullPolicy", "IfNotPresent")
        if policy == "Always":
            return False
        return policy == "Never" or self.runtime.image_present(self.node_name, container.spec["image"])

    @action
    def report_image_present(self, container: ContainerRecord) -> None:
        self.recorder.record(container.pod.pod, "AlreadyPresent", field_path=container.field_path, image=container.spec["image"])

    @action
    def pull_image(self, container: ContainerRecord) -> None:
        image = container.spec["image"]
        self.recorder.record(container.pod.pod, "Pulling", field_path=container.field_path, image=image)
        container.pull_started = self.loop.clock.now()

        def done(result: PullResult) -> None:
            if container.container != "Pulling" or container.spec.get("image") != image:
                return
            container.pull = result
            if result.ok:
                self.container_machine.fire(self, container, "pulled")
            else:
                container.pull_error = result.error
                self.container_machine.fire(self, container, "pull_failed")
            self._dirty(container.pod)

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

    @action
    def report_pull_failed(self, container: ContainerRecord) -> None:
        pod = container.pod.pod
        image = container.spec["image"]
        self.recorder.record(pod, "FailedPull", field_path=container.field_path, image=image, error=container.pull_error)
        self.recorder.record(pod, "ErrImagePull", field_path=container.field_path)
        container.waiting_message = container.pull_error
        s = self.settings
        if container.image_backoff is None:
            maximum = float(s["maxImageBackOffSeconds"])
            container.image_backoff = Backoff(float(s["imageBackOffSeconds"]), maximum, 2 * maximum)
        container.image_backoff.next(self.loop.clock.now())
        self._fire_later(container, "retry", float(s["resyncAfterErrorSeconds"]))

    def _fire_later(self, container: ContainerRecord, trigger: str, delay: float) -> None:
        """Fire `trigger` on the container after `delay`, if its pod is still being synced."""
        container.timer = self.loop.call_later(max(delay, 0.0), self._fire, container, trigger)

    def _fire(self, container: ContainerRecord, trigger: str) -> None:
        container.timer = None
        if container.pod.pod_worker == "Syncing":
            self.container_machine.fire(self, container, trigger)
            self._dirty(container.pod)

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
        container.waiting_message = self.settings["waitingMessages"]["ImagePullBackOff"].format(image=image, error=container.pull_error)
        assert container.image_backoff is not None
        self._fire_later(container, "retry", container.image_backoff.due(container.image_backoff.updated) - self.loop.clock.now())

    @action
    def create_and_start(self, container: ContainerRecord) -> None:
        record = container.pod
        pod = record.pod
        self.recorder.record(pod, "Created", field_path=container.field_path, container=container.name)
        container.container_id = ""
        attempt = container.restart_count

        def exited(code: int) -> None:
            if container.container_id != started_id[0] or container.container != "Running":
                return
            container.exit_code = code
            self.container_machine.fire(self, container, "exited")
            self._dirty(record)

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
            self.recorder.record(pod, "Started", field_path=container.field_path, container=container.name)
            self._dirty(record)

        self.runtime.start_container(self.node_name, pod, container.spec, attempt, exited, started)

    @guard
    def exit_code_zero(self, container: ContainerRecord) -> bool:
        return container.exit_code == 0

    @action
    def record_exit(self, container: ContainerRecord) -> None:
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
        if record.pod_worker == "Terminating":
            record.stopping -= 1
            if record.stopping <= 0:
                self.loop.call_soon(self._stopped, record)
            return
        self._fire_later(container, "restart", 0.0)

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
        self.recorder.record(pod, "BackOffRestart", field_path=container.field_path, container=container.name, pod=pod_ref)
        assert container.backoff is not None
        container.waiting_message = self.settings["waitingMessages"]["CrashLoopBackOff"].format(
            backoff=go_duration(container.backoff.duration), container=container.name, pod=pod_ref
        )
        container.last_terminated = container.terminated
        self._fire_later(container, "restart", container.backoff.due(container.finished) - self.loop.clock.now())

    @action
    def count_restart(self, container: ContainerRecord) -> None:
        s = self.settings
        if container.backoff is None:
            container.backoff = Backoff(
                float(s["containerBackOffSeconds"]), float(s["maxContainerBackOffSeconds"]), float(s["backOffResetSeconds"])
            )
        container.backoff.next(self.loop.clock.now())
        self._begin_restart(container)

    def _begin_restart(self, container: ContainerRecord) -> None:
        container.last_terminated = container.terminated
        container.terminated = None
        container.restart_count += 1
        container.container_id = ""
        container.waiting_message = ""
        self.loop.call_soon(self._fire, container, "start")

    @action
    def kill_for_update(self, container: ContainerRecord) -> None:
        pod = container.pod.pod
        self.act("restart", pod, detail=f"container {container.name}: image changed to {container.spec.get('image')}; kill and start again")
        self.recorder.record(pod, "DefinitionChanged", field_path=container.field_path, container=container.name)
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
        return container.handles_sigterm

    @action
    def kill_container(self, container: ContainerRecord) -> None:
        container.exit_code = 0 if container.handles_sigterm else 137

    # -- the pod-phase machine's guards ----------------------------------------------------------------

    def _computed_phase(self, record: PodRecord) -> str:
        """kubelet's getPhase over the containers' states and the restart policy."""
        running = waiting = stopped = succeeded = 0
        for c in record.containers:
            state = c.container
            if state == "Running" and c.container_id:
                running += 1
            elif state in ("Completed", "Error"):
                stopped += 1
                succeeded += state == "Completed"
            elif c.last_terminated is not None:
                stopped += 1
                succeeded += c.last_terminated.get("exitCode") == 0
            else:
                waiting += 1
        policy = record.pod["spec"].get("restartPolicy", "Always")
        if waiting:
            return "Pending"
        if running:
            return "Running"
        if stopped:
            if policy == "Always":
                return "Running"
            if stopped == succeeded:
                return "Succeeded"
            return "Failed" if policy == "Never" else "Running"
        return "Pending"

    @guard
    def all_containers_succeeded(self, record: PodRecord) -> bool:
        return self._computed_phase(record) == "Succeeded"

    @guard
    def containers_failed_for_good(self, record: PodRecord) -> bool:
        return self._computed_phase(record) == "Failed"

    @guard
    def containers_started(self, record: PodRecord) -> bool:
        return self._computed_phase(record) == "Running"

    # -- condition guards (spec/objects/pod.yaml) -------------------------------------------------------

    @guard
    def sandbox_ready(self, record: PodRecord) -> bool:
        return record.sandbox_ready and record.pod_phase not in ("Succeeded", "Failed")

    @guard
    def pod_succeeded(self, record: PodRecord) -> bool:
        return record.pod_phase == "Succeeded"

    @guard
    def pod_failed(self, record: PodRecord) -> bool:
        return record.pod_phase == "Failed"

    @guard
    def all_containers_ready(self, record: PodRecord) -> bool:
        return all(_ready(c) for c in record.containers)

    # -- status ------------------------------------------------------------------------------------

    def _dirty(self, record: PodRecord) -> None:
        if not record.dirty:
            record.dirty = True
            self.loop.call_soon(self._flush, record)

    def _flush(self, record: PodRecord, *, terminal: bool = False) -> None:
        record.dirty = False
        if record.pod_worker not in ("Syncing", "Terminating") or record.uid not in self.pods:
            return
        self.phase.fire(self, record, "sync")
        if terminal and record.pod_phase not in ("Succeeded", "Failed"):
            # Since v1.27 a deleted pod reaches a terminal phase before it is removed.
            ok = all(c.terminated is None or c.terminated.get("exitCode") == 0 for c in record.containers)
            record.pod_phase = "Succeeded" if ok else "Failed"
        self._write_status(record, self._status(record))

    def _status(self, record: PodRecord) -> Obj:
        old = record.pod.get("status") or {}
        previous = {c.get("type"): c for c in old.get("conditions") or ()}
        now = self.loop.stamps.now()
        conditions = []
        for definition in self.conditions:
            for rule in definition.rules:
                if not rule.when or getattr(self, rule.when)(record):
                    break
            condition: dict[str, Any] = {"type": definition.type, "status": rule.status, "lastProbeTime": None}
            before = previous.get(definition.type)
            condition["lastTransitionTime"] = before.get("lastTransitionTime") if before and before.get("status") == rule.status else now
            if rule.reason:
                condition["reason"] = rule.reason
            if rule.message:
                unready = "[" + " ".join(c.name for c in record.containers if not _ready(c)) + "]"
                condition["message"] = rule.message.format(unready=unready)
            conditions.append(condition)
        status: Obj = {"phase": record.pod_phase, "conditions": conditions}
        if self.host_ip:
            status["hostIP"] = self.host_ip
            status["hostIPs"] = [{"ip": self.host_ip}]
        if record.ip:
            status["podIP"] = record.ip
            status["podIPs"] = [{"ip": record.ip}]
        status["startTime"] = record.start_time
        status["containerStatuses"] = [self._container_status(c) for c in record.containers]
        status["qosClass"] = old.get("qosClass", "BestEffort")
        return status

    def _container_status(self, c: ContainerRecord) -> Obj:
        state = self.container_machine.definition.state(c.container).status
        started = bool(c.container_id) and c.container == "Running"
        if c.container == "Running" and not c.container_id:
            current: Obj = {"waiting": {"reason": "ContainerCreating"}}
        elif state.get("state") == "running":
            current = {"running": {"startedAt": c.started_at}}
        elif state.get("state") == "terminated" and c.terminated is not None:
            current = {"terminated": dict(c.terminated)}
        else:
            waiting: Obj = {"reason": state.get("reason", "ContainerCreating")}
            if c.waiting_message and waiting["reason"] != "ContainerCreating":
                waiting["message"] = c.waiting_message
            current = {"waiting": waiting}
        reference = normalize(c.spec["image"])[0]
        status: Obj = {
            "name": c.name,
            "state": current,
            "lastState": {"terminated": dict(c.last_terminated)} if c.last_terminated else {},
            "ready": started,
            "restartCount": c.restart_count,
            "image": reference if c.image_id else c.spec["image"],
            "imageID": c.image_id,
        }
        if c.container_id or c.terminated:
            cid = c.container_id or (c.terminated or {}).get("containerID", "").partition("://")[2]
            status["containerID"] = f"{self.runtime.scheme}://{cid}"
        status["started"] = started
        return status

    def _write_status(self, record: PodRecord, status: Obj) -> None:
        if status == record.written:
            return
        status = objects.reuse(status, record.pod.get("status") or {})
        started = any(c.container == "Running" and c.container_id for c in record.containers) or (
            status.get("phase") in ("Succeeded", "Failed") and any(c.terminated for c in record.containers)
        )
        try:
            updated = self.api.update_status("pods", {**record.pod, "status": status}, actor=self.actor, attrs={"started": started})
        except errors.NotFound:
            return
        record.written = status
        record.pod = updated


def _ready(container: ContainerRecord) -> bool:
    return container.container == "Running" and bool(container.container_id)


def go_duration(seconds: float) -> str:
    """Go's time.Duration.String() after truncation to milliseconds: 812ms, 2.182s, 1m2.5s, 5m0s."""
    millis = round(seconds * 1000)
    if millis < 1000:
        return f"{millis}ms" if millis else "0s"
    minutes, millis = divmod(millis, 60_000)
    secs = f"{millis / 1000:.3f}".rstrip("0").rstrip(".")
    if minutes:
        hours, minutes = divmod(minutes, 60)
        head = f"{hours}h{minutes}m" if hours else f"{minutes}m"
        return f"{head}{secs}s"
    return f"{secs}s"
