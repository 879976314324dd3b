"""Required node affinity (`requiredDuringSchedulingIgnoredDuringExecution`): terms ORed, expressions ANDed."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Labels = Mapping[str, str]


def _expression(expr: Mapping[str, Any]) -> Callable[[Labels], bool]:
    key = expr.get("key", "")
    op = expr.get("operator", "")
    values = set(expr.get("values") or ())
    if op == "In":
        return lambda labels: labels.get(key) in values
    if op == "NotIn":
        return lambda labels: labels.get(key) not in values
    if op == "Exists":
        return lambda labels: key in labels
    if op == "DoesNotExist":
        return lambda labels: key not in labels
    if op in ("Gt", "Lt"):
        bound = int(next(iter(values), "0"))

        def compare(labels: Labels) -> bool:
            try:
                value = int(labels.get(key, ""))
            except ValueError:
                return False
            return value > bound if op == "Gt" else value < bound

        return compare
    return lambda labels: False


def required_affinity(pod_spec: Mapping[str, Any]) -> Callable[[Labels], bool] | None:
    """A predicate over node labels for the pod's required node affinity, or None when it has none."""
    required = ((pod_spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    )
    if not required:
        return None
    terms = [
        [_expression(e) for e in term.get("matchExpressions") or ()]
        for term in required.get("nodeSelectorTerms") or ()
    ]
    return lambda labels: any(all(check(labels) for check in term) for term in terms)
