"""The facts of an observed Pod, as the spec's `observable.pod` blocks name them.

`observe(obj)` reads, once per record, what any rule may ask of a Pod object (`PodState`): its
node, phase, status reason, owner, conditions, containers and images. A `Fact` (`nodeName: set`,
`phase: Failed`, `conditions: {PodScheduled: "True"}` ...) is then True, False or None (unknown: a
condition the cluster does not report is not judged, as older clusters lack some) for one state
and, for a change (`image: changed`), the state before it. Nothing here knows the flow.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from sys import intern
from typing import Any, NamedTuple

from listwatch.rules import images

CREATED_BY = "kubernetes.io/created-by"
#: Facts about a change from the state before, rather than about one state.
CHANGES = frozenset({"image"})


class Container(NamedTuple):
    """One entry of `status.containerStatuses`: its state (waiting, running, terminated) and
    counters."""

    name: str
    state: str
    reason: str
    restarts: int
    image: str
    terminated_before: bool


class PodState(NamedTuple):
    """The facts of one observed state of a Pod, read once from its object.

    A tuple: a trace holds a state per record, and the checker reads one per Pod record.
    """

    rv: int | None
    node: str
    phase: str
    reason: str
    owner: str
    conditions: Mapping[str, str]
    containers: tuple[Container, ...]
    images: Mapping[str, str]
    deleting: bool
    restart_policy: str
    #: A container is running or has terminated.
    started: bool

    def blank(self, initial_phase: str) -> bool:
        """Whether nothing has written to the pod since its creation: no condition, no container
        status."""
        return not self.conditions and not self.containers and self.phase in ("", initial_phase)


def observe(obj: Mapping[str, Any]) -> PodState:
    """The facts of a Pod object; fields it lacks read as empty (an older cluster, a partial
    object)."""
    meta = obj.get("metadata") or {}
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    rv = meta.get("resourceVersion")
    containers = []
    started = False
    for c in status.get("containerStatuses") or ():
        state = c.get("state") or {}
        if "running" in state:
            kind, started = "running", True
        elif "terminated" in state:
            kind, started = "terminated", True
        else:
            kind = "waiting" if "waiting" in state else ""
        containers.append(
            Container(
                intern(str(c.get("name", ""))),
                kind,
                intern(str((state[kind] or {}).get("reason", ""))) if kind else "",
                int(c.get("restartCount") or 0),
                intern(str(c.get("image", ""))),
                "terminated" in (c.get("lastState") or {}),
            )
        )
    # The words of a state (phases, condition types, images ...) come from a small set: interned,
    # a pod's last state holds no strings of its own, whatever the record it was read from.
    return PodState(
        int(rv) if isinstance(rv, str) and rv.isdigit() else None,
        intern(str(spec.get("nodeName") or "")),
        intern(str(status.get("phase") or "")),
        intern(str(status.get("reason") or "")),
        _owner(meta) if "ownerReferences" in meta or "annotations" in meta else "",
        {
            intern(str(c.get("type"))): intern(str(c.get("status")))
            for c in status.get("conditions") or ()
            if isinstance(c, dict)
        },
        tuple(containers),
        {
            intern(str(c.get("name", ""))): intern(str(c.get("image", "")))
            for c in spec.get("containers") or ()
            if isinstance(c, dict)
        },
        bool(meta.get("deletionTimestamp")),
        intern(str(spec.get("restartPolicy") or "Always")),
        started,
    )


def _owner(meta: Mapping[str, Any]) -> str:
    """The uid of the controller that owns the object: ownerReferences, or the created-by annotation
    of v1.2-era clusters."""
    for ref in meta.get("ownerReferences") or ():
        if isinstance(ref, dict) and ref.get("controller"):
            return str(ref.get("uid") or ref.get("name") or "controller")
    created_by = (meta.get("annotations") or {}).get(CREATED_BY)
    if not created_by:
        return ""
    try:
        reference = json.loads(created_by).get("reference") or {}
    except (ValueError, AttributeError):
        return CREATED_BY
    return str(reference.get("uid") or reference.get("name") or CREATED_BY)


@functools.lru_cache(maxsize=4096)
def image_reference(image: str) -> images.ImageReference | None:
    """An image's parsed reference (`nginx:1.15` is `docker.io/library/nginx:1.15`); None for a
    bare image ID (`sha256:...`) or anything else that is not a reference."""
    if image.startswith("sha256:"):
        return None
    try:
        return images.parse(image)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Reasons:
    """A `reason` fact that any of several status reasons satisfies: the kubelet's rejection
    shows the reason of whichever admission check failed. A reason with a `{...}` placeholder
    (`OutOf{resource}`) stands for any text there (`OutOfcpu`, `OutOfpods`)."""

    names: tuple[str, ...]

    def matches(self, reason: str) -> bool:
        return _reasons_pattern(self.names).fullmatch(reason) is not None

    def __str__(self) -> str:
        return " or ".join(re.sub(r"\{(\w+)\}", r"<\1>", n) for n in self.names)


@functools.lru_cache(maxsize=64)
def _reasons_pattern(names: tuple[str, ...]) -> re.Pattern[str]:
    parts = (re.sub(r"\\\{\w+\\\}", ".+", re.escape(n)) for n in names)
    return re.compile("|".join(f"(?:{p})" for p in parts))


def _reason(value: str | Reasons, now: PodState, before: PodState | None) -> bool | None:
    return value.matches(now.reason) if isinstance(value, Reasons) else now.reason == value


@dataclass(frozen=True, slots=True)
class Fact:
    """One fact a step's `observable.pod` names: `nodeName: set`, `phase: Failed`,
    `conditions.PodScheduled: "True"` ..."""

    name: str
    value: Any
    #: What the fact is about, to report one problem per thing per record.
    key: str
    #: Once true, it stays true, so any later state shows it: spec.nodeName set, a final phase,
    #: status.reason, a change of image (against the state before the change).
    lasting: bool = False

    def of(self, now: PodState, before: PodState | None) -> bool | None:
        return EVALUATE[self.name](self.value, now, before)

    def __str__(self) -> str:
        return _DESCRIBE[self.name](self.value)

    def seen(self, now: PodState, before: PodState | None) -> str:
        """What the observed state shows of this fact, in words."""
        return _SEEN[self.name](self.value, now, before)

    def turned(self, now: PodState, before: PodState | None, *, strictly: bool = False) -> bool:
        """Whether the fact holds now and did not before (`strictly`: was known not to hold
        before)."""
        if self.of(now, before) is not True:
            return False
        if self.name in CHANGES or before is None:
            return True
        was = self.of(before, None)
        return was is False if strictly else was is not True


def _condition(value: tuple[str, str], now: PodState, before: PodState | None) -> bool | None:
    status = now.conditions.get(value[0])
    return None if status is None else status == value[1]


def _container_images(value: str, now: PodState, before: PodState | None) -> bool | None:
    if not now.containers:
        return None
    for c in now.containers:
        reported, wanted = image_reference(c.image), image_reference(now.images.get(c.name, ""))
        if reported is None or wanted is None:
            return None
        if not reported.same_image(wanted):
            return False
    return True


EVALUATE: Mapping[str, Callable[[Any, PodState, PodState | None], bool | None]] = {
    "nodeName": lambda v, now, _: bool(now.node) == (v == "set"),
    "phase": lambda v, now, _: now.phase in v if now.phase else None,
    "reason": _reason,
    "controlled": lambda v, now, _: bool(now.owner) == v,
    "conditions": _condition,
    "containers": lambda v, now, _: now.started == (v == "started"),
    "image": lambda v, now, before: None if before is None else now.images != before.images,
    "containerImages": _container_images,
}
_DESCRIBE: Mapping[str, Callable[[Any], str]] = {
    "nodeName": lambda v: "spec.nodeName set" if v == "set" else "no spec.nodeName",
    "phase": lambda v: f"phase {' or '.join(v)}",
    "reason": lambda v: f"status.reason {v}",
    "controlled": lambda v: "owned by a controller" if v else "not owned by a controller",
    "conditions": lambda v: f"condition {v[0]}={v[1]}",
    "containers": lambda v: (
        "a container started (running or terminated)" if v == "started" else "no container started"
    ),
    "image": lambda v: "a container's spec image changed",
    "containerImages": lambda v: "every container reporting the image its spec names",
}


def describe_containers(state: PodState) -> str:
    """`nginx running, sidecar waiting (ErrImagePull)`, or `no container status`."""
    if not state.containers:
        return "no container status"
    return ", ".join(
        f"{c.name} {c.state or 'in no state'}{f' ({c.reason})' if c.reason else ''}"
        for c in state.containers
    )


_SEEN: Mapping[str, Callable[[Any, PodState, PodState | None], str]] = {
    "nodeName": lambda v, now, _: f"spec.nodeName {now.node}" if now.node else "no spec.nodeName",
    "phase": lambda v, now, _: f"phase {now.phase}" if now.phase else "no phase",
    "reason": lambda v, now, _: f"status.reason {now.reason}" if now.reason else "no status.reason",
    "controlled": lambda v, now, _: (
        "owned by a controller" if now.owner else "not owned by a controller"
    ),
    "conditions": lambda v, now, _: (
        f"condition {v[0]}={now.conditions[v[0]]}"
        if v[0] in now.conditions
        else f"no {v[0]} condition"
    ),
    "containers": lambda v, now, _: describe_containers(now),
    "image": lambda v, now, before: (
        "spec images " + ", ".join(f"{n}={i}" for n, i in now.images.items())
    ),
    "containerImages": lambda v, now, _: "; ".join(
        f"{c.name} reports {c.image or 'no image'}, spec {now.images.get(c.name, '?')}"
        for c in now.containers
    ),
}
