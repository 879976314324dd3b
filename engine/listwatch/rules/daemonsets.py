"""A DaemonSet's pods, as the daemonset controller reasons about them (pkg/controller/daemon and
its util package, v1.32). Values in, values out: no API here.

- `should_run` is NodeShouldRunDaemonPod: the template's nodeName, nodeSelector and required node
  affinity must fit the node, and its tolerations (with the daemon tolerations added) must
  tolerate the node's NoSchedule and NoExecute taints to start a pod there; a pod already there
  goes on running while no NoExecute taint is left untolerated. A cordon (spec.unschedulable)
  does not matter: every daemon pod tolerates node.kubernetes.io/unschedulable.
- `with_tolerations` is AddOrUpdateDaemonPodTolerations: each default toleration replaces one
  that matches it (same key, operator, value and effect) or is appended.
- `pinned_to` is ReplaceDaemonSetPodNodeNameNodeAffinity: the required node affinity becomes one
  term, `metadata.name In [node]` as matchFields, whatever terms the template had (the controller
  checked them already); preferred affinity and the other affinities stay.
- `target_node` is GetTargetNodeName: a pod's nodeName, or before it is bound the node its
  matchFields name.
- `replace_in_place` and `surge` are rollingUpdate's two paths: which old pods go (and, when
  surging, on which nodes a new pod starts beside the old one), given which pods are available.
- `updated` is IsPodUpdated: the pod's controller-revision-hash label is the current one. (v1.32
  also compares pod-template-generation with the template generation, but formats a pointer
  there, so only the hash ever matches.)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from listwatch.rules import affinity, taints

HASH_LABEL = "controller-revision-hash"
GENERATION_LABEL = "pod-template-generation"
ROLLING_UPDATE = "RollingUpdate"
ON_DELETE = "OnDelete"

_TOLERATION_KEYS = ("key", "operator", "value", "effect")


def with_tolerations(
    spec: Mapping[str, Any],
    defaults: Sequence[Mapping[str, Any]],
    host_network: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """A pod spec with the daemon tolerations added (`host_network` ones too when the spec uses
    the host's network)."""
    out = dict(spec)
    kept = [dict(t) for t in spec.get("tolerations") or []]
    wanted = [*defaults, *(host_network if spec.get("hostNetwork") else ())]
    for toleration in wanted:
        new = dict(toleration)
        for i, old in enumerate(kept):
            if all((old.get(k) or "") == (new.get(k) or "") for k in _TOLERATION_KEYS):
                kept[i] = new
                break
        else:
            kept.append(new)
    out["tolerations"] = kept
    return out


def pinned_to(spec_affinity: Mapping[str, Any] | None, node: str) -> dict[str, Any]:
    """The pod's affinity with its required node affinity replaced by the node's name."""
    term = {"matchFields": [{"key": affinity.NAME_FIELD, "operator": "In", "values": [node]}]}
    out = dict(spec_affinity or {})
    node_affinity = dict(out.get("nodeAffinity") or {})
    required = dict(node_affinity.get("requiredDuringSchedulingIgnoredDuringExecution") or {})
    required["nodeSelectorTerms"] = [term]
    node_affinity["requiredDuringSchedulingIgnoredDuringExecution"] = required
    out["nodeAffinity"] = node_affinity
    return out


def target_node(pod: Mapping[str, Any]) -> str | None:
    """The node a daemon pod is for: its nodeName, else the one value of its matchFields on
    metadata.name; None when it names none (or several)."""
    spec = pod.get("spec") or {}
    if spec.get("nodeName"):
        return str(spec["nodeName"])
    required = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    ) or {}
    for term in required.get("nodeSelectorTerms") or []:
        for field in term.get("matchFields") or []:
            if field.get("key") == affinity.NAME_FIELD and field.get("operator") == "In":
                values = field.get("values") or []
                return str(values[0]) if len(values) == 1 else None
    return None


def should_run(
    node: Mapping[str, Any],
    template_spec: Mapping[str, Any],
    defaults: Sequence[Mapping[str, Any]],
    host_network: Sequence[Mapping[str, Any]] = (),
) -> tuple[bool, bool]:
    """(shouldRun, shouldContinueRunning) of a DaemonSet's template on a node."""
    meta = node.get("metadata") or {}
    name = str(meta.get("name", ""))
    wanted = template_spec.get("nodeName")
    if wanted and wanted != name:
        return False, False
    spec = with_tolerations(template_spec, defaults, host_network)
    if not affinity.node_fit(spec).matches(meta.get("labels") or {}, name):
        return False, False
    node_taints = (node.get("spec") or {}).get("taints") or []
    if taints.first_untolerated(node_taints, spec["tolerations"]) is not None:
        untolerated = taints.first_untolerated(
            node_taints, spec["tolerations"], effects=frozenset({"NoExecute"})
        )
        return False, untolerated is None
    return True, True


def updated(pod: Mapping[str, Any], hash_: str) -> bool:
    """Whether the pod is of the DaemonSet's current revision."""
    labels = (pod.get("metadata") or {}).get("labels") or {}
    return bool(hash_) and labels.get(HASH_LABEL) == hash_


