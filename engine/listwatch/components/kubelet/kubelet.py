"""The kubelet: admits the pods bound to its node, runs their containers, reports their status.

One object per node, owning its parts (see the package docstring): it opens the spec's watches,
keeps the table of its pods (`pods`, by UID) and runs the spec's `pod-worker` machine itself
(admission, syncing, termination); the `container` machine runs on its containers part and the
`pod-phase` machine on its status part. Status is written once per change batch, like the
kubelet's status manager, and only when it differs from what was last written.

Restart back-off is client-go's `flowcontrol.Backoff` as the kubelet uses it: the first exit
restarts at once and starts a 10s back-off; an exit while the back-off since the last restart has
not elapsed waits (CrashLoopBackOff) until it has, and each restart doubles the back-off up to 5
minutes; it resets when a restart comes more than 10 minutes after the previous one.
"""

from __future__ import annotations

import contextlib
from typing import Any

from listwatch import errors
from listwatch.apiserver import objects
from listwatch.apiserver.objects import Obj
from listwatch.client.informer import InformerEvent
from listwatch.components.base import Component
from listwatch.components.kubelet import admission, volumes
from listwatch.components.kubelet.containers import Containers
from listwatch.components.kubelet.node import NodeStatus
from listwatch.components.kubelet.probes import Probes
from listwatch.components.kubelet.records import ContainerRecord, PodRecord
from listwatch.components.kubelet.status import Status
from listwatch.machines.callbacks import action, guard
from listwatch.runtime.base import Runtime, Sandbox


