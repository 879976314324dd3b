"""Which observable steps a trace without STEP records shows: inferred from its Pods and Events.

A real cluster's trace is only what a watch sends, so only observable steps can be found in it,
and only from the signs the spec gives them (`observable`): the object appearing, a field set,
a condition, an Event. Each sign below names how to find its step in the spec, so a renamed step
is still found; a sign whose step the spec lacks is ignored. Per Pod (by uid, else namespace and
name), comparing each object with the one before:

| sign                                                   | step found in the spec as             |
|--------------------------------------------------------|---------------------------------------|
| ADDED, no controller owner (or a ReplicationController/ReplicaSet ADDED) | the first entry (LW-02) |
| ADDED, owned by a controller                           | the second entry (LW-07)              |
| ADDED with spec.nodeName already set                   | forbids a Scheduled Event (NN-01)     |
| spec.nodeName newly set, PodScheduled True (or absent) | Event Scheduled (LW-10)               |
| PodScheduled newly False, reason Unschedulable         | Event FailedScheduling (US-01)        |
| phase Failed with the kubelet's rejection reason       | Event NodeAffinity (NN-03)            |
| a container image changed in spec.containers           | `match.image_changed` (UP-01)         |
| a container reports the new image, restartCount up     | Event Killing (UP-02)                 |
| first container started (running or terminated)       | Event Started (LW-12)                 |
| Event SuccessfulCreate / SuccessfulDelete (ADDED)      | the first step with only that Event (LW-06 / RC-01) |

PodScheduled may be absent: clusters before v1.3 did not have it. A trace that starts mid-way (a Pod first seen MODIFIED) counts no creation for it. Limits, by
design: scale-ups and replacements (RC-01, RC-02) show the same Event as LW-06 and count as it;
a container restarted after a crash is not a new LW-12.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from listwatch.spec.model import Spec, Step

CONTROLLER_KINDS = ("ReplicationController", "ReplicaSet")


def _reasons(step: Step, key: str = "event") -> tuple[str, ...]:
    sign = (step.observable or {}).get(key)
    if not isinstance(sign, Mapping):
        return ()
    reason = sign.get("reason", ())
    return tuple(reason) if isinstance(reason, tuple) else (str(reason),)


def signs(spec: Spec) -> dict[str, str]:
    """Each sign a watch can show, mapped to the ID of the spec step it reveals (absent: no such step)."""
    found: dict[str, str] = {}
    entries = list(spec.flow.entries)
    if entries:
        found["created"] = entries[0]
    if len(entries) > 1:
        found["created_by_controller"] = entries[1]
    rejection = _rejection_reasons(spec)
    wanted: dict[str, Callable[[Step], bool]] = {
        "named_node": lambda s: "Scheduled" in _reasons(s, "forbids_event"),
        "bound": lambda s: "Scheduled" in _reasons(s),
        "unschedulable": lambda s: "FailedScheduling" in _reasons(s),
        "rejected": lambda s: any(r in _reasons(s) for r in rejection),
        "image_changed": lambda s: bool(s.match.get("image_changed")),
        "restarted": lambda s: "Killing" in _reasons(s),
        "started": lambda s: "Started" in _reasons(s),
        "event:SuccessfulCreate": lambda s: "SuccessfulCreate" in _reasons(s) and "watch" not in (s.observable or {}),
        "event:SuccessfulDelete": lambda s: "SuccessfulDelete" in _reasons(s) and "watch" not in (s.observable or {}),
    }
    for sign, test in wanted.items():
        step = next((s for s in spec.flow.steps if test(s)), None)
        if step is not None:
            found[sign] = step.id
    return found


def _rejection_reasons(spec: Spec) -> tuple[str, ...]:
    kubelet = spec.components.get("kubelet")
    checks = kubelet.settings.get("admission", ()) if kubelet is not None else ()
    return tuple(str(c["reason"]) for c in checks if "reason" in c)


def infer(spec: Spec, records: Iterable[Mapping[str, Any]]) -> list[str]:
    """The observable steps the watch records show, in the order they show them (a step once per sign)."""
    steps = signs(spec)
    rejected = _rejection_reasons(spec)
    before: dict[str, Mapping[str, Any]] = {}
    started: set[str] = set()
    upgrading: set[str] = set()
    shown: list[str] = []

    def show(sign: str) -> None:
        if sign in steps:
            shown.append(steps[sign])

    for record in records:
        kind_of_event, obj = record.get("type"), record.get("object")
        if not isinstance(obj, Mapping) or kind_of_event not in ("ADDED", "MODIFIED"):
            continue
        kind = obj.get("kind")
        if kind == "Event":
            if kind_of_event == "ADDED":
                show(f"event:{obj.get('reason')}")
            continue
        if kind in CONTROLLER_KINDS and kind_of_event == "ADDED":
            show("created")
            continue
        if kind != "Pod":
            continue
        key = _key(obj)
        previous = before.get(key)
        before[key] = obj
        if previous is None:
            if kind_of_event == "ADDED":
                owned = any(ref.get("controller") for ref in obj.get("metadata", {}).get("ownerReferences", ()))
                show("created_by_controller" if owned else "created")
                if obj.get("spec", {}).get("nodeName"):
                    show("named_node")
            previous = {}
        _changes(previous, obj, key, show, started=started, upgrading=upgrading, rejected=rejected)
    return shown


def _changes(
    previous: Mapping[str, Any],
    pod: Mapping[str, Any],
    key: str,
    show: Callable[[str], None],
    *,
    started: set[str],
    upgrading: set[str],
    rejected: tuple[str, ...],
) -> None:
    """The signs between two successive versions of one Pod."""
    spec, status = pod.get("spec", {}), pod.get("status", {})
    old_spec, old_status = previous.get("spec", {}), previous.get("status", {})
    if previous and spec.get("nodeName") and not old_spec.get("nodeName") and _condition(status, "PodScheduled")[0] != "False":
        show("bound")
    scheduled = _condition(status, "PodScheduled")
    if scheduled[0] == "False" and scheduled[1] == "Unschedulable" and _condition(old_status, "PodScheduled") != scheduled:
        show("unschedulable")
    if status.get("phase") == "Failed" and status.get("reason") in rejected and old_status.get("phase") != "Failed":
        show("rejected")
    if previous and _images(spec) != _images(old_spec) and _images(old_spec):
        show("image_changed")
        upgrading.add(key)
    if key in upgrading and _restarted_with(status, old_status, _images(spec)):
        show("restarted")
        upgrading.discard(key)
        started.discard(key)
    if key not in started and key not in upgrading and _has_started(status):
        show("started")
        started.add(key)


def _key(obj: Mapping[str, Any]) -> str:
    meta = obj.get("metadata", {})
    return str(meta.get("uid") or f"{meta.get('namespace', '')}/{meta.get('name', '')}")


def _condition(status: Mapping[str, Any], kind: str) -> tuple[str, str]:
    for condition in status.get("conditions", ()) or ():
        if condition.get("type") == kind:
            return str(condition.get("status", "")), str(condition.get("reason", "") or "")
    return "", ""


def _images(spec: Mapping[str, Any]) -> dict[str, str]:
    return {str(c.get("name")): str(c.get("image")) for c in spec.get("containers", ()) or ()}


def _has_started(status: Mapping[str, Any]) -> bool:
    for container in status.get("containerStatuses", ()) or ():
        state = container.get("state", {}) or {}
        if "running" in state or "terminated" in state:
            return True
    return False


def _restarted_with(status: Mapping[str, Any], old_status: Mapping[str, Any], images: Mapping[str, str]) -> bool:
    restarts = {c.get("name"): c.get("restartCount", 0) for c in old_status.get("containerStatuses", ()) or ()}
    for container in status.get("containerStatuses", ()) or ():
        name = container.get("name")
        if (
            name in images
            and _same_image(str(container.get("image", "")), images[name])
            and container.get("restartCount", 0) > restarts.get(name, 0)
        ):
            return True
    return False


def _same_image(reported: str, wanted: str) -> bool:
    """A runtime may report `docker.io/library/nginx:1.15` for `nginx:1.15`."""
    return reported == wanted or reported.endswith("/" + wanted)
