"""What a pod requests and whether a node has room for it, as the scheduler's NodeResourcesFit
filter computes them (Kubernetes v1.32 `resourcehelper.PodRequests`, `fitsRequest`).

Amounts are integers: CPU in millicores (MilliValue), everything else in whole base units
(Value): bytes for memory and ephemeral-storage, a count for pods and extended resources.

A pod's requests, worked through (no sidecars):

    containers      a: cpu 100m           b: cpu 200m, memory 64Mi   sum: cpu 300m, memory 64Mi
    initContainers  i: cpu 500m                                      max: cpu 500m
    overhead        cpu 10m
    requests        cpu max(300m, 500m) + 10m = 510m, memory 64Mi
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from listwatch.rules import quantity

CPU, MEMORY, PODS = "cpu", "memory", "pods"
_FIRST = (CPU, MEMORY)
_FIXED = frozenset({CPU, MEMORY, PODS})
Amounts = Mapping[str, int]


def amount(resource: str, value: object) -> int:
    """A quantity of a resource as the scheduler counts it (millicores for CPU)."""
    return quantity.milli_cpu(value) if resource == CPU else quantity.bytes_(value)


def container_requests(
    container: Mapping[str, Any], *, missing: Amounts | None = None
) -> dict[str, int]:
    """A container's requests; a resource with a limit but no request requests its limit (the API
    server's defaulting, SetDefaults_Pod, so a pod read from any cluster already says so), and
    one in `missing` that it does not request at all requests that amount."""
    resources = container.get("resources") or {}
    merged = {**(resources.get("limits") or {}), **(resources.get("requests") or {})}
    found = {name: amount(name, value) for name, value in merged.items()}
    for name, value in (missing or {}).items():
        found.setdefault(name, value)
    return found


def pod_requests(pod: Mapping[str, Any], *, missing: Amounts | None = None) -> dict[str, int]:
    """The pod's effective requests: the app containers and sidecars (init containers with
    restartPolicy Always) summed; each other init container, plus the sidecars started before
    it, taken as a maximum with that sum; then spec.overhead added. With `missing`, a container
    that does not request one of its resources counts that amount (the scheduler's non-zero
    requests for scoring: 100m CPU and 200Mi memory, NonMissingContainerRequests)."""
    spec = pod.get("spec") or {}
    total: dict[str, int] = {}
    for container in spec.get("containers") or ():
        _add(total, container_requests(container, missing=missing))
    sidecars: dict[str, int] = {}
    init: dict[str, int] = {}
    for container in spec.get("initContainers") or ():
        requests = container_requests(container, missing=missing)
        if container.get("restartPolicy") == "Always":
            _add(total, requests)
            _add(sidecars, requests)
            running = dict(sidecars)
        else:
            running = dict(requests)
            _add(running, sidecars)
        _max(init, running)
    _max(total, init)
    _add(total, {name: amount(name, v) for name, v in (spec.get("overhead") or {}).items()})
    return total


def _add(into: dict[str, int], more: Amounts) -> None:
    for name, value in more.items():
        into[name] = into.get(name, 0) + value


def _max(into: dict[str, int], other: Amounts) -> None:
    for name, value in other.items():
        into[name] = max(into.get(name, 0), value)


def allocatable(node: Mapping[str, Any]) -> dict[str, int]:
    """A node's status.allocatable as amounts (110 pods when it does not say)."""
    values = (node.get("status") or {}).get("allocatable") or {}
    found = {name: amount(name, value) for name, value in values.items()}
    found.setdefault(PODS, 110)
    return found


@dataclass(frozen=True, slots=True)
class Insufficient:
    """A resource the node lacks for the pod: what the pod requests, what the node's other pods
    request, and what it can allocate."""

    resource: str
    requested: int
    used: int
    capacity: int

    @property
    def reason(self) -> str:
        """The scheduler's words: `Too many pods`, `Insufficient cpu`."""
        return "Too many pods" if self.resource == PODS else f"Insufficient {self.resource}"

    @property
    def kubelet_reason(self) -> str:
        """The kubelet's admission reason for the same shortage: `OutOfcpu`, `OutOfpods`."""
        return f"OutOf{self.resource}"


def fit(
    requests: Amounts, allocatable: Amounts, requested_by_others: Amounts
) -> list[Insufficient]:
    """The resources a node lacks for a pod with these requests (`pod_requests`), in the order the
    scheduler checks them: pods (the node's pod count, `requested_by_others["pods"]`, plus this
    one), then each resource the pod requests a non-zero amount of (cpu, memory, then the others
    by name). A resource the node does not list has nothing allocatable. Empty when it fits."""
    lacking = []
    pods = requested_by_others.get(PODS, 0)
    if pods + 1 > allocatable.get(PODS, 0):
        lacking.append(Insufficient(PODS, 1, pods, allocatable.get(PODS, 0)))
    others = () if requests.keys() <= _FIXED else sorted(n for n in requests if n not in _FIXED)
    for name in (*(n for n in _FIRST if n in requests), *others):
        wanted, used, capacity = (
            requests[name],
            requested_by_others.get(name, 0),
            allocatable.get(name, 0),
        )
        if wanted > 0 and wanted > capacity - used:
            lacking.append(Insufficient(name, wanted, used, capacity))
    return lacking


def admission_fit(
    pod: Mapping[str, Any], node: Mapping[str, Any], active: Iterable[Mapping[str, Any]]
) -> Insufficient | None:
    """The first resource the kubelet's admission finds lacking for `pod` on `node` (the
    predicate admit handler's NodeResourcesFit), or None when it fits: `fit` over the node's
    allocatable and what the `active` pods (admitted, not finished) request, their count as the
    node's pods. An extended resource the node does not list is not counted
    (removeMissingExtendedResources), so only the scheduler can refuse it."""
    return _first_lacking(pod, node, active, kubelet=True)


def bind_fit(
    pod: Mapping[str, Any], node: Mapping[str, Any], assigned: Iterable[Mapping[str, Any]]
) -> Insufficient | None:
    """The first resource the scheduler's NodeResourcesFit filter finds lacking for `pod` on
    `node`, given the pods already `assigned` to it (bound, not finished), or None when it fits."""
    return _first_lacking(pod, node, assigned, kubelet=False)


def _first_lacking(
    pod: Mapping[str, Any],
    node: Mapping[str, Any],
    others: Iterable[Mapping[str, Any]],
    *,
    kubelet: bool,
) -> Insufficient | None:
    capacity = allocatable(node)
    used: dict[str, int] = {PODS: 0}
    for other in others:
        _add(used, pod_requests(other))
        used[PODS] += 1
    wanted = {
        name: value
        for name, value in pod_requests(pod).items()
        if not kubelet or name in capacity or not _extended(name)
    }
    lacking = fit(wanted, capacity, used)
    return lacking[0] if lacking else None


def _extended(name: str) -> bool:
    """An extended resource (v1helper.IsExtendedResourceName): a domain-qualified name outside
    kubernetes.io."""
    return "/" in name and not name.startswith(("kubernetes.io/", "requests."))
