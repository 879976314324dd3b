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

from listwatch import errors
from listwatch.apiserver import objects
from listwatch.apiserver.objects import Obj
from listwatch.client.informer import InformerEvent
from listwatch.components.kubelet.containers import Containers
from listwatch.components.kubelet.node import NodeStatus
from listwatch.components.kubelet.probes import Probes
from listwatch.components.kubelet.records import ContainerRecord, PodRecord
from listwatch.components.kubelet.status import Status
from listwatch.machines.callbacks import action, guard
from listwatch.rules import affinity
from listwatch.runtime.base import Sandbox


class Kubelet(Containers, Probes, NodeStatus, Status):
    """One node's kubelet, over a container runtime (memory, Docker)."""

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
        for spec, container in zip(
            pod["spec"].get("containers") or (), record.containers, strict=False
        ):
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
        for check in self.settings["admission"]:
            if check["check"] == "NodeAffinity":
                fits = affinity.fits_node(record.pod, self.node)
                if not fits:
                    record.reason, record.message = check["reason"], check["message"]
                    return False
        return True

    @action
    def start_pod(self, record: PodRecord) -> None:
        self.act(
            "admit",
            record.pod,
            result="admitted",
            detail=f"admitted on {self.node_name}; creating the pod sandbox",
        )
        record.start_time = self.loop.stamps.now()
        self._dirty(record)
        self.runtime.run_sandbox(
            self.node_name, record.pod, lambda sandbox: self._sandbox_ready(record, sandbox)
        )

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
                self.recorder.record(
                    record.pod, "Killing", field_path=container.field_path, container=container.name
                )
                self.runtime.stop_container(self.node_name, container.container_id, grace)
        if record.stopping == 0:
            self.loop.call_soon(self._stopped, record)

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
