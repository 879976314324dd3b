"""The kubelet's status part: the pod's phase, its conditions and container statuses, written once
per change.

It owns the spec's `pod-phase` machine (spec/objects/pod.yaml) and the guards of the pod's
condition rules: the phase changes only through that machine (`sync` as the containers add up,
`reject` on admission failure, `stopped` once a deleted pod's containers are gone). Like the
kubelet's status manager, it batches: `mark_dirty` schedules one write per loop turn, and a write
happens only when the status differs from the one last written. It reads the pod records the
other parts update; it keeps no other state than the node's host IP.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from listwatch import errors
from listwatch.apiserver import objects
from listwatch.apiserver.api import APIServer
from listwatch.apiserver.objects import Obj
from listwatch.components.kubelet.records import ContainerRecord, PodRecord
from listwatch.loop import Loop
from listwatch.machines.building import Machine
from listwatch.machines.callbacks import guard
from listwatch.rules.images import normalize
from listwatch.spec.model import ConditionDef, MachineDef


class Status:
    """Computes and writes the status of the pods in `pods` (the kubelet's own table, read only)."""

    def __init__(
        self,
        *,
        api: APIServer,
        loop: Loop,
        actor: str,
        scheme: str,
        phase: Machine,
        containers: MachineDef,
        conditions: tuple[ConditionDef, ...],
        pods: Mapping[str, PodRecord],
    ) -> None:
        self.api = api
        self.loop = loop
        self.actor = actor
        self.scheme = scheme
        self.phase = phase
        self.container_states = containers
        self.conditions = conditions
        self.pods = pods
        #: The node's InternalIP, reported as each pod's hostIP (set when the kubelet sees its
        #: node).
        self.host_ip = ""

    def start(self, record: PodRecord) -> None:
        """Put a new pod in the phase machine's initial state."""
        self.phase.start(record)

    # -- the pod-phase machine's guards ------------------------------------------------------------

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

    @guard
    def no_container_failed(self, record: PodRecord) -> bool:
        """Every container that terminated exited 0 (a deleted pod's phase: Succeeded, else
        Failed)."""
        return all(
            c.terminated is None or c.terminated.get("exitCode") == 0 for c in record.containers
        )

    # -- condition guards (spec/objects/pod.yaml) --------------------------------------------------

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
        return all(self._ready(c) for c in record.containers)

    def _ready(self, c: ContainerRecord) -> bool:
        """Ready as the container status shows it (as last reported while that is kept)."""
        if self._keeps(c):
            assert c.reported is not None
            return bool(c.reported.get("ready"))
        return _ready(c)

    # -- status ------------------------------------------------------------------------------------

    def mark_dirty(self, record: PodRecord) -> None:
        """Write the pod's status once, after everything this loop turn changes."""
        if not record.dirty:
            record.dirty = True
            self.loop.call_soon(self.flush, record)

    def flush(self, record: PodRecord, *, terminal: bool = False) -> None:
        """Bring the phase up to date through the machine and write the status if it changed."""
        record.dirty = False
        if record.pod_worker not in ("Syncing", "Terminating") or record.uid not in self.pods:
            return
        self.phase.fire(self, record, "sync")
        if terminal:
            # Since v1.27 a deleted pod reaches a terminal phase before it is removed.
            self.phase.fire(self, record, "stopped")
        self._write_status(record, self._status(record))

    def reject(self, record: PodRecord, *, reason: str, message: str) -> None:
        """Admission failed: the phase goes to Failed and the status says why."""
        self.phase.fire(self, record, "reject")
        record.start_time = self.loop.stamps.now()
        status = {
            "phase": record.pod_phase,
            "message": message,
            "reason": reason,
            "startTime": record.start_time,
            "qosClass": (record.pod.get("status") or {}).get("qosClass", "BestEffort"),
        }
        self._write_status(record, status)

    def _status(self, record: PodRecord) -> Obj:
        old = record.pod.get("status") or {}
        previous = {c.get("type"): c for c in old.get("conditions") or ()}
        now = self.loop.stamps.now()
        conditions = []
        for definition in self.conditions:
            for rule in definition.rules:
                if not rule.when or getattr(self, rule.when)(record):
                    break
            condition: dict[str, Any] = {
                "type": definition.type,
                "status": rule.status,
                "lastProbeTime": None,
            }
            before = previous.get(definition.type)
            condition["lastTransitionTime"] = (
                before.get("lastTransitionTime")
                if before and before.get("status") == rule.status
                else now
            )
            if rule.reason:
                condition["reason"] = rule.reason
            if rule.message:
                unready = (
                    "[" + " ".join(c.name for c in record.containers if not self._ready(c)) + "]"
                )
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

    def _keeps(self, c: ContainerRecord) -> bool:
        """Whether the container is reported as it last was: its state has no status of its own
        (a restart, a pull retry), or its new instance is being created and has not started."""
        if c.reported is None or not c.keeps:
            return False
        starting = c.container == "Running" and not c.container_id
        return starting or not self.container_states.state(c.container).status

    def _container_status(self, c: ContainerRecord) -> Obj:
        if self._keeps(c):
            assert c.reported is not None
            return c.reported
        c.reported = self._current_status(c)
        return c.reported

    def _current_status(self, c: ContainerRecord) -> Obj:
        state = self.container_states.state(c.container).status
        started = bool(c.container_id) and c.container == "Running"
        if not state or (c.container == "Running" and not c.container_id):
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
            "ready": _ready(c),
            "restartCount": c.restart_count,
            "image": reference if c.image_id else c.spec["image"],
            "imageID": c.image_id,
        }
        if c.container_id or c.terminated:
            cid = c.container_id or (c.terminated or {}).get("containerID", "").partition("://")[2]
            status["containerID"] = f"{self.scheme}://{cid}"
        status["started"] = started
        return status

    def _write_status(self, record: PodRecord, status: Obj) -> None:
        if status == record.written:
            return
        status = objects.reuse(status, record.pod.get("status") or {})
        # Containers started, as a client reads the status: one is running or has terminated.
        started = any(
            "running" in (c.get("state") or {}) or "terminated" in (c.get("state") or {})
            for c in status.get("containerStatuses") or ()
        )
        try:
            try:
                updated = self.api.update_status(
                    "pods",
                    {**record.pod, "status": status},
                    actor=self.actor,
                    attrs={"started": started},
                )
            except errors.Conflict:
                # The kubelet's status manager patches the status, so that a change to the pod
                # the kubelet has not seen yet (its deletion, a label) does not refuse it: written
                # again over the pod as it is now.
                record.pod = self.api.get(
                    "pods", objects.name_of(record.pod), namespace=objects.namespace_of(record.pod)
                )
                updated = self.api.update_status(
                    "pods",
                    {**record.pod, "status": status},
                    actor=self.actor,
                    attrs={"started": started},
                )
        except errors.NotFound:
            return
        record.written = status
        record.pod = updated


def _ready(container: ContainerRecord) -> bool:
    """Running, and its readiness probe (if it has one) succeeding."""
    return (
        container.container == "Running"
        and bool(container.container_id)
        and container.ready is not False
    )


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
