"""What the engine does, one record per act: the raw material of steps and traces.

Every layer reports its acts (a request received, an etcd write, a watch event passed on, a
component's decision) to an `ActionSink`. The flow tracker turns them into the spec's steps; the
trace writer records them. A layer with no sink reports nothing and pays nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class ObjectRef:
    kind: str
    namespace: str
    name: str
    uid: str

    @classmethod
    def of(cls, obj: Mapping[str, Any]) -> ObjectRef:
        meta = obj.get("metadata") or {}
        return cls(
            obj.get("kind", ""),
            meta.get("namespace", ""),
            meta.get("name", ""),
            meta.get("uid", ""),
        )

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}" if self.namespace else self.name


@dataclass(frozen=True, slots=True)
class Action:
    """One act: `actor` did `action` (to `target`), about `obj`, at logical time `time`."""

    action: str
    actor: str
    target: str = ""
    verb: str = ""
    resource: str = ""
    type: str = ""
    obj: ObjectRef | None = None
    revision: int = 0
    result: str = ""
    detail: str = ""
    time: float = 0.0
    attrs: Mapping[str, Any] = field(default_factory=dict)

    def get(self, key: str) -> Any:
        """The value of a matchable attribute: a field, or an extra attribute."""
        if key in _FIELDS:
            return getattr(self, key)
        return self.attrs.get(key)

    def matches(self, pattern: Mapping[str, Any]) -> bool:
        """Whether every key of a step's `match` holds (a list means any of its values)."""
        for key, wanted in pattern.items():
            value = self.get(key)
            if key in ("actor", "target") and isinstance(value, str):
                value = value.partition("/")[0]
            if isinstance(wanted, (list, tuple)):
                if value not in wanted:
                    return False
            elif value != wanted:
                return False
        return True


_FIELDS = frozenset(
    {
        "action",
        "actor",
        "target",
        "verb",
        "resource",
        "type",
        "revision",
        "result",
        "detail",
        "time",
    }
)

#: What every act carries, whatever its kind: who did it, to whom, when, and a sentence about it.
COMMON = frozenset({"action", "actor", "target", "detail", "time"})


@dataclass(frozen=True, slots=True)
class Kind:
    """One kind of act and the attributes its emitters set, besides `COMMON`: what a flow step's
    `match` may test. `extra` names the attributes that ride in `Action.attrs`."""

    name: str
    fields: frozenset[str]
    extra: frozenset[str] = frozenset()
    doc: str = ""

    @property
    def keys(self) -> frozenset[str]:
        """Every key a `match` on this kind may name."""
        return COMMON | self.fields | self.extra


_REQUEST = frozenset({"verb", "resource", "revision"})
#: Set by the request's client and passed on to the write it causes (`APIServer._action`):
#: `started` on a kubelet's status update that reports a container started; `image_changed` on an
#: update or patch that changes a container's image.
_REQUEST_EXTRA = frozenset({"started", "image_changed"})
_DECISION = frozenset({"resource", "result"})

#: The contract between the emitters (the API server, its watch cache, the components' `act`) and
#: the spec: every kind of act and what it carries. Loading a spec whose `match` names a kind or an
#: attribute not here is a `SpecError` (`listwatch.engine.check_names`); a test runs the features'
#: scenarios and checks every act emitted fits its kind here (`tests/test_flow.py`).
EMITTED: Mapping[str, Kind] = {
    k.name: k
    for k in (
        Kind("watch", frozenset({"resource"}), doc="a client opens a watch (API server)"),
        Kind("request", _REQUEST, _REQUEST_EXTRA, doc="a client's request arrives (API server)"),
        Kind("write", _REQUEST, _REQUEST_EXTRA, doc="the API server writes to etcd"),
        Kind("notify", frozenset({"resource", "type", "revision"}), doc="etcd's watch event"),
        Kind("deliver", frozenset({"resource", "type", "revision"}), doc="a watch event sent on"),
        Kind("reconcile", _DECISION, doc="the replication manager syncs a controller"),
        Kind("schedule", _DECISION, doc="the scheduler chooses a node (result: it, or none)"),
        Kind("requeue", _DECISION, doc="the scheduler puts an unschedulable pod back"),
        Kind("preempt", _DECISION, doc="the scheduler preempts pods on a node for a pod"),
        Kind("admit", _DECISION, doc="the kubelet admits or rejects a pod"),
        Kind("restart", _DECISION, doc="the kubelet restarts a container for a changed spec"),
    )
}


def misfit(action: Action) -> str:
    """Why `action` breaks the contract of `EMITTED` (an unknown kind, an attribute its kind does
    not declare, set), or "" when it fits."""
    kind = EMITTED.get(action.action)
    if kind is None:
        return f"unknown kind of act {action.action!r}"
    undeclared = sorted(set(action.attrs) - kind.extra)
    undeclared += [f for f in sorted(_FIELDS - kind.keys) if getattr(action, f)]
    if undeclared:
        return f"{action.action} carries undeclared attributes {', '.join(undeclared)}"
    return ""


ActionSink = Callable[[Action], None]
