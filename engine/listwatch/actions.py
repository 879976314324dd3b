"""What the engine does, one record per act: the raw material of steps and traces.

Every layer reports its acts (a request received, an etcd write, a watch event passed on, a
component's decision) to an `ActionSink`. The flow tracker turns them into the spec's steps; the
trace writer records them. A layer with no sink reports nothing and pays nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

#: The kinds of act, as a flow step's `match.action` names them.
KINDS = (
    "watch",
    "request",
    "write",
    "notify",
    "deliver",
    "reconcile",
    "schedule",
    "requeue",
    "admit",
    "restart",
)


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

ActionSink = Callable[[Action], None]
