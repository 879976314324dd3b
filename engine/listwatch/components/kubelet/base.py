"""The kubelet's state, shared by the parts that drive pods (`kubelet`), containers and status."""

from __future__ import annotations

from typing import Any

from listwatch.apiserver import objects
from listwatch.apiserver.objects import Obj
from listwatch.components.base import Component
from listwatch.components.kubelet.records import ContainerRecord, PodRecord
from listwatch.runtime.base import Runtime


class KubeletBase(Component):
    """One node's kubelet: its node, its runtime, its machines and the pods it runs."""

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
        self.reporting = False

    def _flush(self, record: PodRecord, *, terminal: bool = False) -> None:
        raise NotImplementedError  # the status part (`Status._flush`) writes the pod's status

    def _start_probing(self, container: ContainerRecord) -> None:
        raise NotImplementedError  # the probes part (`Probes._start_probing`)

    def _dirty(self, record: PodRecord) -> None:
        if not record.dirty:
            record.dirty = True
            self.loop.call_soon(self._flush, record)

    def _fire_later(self, container: ContainerRecord, trigger: str, delay: float) -> None:
        """Fire `trigger` on the container after `delay`, if its pod is still being synced."""
        container.timer = self.loop.call_later(max(delay, 0.0), self._fire, container, trigger)

    def _fire(self, container: ContainerRecord, trigger: str) -> None:
        container.timer = None
        if container.pod.pod_worker == "Syncing":
            self.container_machine.fire(self, container, trigger)
            self._dirty(container.pod)

    def _stopped(self, record: PodRecord) -> None:
        if record.pod_worker == "Terminating":
            self._flush(record, terminal=True)
            self.worker.fire(self, record, "stopped")
