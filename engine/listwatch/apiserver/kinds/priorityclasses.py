"""PriorityClasses (scheduling.k8s.io/v1) on a write: v1.32's defaults and validation, and the two
classes kube-apiserver creates at start.

The `system-` prefix is reserved: only the built-in classes may carry it, with their own value;
any other class's value is at most 1000000000 (HighestUserDefinablePriority). Value and
preemptionPolicy never change once the class exists.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from listwatch.apiserver.fields import FieldErrors, enum_problems, validate_meta
from listwatch.apiserver.objects import Obj

#: The highest value a class not reserved for the system may have (pkg/apis/scheduling).
HIGHEST_USER_DEFINABLE_PRIORITY = 1000000000
SYSTEM_PREFIX = "system-"
#: The classes kube-apiserver creates at start (schedulingapiv1.SystemPriorityClasses), with the
#: descriptions it gives them.
SYSTEM_CLASSES: tuple[Mapping[str, Any], ...] = (
    {
        "name": "system-node-critical",
        "value": 2000001000,
        "description": "Used for system critical pods that must not be moved from their current "
        "node.",
    },
    {
        "name": "system-cluster-critical",
        "value": 2000000000,
        "description": "Used for system critical pods that must run in the cluster, but can be "
        "moved to another node if necessary.",
    },
)
PREEMPTION_POLICIES = ("Never", "PreemptLowerPriority")
_ENUMS: Mapping[str, tuple[str, ...]] = {"preemptionPolicy": PREEMPTION_POLICIES}


def system_class(name: str, value: int, description: str) -> Obj:
    """A built-in class as the API server writes it at start."""
    return {
        "apiVersion": "scheduling.k8s.io/v1",
        "kind": "PriorityClass",
        "metadata": {"name": name},
        "value": value,
        "description": description,
    }


def on_write(obj: Obj) -> Obj:
    """`value` is always there (an int32 without omitempty); preemptionPolicy defaults to
    PreemptLowerPriority (SetDefaults_PriorityClass)."""
    out = dict(obj)
    out.setdefault("value", 0)
    out.setdefault("preemptionPolicy", "PreemptLowerPriority")
    if out.get("globalDefault") is False:
        del out["globalDefault"]  # omitempty
    return out


def validate_priority_class(obj: Obj) -> FieldErrors:
    errs = validate_meta(obj, namespaced=False)
    name = str(obj.get("metadata", {}).get("name") or "")
    value = obj.get("value", 0)
    if not isinstance(value, int) or isinstance(value, bool):
        return [*errs, f"value: Invalid value: {value!r}: must be an integer"]
    if name.startswith(SYSTEM_PREFIX):
        problem = _system_class_problem(name, value, bool(obj.get("globalDefault")))
        if problem:
            errs.append(
                f"metadata.name: Forbidden: priority class names with '{SYSTEM_PREFIX}' prefix "
                f"are reserved for system use only. error: {problem}"
            )
    elif value > HIGHEST_USER_DEFINABLE_PRIORITY:
        errs.append(
            "value: Forbidden: maximum allowed value of a user defined priority is "
            f"{HIGHEST_USER_DEFINABLE_PRIORITY}"
        )
    errs.extend(enum_problems(obj, _ENUMS))
    return errs


def validate_priority_class_update(old: Obj, new: Obj) -> FieldErrors:
    """ValidatePriorityClassUpdate: value and preemptionPolicy are immutable."""
    errs: FieldErrors = []
    if new.get("value", 0) != old.get("value", 0):
        errs.append("value: Forbidden: may not be changed in an update.")
    if new.get("preemptionPolicy") != old.get("preemptionPolicy"):
        errs.append(
            f'preemptionPolicy: Invalid value: "{new.get("preemptionPolicy")}": field is immutable'
        )
    return errs or validate_priority_class(new)


def _system_class_problem(name: str, value: int, global_default: bool) -> str:
    """IsKnownSystemPriorityClass's error, or "" when the class is a built-in one as it is."""
    for known in SYSTEM_CLASSES:
        if known["name"] == name:
            if known["value"] != value:
                return f"value of {name} PriorityClass must be {known['value']}"
            if global_default:
                return f"globalDefault of {name} PriorityClass must be false"
            return ""
    return f"{name} is not a known system priority class"