def oldest_first(pod: Mapping[str, Any]) -> tuple[int, str, str]:
    """podByCreationTimestampAndPhase: bound pods first, then the oldest, then by name."""
    meta = pod.get("metadata") or {}
    bound = 0 if (pod.get("spec") or {}).get("nodeName") else 1
    return (bound, str(meta.get("creationTimestamp", "")), str(meta.get("name", "")))


def scaled_up(value: int | str | None, total: int) -> int:
    """GetScaledValueFromIntOrPercent rounding up: an integer as it is, a percentage of
    `total`; 0 when unset."""
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    return math.ceil(int(str(value).rstrip("%")) * total / 100)


def rolling_counts(spec: Mapping[str, Any], desired: int) -> tuple[int, int]:
    """updatedDesiredNodeCounts: (maxSurge, maxUnavailable) out of the nodes that should run a
    pod; both 0 (with nodes to run on) makes maxUnavailable 1. (0, 0) unless RollingUpdate."""
    strategy = spec.get("updateStrategy") or {}
    if strategy.get("type", ROLLING_UPDATE) != ROLLING_UPDATE:
        return 0, 0
    rolling = strategy.get("rollingUpdate") or {}
    surge = scaled_up(rolling.get("maxSurge"), desired)
    unavailable = scaled_up(rolling.get("maxUnavailable"), desired)
    if desired > 0 and surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def allows_surge(spec: Mapping[str, Any]) -> bool:
    """AllowsSurge: maxSurge counts at least one pod (of one node)."""
    strategy = spec.get("updateStrategy") or {}
    if strategy.get("type", ROLLING_UPDATE) != ROLLING_UPDATE:
        return False
    return scaled_up((strategy.get("rollingUpdate") or {}).get("maxSurge"), 1) > 0


Pod = Mapping[str, Any]


def versions(pods: Sequence[Pod], hash_: str) -> tuple[Pod | None, Pod | None, bool]:
    """findUpdatedPodsOnNode: a node's pod of the current revision and its old one (pods being
    deleted left out); False when it has two of either."""
    new = old = None
    for pod in pods:
        if (pod.get("metadata") or {}).get("deletionTimestamp"):
            continue
        if updated(pod, hash_):
            if new is not None:
                return None, None, False
            new = pod
        else:
            if old is not None:
                return None, None, False
            old = pod
    return new, old, True


def replace_in_place(
    by_node: Mapping[str, Sequence[Pod]],
    hash_: str,
    max_unavailable: int,
    available: Callable[[Pod], bool],
) -> list[Pod]:
    """rollingUpdate without surge: the old pods to delete. A node counts as unavailable while
    it has no pod, two, or a new one not yet available; an old pod that is not available goes at
    once; the others go while fewer than maxUnavailable nodes are unavailable. `by_node` holds
    every node that should run a pod (an empty list for one without)."""
    unavailable = 0
    allowed: list[Pod] = []
    candidates: list[Pod] = []
    for name in sorted(by_node):
        new, old, ok = versions(by_node[name], hash_)
        if not ok or (new is None) == (old is None):
            unavailable += 1
        elif new is not None:
            if not available(new):
                unavailable += 1
        elif old is not None:
            if not available(old):
                allowed.append(old)
            elif unavailable < max_unavailable:
                candidates.append(old)
    room = max(0, min(max_unavailable - unavailable, len(candidates)))
    return [*allowed, *candidates[:room]]


def surge(
    by_node: Mapping[str, Sequence[Pod]],
    hash_: str,
    max_surge: int,
    desired: int,
    *,
    available: Callable[[Pod], bool],
    should_run: Callable[[str], bool],
) -> tuple[list[str], list[Pod]]:
    """rollingUpdate with maxSurge: (the nodes to start a new pod on, the pods to delete). A node
    whose old pod is not available gets its new one at once (or, when it should no longer run
    one, loses the old one once enough pods elsewhere are available); up to maxSurge others at a
    time get theirs beside the old one; an old pod goes once the new one beside it is available."""
    delete: list[Pod] = []
    misplaced: list[Pod] = []
    candidates: list[str] = []
    allowed: list[str] = []
    surging = shown_available = 0
    for name in sorted(by_node):
        new, old, ok = versions(by_node[name], hash_)
        if not ok:
            surging += 1
            continue
        shown = new if new is not None else old
        if shown is not None and available(shown):
            shown_available += 1
        if old is None:
            continue
        if new is None:
            if not available(old):
                if not should_run(name):
                    misplaced.append(old)
                    continue
                allowed.append(name)
            elif surging < max_surge:
                candidates.append(name)
            continue
        if not available(new):
            surging += 1
            continue
        delete.append(old)
    deletable = min(max(0, shown_available - desired), len(misplaced))
    delete.extend(misplaced[:deletable])
    room = max(0, min(max_surge - surging, len(candidates)))
    return [*allowed, *candidates[:room]], delete


def revision_data(template: Mapping[str, Any]) -> dict[str, Any]:
    """getPatch: the ControllerRevision's data, a strategic merge patch that puts this template
    back (`$patch: replace`), its keys sorted at every level as Go marshals the map it reads."""
    return {"spec": {"template": _sorted({**template, "$patch": "replace"})}}


def _sorted(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value
