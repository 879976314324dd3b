"""The kubelet's admission checks: the predicate admit handler (pkg/kubelet/lifecycle/predicate.go,
Kubernetes v1.32), each check named in the spec's `admission` setting and run in its order.

A check sees the pod, the node as the kubelet's watch last showed it, and the pods this kubelet
admitted that are still active (not finished, or finished but still stopping). It returns None
when the pod passes, else the values the check's `reason` and `message` templates are filled with.
No check changes anything: the kubelet writes the rejection.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from listwatch.rules import affinity, resources, taints

Obj = Mapping[str, Any]
#: (pod, node, active pods) -> None when it passes, else the template values.
Check = Callable[[Obj, Obj, Sequence[Obj]], Mapping[str, object] | None]

#: The taint effects the kubelet admits by: it leaves NoSchedule and PreferNoSchedule to the
#: scheduler ("Kubelet is only interested in the NoExecute taint").
KUBELET_TAINT_EFFECTS = frozenset({"NoExecute"})


def node_resources_fit(pod: Obj, node: Obj, active: Sequence[Obj]) -> Mapping[str, object] | None:
    """The scheduler's NodeResourcesFit over the node's allocatable and what the active pods
    request (`resources.admission_fit`); the first resource lacking, with its requested, used and
    capacity amounts (CPU in millicores, as InsufficientResourceError prints them)."""
    lacking = resources.admission_fit(pod, node, active)
    if lacking is None:
        return None
    return {
        "resource": lacking.resource,
        "requested": lacking.requested,
        "used": lacking.used,
        "capacity": lacking.capacity,
    }


def node_affinity(pod: Obj, node: Obj, active: Sequence[Obj]) -> Mapping[str, object] | None:
    """The pod's nodeSelector and required node affinity against the node's labels."""
    return None if affinity.fits_node(pod, node) else {}


def taint_toleration(pod: Obj, node: Obj, active: Sequence[Obj]) -> Mapping[str, object] | None:
    """A NoExecute taint of the node that none of the pod's tolerations tolerates."""
    taint = taints.first_untolerated(
        (node.get("spec") or {}).get("taints") or (),
        (pod.get("spec") or {}).get("tolerations") or (),
        effects=KUBELET_TAINT_EFFECTS,
    )
    return None if taint is None else {"key": taint.get("key", ""), "value": taint.get("value", "")}


#: Every check the spec's `admission` setting may name.
CHECKS: Mapping[str, Check] = {
    "NodeResourcesFit": node_resources_fit,
    "NodeAffinity": node_affinity,
    "TaintToleration": taint_toleration,
}
