"""Admission: the plugins kube-apiserver runs on a write between decoding and storing it.

One plugin so far, v1.32's `Priority`:
- mutating, on a pod's create: `priorityClassName` resolved to `spec.priority` and
  `spec.preemptionPolicy` (the globalDefault class when none is named, else priority 0 and
  PreemptLowerPriority; the name of the default class is written into the pod); an unknown class,
  or a `spec.priority` / `spec.preemptionPolicy` the pod sets itself that differs from the
  class's, is refused with 403 Forbidden and the plugin's message. On a pod's update the priority
  the pod was created with is kept when the new body leaves it out.
- validating, on a PriorityClass's create or update: only one class may be `globalDefault`;
  and, as the PriorityClass registry refuses it, a built-in class cannot be deleted.

A refusal is raised as `errors.Forbidden`; nothing here writes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from listwatch import errors
from listwatch.apiserver import objects
from listwatch.apiserver.kinds import priorityclasses
from listwatch.apiserver.objects import Obj

#: Every PriorityClass, as the plugin's lister sees them.
Classes = Callable[[], Iterable[Mapping[str, Any]]]


def admit(verb: str, plural: str, new: Obj, old: Obj | None, classes: Classes) -> Obj:
    """The mutating plugins: the object as they leave it, or `errors.Forbidden`."""
    if plural != "pods":
        return new
    if verb == "update" and old is not None:
        return _keep_priority(new, old)
    if verb == "create":
        return _resolve_priority(new, classes)
    return new


def validate(verb: str, plural: str, obj: Obj, classes: Classes) -> None:
    """The validating plugins: `errors.Forbidden` when one refuses the object (for a delete, the
    object as it is). With them, the refusal the PriorityClass registry makes itself (its
    REST.Delete): a built-in class cannot be deleted."""
    if plural != "priorityclasses":
        return
    if verb == "delete":
        name = objects.name_of(obj)
        if name in {known["name"] for known in priorityclasses.SYSTEM_CLASSES}:
            raise forbidden(
                plural,
                "scheduling.k8s.io",
                name,
                "this is a system priority class and cannot be deleted",
            )
        return
    new = obj
    if verb not in ("create", "update"):
        return
    if not new.get("globalDefault"):
        return
    current = default_class(classes())
    if current is None:
        return
    name = objects.name_of(new)
    if verb == "create" or objects.name_of(current) != name:
        raise forbidden(
            "priorityclasses",
            "scheduling.k8s.io",
            name,
            f"PriorityClass {objects.name_of(current)} is already marked as default. Only one "
            "default can exist",
        )


def default_class(classes: Iterable[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The globalDefault class; of several (a race), the one with the lowest value."""
    found: Mapping[str, Any] | None = None
    for pc in classes:
        if pc.get("globalDefault") and (found is None or found["value"] > pc.get("value", 0)):
            found = pc
    return found


def forbidden(plural: str, group: str, name: str, reason: str) -> errors.Forbidden:
    """admission.NewForbidden: `pods "web" is forbidden: <reason>`."""
    resource = f"{plural}.{group}" if group else plural
    details: dict[str, object] = {"name": name, "kind": plural}
    if group:
        details["group"] = group
    return errors.Forbidden(f'{resource} "{name}" is forbidden: {reason}', details=details)


def _resolve_priority(pod: Obj, classes: Classes) -> Obj:
    spec = dict(pod.get("spec") or {})
    named = spec.get("priorityClassName") or ""
    meta = objects.meta(pod)
    who = str(meta.get("name") or meta.get("generateName") or "")
    if not named:
        found = default_class(classes())
        policy: str | None
        if found is None:
            priority, policy, name = 0, "PreemptLowerPriority", ""
        else:
            priority = int(found.get("value", 0))
            policy, name = found.get("preemptionPolicy"), objects.name_of(found)
        if name:
            spec["priorityClassName"] = name
    else:
        match = next((pc for pc in classes() if objects.name_of(pc) == named), None)
        if match is None:
            raise forbidden("pods", "", who, f"no PriorityClass with name {named} was found")
        priority, policy = int(match.get("value", 0)), match.get("preemptionPolicy")
    given = spec.get("priority")
    if given is not None and given != priority:
        raise forbidden(
            "pods",
            "",
            who,
            f"the integer value of priority ({given}) must not be provided in pod spec; priority "
            f"admission controller computed {priority} from the given PriorityClass name",
        )
    spec["priority"] = priority
    if policy:
        asked = spec.get("preemptionPolicy")
        if asked is not None and asked != policy:
            raise forbidden(
                "pods",
                "",
                who,
                f"the string value of PreemptionPolicy ({asked}) must not be provided in pod "
                f"spec; priority admission controller computed {policy} from the given "
                "PriorityClass name",
            )
        spec["preemptionPolicy"] = policy
    return {**pod, "spec": spec}


def _keep_priority(new: Obj, old: Obj) -> Obj:
    """On update the pod keeps the priority it was admitted with when the body leaves it out."""
    old_spec, spec = old.get("spec") or {}, new.get("spec")
    if not isinstance(spec, dict):
        return new
    kept = {
        key: old_spec[key]
        for key in ("priority", "preemptionPolicy")
        if spec.get(key) is None and old_spec.get(key) is not None
    }
    return {**new, "spec": {**spec, **kept}} if kept else new
