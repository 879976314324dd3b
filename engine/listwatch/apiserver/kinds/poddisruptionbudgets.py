"""PodDisruptionBudgets (policy/v1) on a write: v1.32's status on create and its validation, and
the value rules the eviction subresource and the disruption controller share (which pods a budget
covers; an int-or-percent scaled to a count).

A budget sets minAvailable or maxUnavailable (not both), each a non-negative integer or a
percentage up to 100%. A nil selector selects no pod, an empty one every pod of its namespace.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from listwatch.apiserver.fields import FieldErrors, enum_problems, validate_labels, validate_meta
from listwatch.apiserver.objects import Obj
from listwatch.rules import selectors

_ENUMS: Mapping[str, tuple[str, ...]] = {
    "spec.unhealthyPodEvictionPolicy": ("AlwaysAllow", "IfHealthyBudget"),
}
_PERCENT = re.compile(r"[0-9]+%")
_PERCENT_MESSAGE = (
    "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or "
    "'93%', regex used for validation is '[0-9]+%')"
)


def pdb_defaults(obj: Obj, ctx: Any) -> Obj:
    """PrepareForCreate: an empty status (its counters are int32 without omitempty) and
    generation 1."""
    out = dict(obj)
    meta = dict(out.get("metadata") or {})
    meta["generation"] = 1
    out["metadata"] = meta
    out["status"] = empty_status()
    return out


def empty_status() -> dict[str, Any]:
    return {"disruptionsAllowed": 0, "currentHealthy": 0, "desiredHealthy": 0, "expectedPods": 0}


def validate_pdb(obj: Obj) -> FieldErrors:
    errs = validate_meta(obj, namespaced=True)
    spec = obj.get("spec")
    if spec is None:
        spec = {}
    if not isinstance(spec, dict):
        return [*errs, "spec: Invalid value: must be an object"]
    if spec.get("minAvailable") is not None and spec.get("maxUnavailable") is not None:
        # kube-apiserver prints the Go struct here (pointer addresses and all); the detail is its.
        errs.append("spec: Invalid value: minAvailable and maxUnavailable cannot be both set")
    for name in ("minAvailable", "maxUnavailable"):
        if spec.get(name) is not None:
            errs.extend(_int_or_percent_problems(spec[name], f"spec.{name}"))
    selector = spec.get("selector")
    if isinstance(selector, dict):
        errs.extend(validate_labels(selector.get("matchLabels"), "spec.selector.matchLabels"))
    errs.extend(enum_problems(obj, _ENUMS))
    return errs


def _int_or_percent_problems(value: Any, path: str) -> FieldErrors:
    """ValidatePositiveIntOrPercent and IsNotMoreThan100Percent, as apps validation words them.

    An IntOrString has its String method on the pointer, so the API server prints the value as
    Go's %#v of the struct (`intstr.IntOrString{Type:1, IntVal:0, StrVal:"120%"}`)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return [f"{path}: Invalid value: {value!r}: must be an integer or percentage (e.g '5%')"]
    if isinstance(value, int):
        if value < 0:
            return [f"{path}: Invalid value: {value}: must be greater than or equal to 0"]
        return []
    shown = f'intstr.IntOrString{{Type:1, IntVal:0, StrVal:"{value}"}}'
    if not _PERCENT.fullmatch(value):
        return [f"{path}: Invalid value: {shown}: {_PERCENT_MESSAGE}"]
    if int(value[:-1]) > 100:
        return [f"{path}: Invalid value: {shown}: must not be greater than 100%"]
    return []


def covers(pdb: Mapping[str, Any], pod: Mapping[str, Any]) -> bool:
    """Whether the budget guards the pod: same namespace, and its selector selects the pod."""
    pod_meta = pod.get("metadata") or {}
    if (pdb.get("metadata") or {}).get("namespace") != pod_meta.get("namespace"):
        return False
    return selectors.selects((pdb.get("spec") or {}).get("selector"), pod_meta.get("labels"))


def scaled(value: int | str, total: int, *, round_up: bool) -> int:
    """GetScaledValueFromIntOrPercent: an integer as it is, a percentage of `total` rounded."""
    if isinstance(value, int):
        return value
    share = int(value.rstrip("%")) * total / 100
    return math.ceil(share) if round_up else math.floor(share)
