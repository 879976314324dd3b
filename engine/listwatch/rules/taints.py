"""Taints and tolerations, as the scheduler filters with them and the taint eviction controller
evicts by them (core/v1 `Toleration.ToleratesTaint`, `GetMatchingTolerations`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

Toleration = Mapping[str, Any]
Taint = Mapping[str, Any]

#: The effects the scheduler's TaintToleration filter keeps pods away for (PreferNoSchedule only
#: lowers a node's score).
SCHEDULING_EFFECTS = frozenset({"NoSchedule", "NoExecute"})


def toleration_matches(toleration: Toleration, taint: Taint) -> bool:
    """Toleration.ToleratesTaint: an effect, when named, must be the taint's; a key, when named,
    must be the taint's; then `Exists` matches any value and `Equal` (the default, also spelled
    "") the same value. An empty key with `Exists` therefore tolerates every taint."""
    effect = toleration.get("effect") or ""
    if effect and effect != taint.get("effect"):
        return False
    key = toleration.get("key") or ""
    if key and key != taint.get("key"):
        return False
    operator = toleration.get("operator") or "Equal"
    if operator == "Exists":
        return True
    if operator == "Equal":
        return bool((toleration.get("value") or "") == (taint.get("value") or ""))
    return False


def tolerates(tolerations: Iterable[Toleration], taint: Taint) -> bool:
    """Whether any of the tolerations matches the taint."""
    return any(toleration_matches(t, taint) for t in tolerations)


def first_untolerated(
    taints: Iterable[Taint],
    tolerations: Iterable[Toleration],
    *,
    effects: frozenset[str] = SCHEDULING_EFFECTS,
) -> Taint | None:
    """FindMatchingUntoleratedTaint: the first taint with one of `effects` that no toleration
    matches, or None (what the scheduler's TaintToleration filter rejects a node for)."""
    kept = list(tolerations)
    return next(
        (t for t in taints if t.get("effect") in effects and not tolerates(kept, t)),
        None,
    )


def eviction_delay(tolerations: Iterable[Toleration], taints: Iterable[Taint]) -> float | None:
    """Seconds until a pod on a node with these NoExecute taints is evicted (the taint eviction
    controller's getMinTolerationTime over the first toleration matching each taint): 0 when a
    taint is not tolerated or a used toleration has tolerationSeconds <= 0, None when there is no
    taint or every one is tolerated forever (no tolerationSeconds)."""
    kept = list(tolerations)
    used = []
    for taint in taints:
        first = next((t for t in kept if toleration_matches(t, taint)), None)
        if first is None:
            return 0.0
        used.append(first)
    bounded = [
        float(t["tolerationSeconds"]) for t in used if t.get("tolerationSeconds") is not None
    ]
    return max(0.0, min(bounded)) if bounded else None