class Kubelet(Component):
    """One node's kubelet, over a container runtime (memory, Docker)."""

    name = "kubelet"

    def __init__(self, *, node: Obj, runtime: Runtime, **kwargs: Any) -> None:
        node_name = objects.name_of(node)
        super().__init__(instance=node_name, host=node_name, **kwargs)
        self.node_name = node_name
        #: The node as its watch last showed it (None until then: admission waits for it).
        self.node: Obj | None = None
        self.runtime = runtime
        self.worker = self.machines["pod-worker"]
        #: The spec's admission checks, in order (their names are checked when the spec loads).
        self.admission = tuple(
            (setting, admission.CHECKS[setting["check"]]) for setting in self.settings["admission"]
        )
        self.pods: dict[str, PodRecord] = {}
        self._waiting: list[Obj] = []
        self._ip_count = 1
        self.pod_cidr = ""
        self.status = Status(
            api=self.api,
            loop=self.loop,
            actor=self.actor,
            scheme=runtime.scheme,
            phase=self.machines["pod-phase"],
            containers=self.machines["container"].definition,
            conditions=self.spec.objects["pod"].conditions,
            pods=self.pods,
        )
        self.probes = Probes(
            loop=self.loop,
            runtime=runtime,
            recorder=self.recorder,
            on_change=self.status.mark_dirty,
        )
        self.containers = Containers(
            node_name=node_name,
            loop=self.loop,
            runtime=runtime,
            recorder=self.recorder,
            act=self.act,
            settings=self.settings,
            machine=self.machines["container"],
            probes=self.probes,
            on_change=self.status.mark_dirty,
            on_pod_stopped=self._containers_stopped,
        )
        self.node_status = NodeStatus(
            api=self.api,
            loop=self.loop,
            actor=self.actor,
            runtime=runtime,
            template=node,
            node_name=node_name,
            settings=self.settings,
            current=lambda: self.node,
        )

    # -- life of the kubelet process ---------------------------------------------------------------

    @property
    def reporting(self) -> bool:
        """Whether the kubelet runs (watches open, heartbeats posted)."""
        return self.node_status.reporting

    def start(self) -> None:
        """Register the node (as a kubelet does at start), open the spec's watches, start
        heartbeats."""
        self.node_status.register()
        super().start()
        self.node_status.start_heartbeats()

    def stop_reporting(self) -> None:
        """The kubelet dies: no more watches, no more heartbeats (its containers keep running)."""
        self.node_status.stop()
        self.stop()

    def restart(self) -> None:
        """The kubelet comes back: it re-lists, reports its node Ready and every pod's status
        again."""
        if self.reporting:
            return
        for informer in self.informers.values():
            informer.start()
        self.node_status.resume()
        for record in self.pods.values():
            record.written = None
            self.status.mark_dirty(record)
        self.node_status.start_heartbeats()

    # -- watch handlers ----------------------------------------------------------------------------

    @action
    def node_seen(self, event: InformerEvent) -> None:
        self.node = event.object
        for address in (self.node.get("status") or {}).get("addresses") or ():
            if address.get("type") == "InternalIP":
                self.status.host_ip = address.get("address", "")
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
        self.status.start(record)
        for i, spec in enumerate(pod["spec"].get("containers") or ()):
            container = ContainerRecord(record, spec, i)
            self.containers.start(container)
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
                self.containers.spec_changed(container, spec)

    @action
    def pod_removed(self, event: InformerEvent) -> None:
        record = self.pods.pop(objects.uid_of(event.object), None)
        if record is None:
            return
        self.containers.discard(record)
        self.runtime.remove_pod(self.node_name, record.uid)
        self.recorder.forget(record.uid)

    # -- the pod-worker machine --------------------------------------------------------------------

    @guard
    def pod_admissible(self, record: PodRecord) -> bool:
        """The spec's admission checks in order (canAdmitPod over the active pods); the first
        that fails names the rejection's reason and message."""
        assert self.node is not None
        active = [r.pod for r in self.pods.values() if r is not record and _active(r)]
        for setting, check in self.admission:
            failed = check(record.pod, self.node, active)
            if failed is not None:
                record.reason = setting["reason"].format(**failed)
                record.message = setting["message"].format(**failed)
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
        self.status.mark_dirty(record)
        self._mount_and_run(record, 0.0)

    def _mount_and_run(self, record: PodRecord, backoff: float) -> None:
        """Set up the pod's volumes, then have the runtime make its sandbox; a failed mount is
        a FailedMount event and another try after the volume manager's back-off."""
        if record.pod_worker != "Syncing" or self.pods.get(record.uid) is not record:
            return
        resolved = volumes.resolve(self.api, record.pod)
        if isinstance(resolved, volumes.MountFailure):
            self.recorder.record(
                record.pod, "FailedMount", volume=resolved.volume, error=resolved.error
            )
            backoff = min(
                backoff * 2 or float(self.settings["mountBackOffSeconds"]),
                float(self.settings["maxMountBackOffSeconds"]),
            )
            self.loop.call_later(backoff, self._mount_and_run, record, backoff, daemon=True)
            return
        self.runtime.run_sandbox(
            self.node_name,
            record.pod,
            lambda sandbox: self._sandbox_ready(record, sandbox),
            volumes=resolved,
        )

    def _sandbox_ready(self, record: PodRecord, sandbox: Sandbox) -> None:
        if record.pod_worker != "Syncing":
            return
        record.sandbox_ready = True
        self._ip_count += 1
        base = (self.pod_cidr or "10.244.0.0/24").rpartition(".")[0]
        record.ip = f"{base}.{self._ip_count % 254 + 1}"
        for container in record.containers:
            self.containers.fire(container, "start")
        self.status.mark_dirty(record)

    @action
    def reject_pod(self, record: PodRecord) -> None:
        self.act("admit", record.pod, result="rejected", detail=f"rejected: {record.message}")
        self.recorder.emit(record.pod, "Warning", record.reason, record.message)
        message = self.settings["rejectedStatusMessage"].format(message=record.message)
        self.status.reject(record, reason=record.reason, message=message)

    @action
    def kill_pod(self, record: PodRecord) -> None:
        grace = float(objects.meta(record.pod).get("deletionGracePeriodSeconds") or 0)
        record.grace = grace
        self.containers.kill(record, grace)
        if record.stopping == 0:
            self.loop.call_soon(self._containers_stopped, record)

    @guard
    def grace_shortened(self, record: PodRecord) -> bool:
        """The pod's deletionGracePeriodSeconds is now shorter than its containers were given."""
        grace = objects.meta(record.pod).get("deletionGracePeriodSeconds")
        return grace is not None and float(grace) < record.grace

    @action
    def shorten_grace(self, record: PodRecord) -> None:
        record.grace = float(objects.meta(record.pod).get("deletionGracePeriodSeconds") or 0)
        self.containers.shorten(record, record.grace)

    def _containers_stopped(self, record: PodRecord) -> None:
        """The last container of a pod being deleted has stopped: a final status, then removal."""
        if record.pod_worker == "Terminating":
            self.status.flush(record, terminal=True)
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


def _active(record: PodRecord) -> bool:
    """Whether an admitted pod still counts against the node (filterOutInactivePods): it has not
    finished, or it is being deleted and its containers may still run."""
    if record.pod_worker == "Terminating":
        return True
    return record.pod_worker == "Syncing" and record.pod_phase not in ("Succeeded", "Failed")
