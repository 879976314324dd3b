"""The scheduler's cache of nodes: labels, taints, capacity, and what the pods on each request."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from listwatch.apiserver import objects
from listwatch.apiserver.objects import Obj
from listwatch.rules import resources, taints

Requests = tuple[int, int, int, int]


class NodeInfo:
    """The scheduler's view of a node: labels, taints, capacity and what its pods request."""

    __slots__ = (
        "alloc_cpu",
        "alloc_mem",
        "alloc_pods",
        "allocatable",
        "index",
        "labels",
        "name",
        "nz_cpu",
        "nz_mem",
        "obj",
        "pods",
        "req_cpu",
        "req_mem",
        "requested",
        "restricted",
        "taints",
        "unschedulable",
    )

    def __init__(self, obj: Obj) -> None:
        self.name = objects.name_of(obj)
        self.index = 0  # its position in the scheduler's ring of nodes
        self.req_cpu = self.req_mem = self.nz_cpu = self.nz_mem = 0
        self.pods: dict[str, tuple[int, int, int, int]] = {}
        self.requested: resources.Amounts = {}
        self._count()
        self.update(obj)

    def update(self, obj: Obj) -> None:
        self.obj = obj
        self.labels: Mapping[str, str] = objects.labels_of(obj)
        spec = obj.get("spec") or {}
        self.unschedulable = bool(spec.get("unschedulable"))
        self.taints = [
            t for t in spec.get("taints") or () if t.get("effect") in taints.SCHEDULING_EFFECTS
        ]
        self.restricted = int(self.unschedulable or bool(self.taints))
        alloc = resources.allocatable(obj)
        self.alloc_cpu = alloc.get(resources.CPU, 0)
        self.alloc_mem = alloc.get(resources.MEMORY, 0)
        self.alloc_pods = alloc[resources.PODS]
        self.allocatable: resources.Amounts = {
            resources.CPU: self.alloc_cpu,
            resources.MEMORY: self.alloc_mem,
            resources.PODS: self.alloc_pods,
        }

    def add_pod(self, uid: str, requests: Requests) -> None:
        self.pods[uid] = requests
        self.req_cpu += requests[0]
        self.req_mem += requests[1]
        self.nz_cpu += requests[2]
        self.nz_mem += requests[3]
        self._count()

    def remove_pod(self, uid: str) -> bool:
        requests = self.pods.pop(uid, None)
        if requests is None:
            return False
        self.req_cpu -= requests[0]
        self.req_mem -= requests[1]
        self.nz_cpu -= requests[2]
        self.nz_mem -= requests[3]
        self._count()
        return True

    def _count(self) -> None:
        """What the node's pods request, as NodeResourcesFit reads it (rebuilt per pod change,
        not per filter call)."""
        self.requested = {
            resources.CPU: self.req_cpu,
            resources.MEMORY: self.req_mem,
            resources.PODS: len(self.pods),
        }


def pod_requests(pod: Mapping[str, Any], default_cpu: int, default_mem: int) -> Requests:
    """(cpu, memory) requested, and the non-zero (defaulted) values the scoring counts."""
    requested = resources.pod_requests(pod)
    nonzero = resources.pod_requests(
        pod, missing={resources.CPU: default_cpu, resources.MEMORY: default_mem}
    )
    return (
        requested.get(resources.CPU, 0),
        requested.get(resources.MEMORY, 0),
        nonzero.get(resources.CPU, 0),
        nonzero.get(resources.MEMORY, 0),
    )
