"""Taints and tolerations, as the scheduler filters with them and the taint eviction controller evicts by them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

Toleration = Mapping[str, Any]
Taint = Mapping[str, Any]


def toleration_matches(toleration: Toleration, taint: Taint) -> bool:
    """v1.Toleration.ToleratesTaint: the effect (if named), then Exists on the key (or on every
    key), or Equal on key and value."""
    if toleration.get("effect") and toleration.get("effect") != taint.get("effect"):
        return False
    if toleration.get("operator") == "Exists":
        return not toleration.get("key") or toleration.get("key") == taint.get("key")
    return bool(
        toleration.get("key") == taint.get("key")
        and toleration.get("value", "") == taint.get("value", "")
    )


def tolerates(tolerations: Iterable[Toleration], taint: Taint) -> bool:
    return any(toleration_matches(t, taint) for t in tolerations)


def eviction_delay(tolerations: Iterable[Toleration], taints: Iterable[Taint]) -> float | None:
    """Seconds until a pod on a node with these NoExecute taints is evicted (the taint eviction
    controller's getMinTolerationTime over the first toleration matching each taint): 0 when a
    taint is not tolerated, None when every one is tolerated forever (no tolerationSeconds)."""
    kept = list(tolerations)
    used = []
    for taint in taints:
        first = next((t for t in kept if toleration_matches(t, taint)), None)
        if first is None:
            return 0.0
        used.append(first)
    if not used:
        return 0.0
    bounded = [
        float(t["tolerationSeconds"]) for t in used if t.get("tolerationSeconds") is not None
    ]
    return max(0.0, min(bounded)) if bounded else None
