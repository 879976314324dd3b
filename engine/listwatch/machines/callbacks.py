"""The names a spec may use for guards, actions and watch handlers, and what they resolve to.

A class marks the methods the spec may name with `@guard` or `@action`. A `Registry` knows, per
owner (a component's name in the spec), which class implements which part of its callbacks: its
watch handlers (`WATCHES`), each of its machines (by the machine's name), and the guards of the
condition rules it computes (`CONDITIONS`). A component built from parts gives each part its own
class (the kubelet's `container` machine resolves on the kubelet's containers part); a component
of one piece names one class for everything (`Parts(default=...)`, or the class itself).

Every name in the spec is resolved when the machines are built, so a misspelt name is a load
error naming the file and YAML path, never a failure halfway through a run. A resolved callback is
a plain function: a guard is called as `guard(part, context)` and returns a bool, an action as
`action(part, context)`, where `part` is an instance of the class that implements the scope (the
caller of `Machine.fire` passes it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from listwatch.errors import SpecError
from listwatch.spec.model import Origin

GUARD = "guard"
ACTION = "action"

#: The scope of a component's watch handlers.
WATCHES = "watches"
#: The scope of the guards of the condition rules (an object's `conditions`) an owner computes.
CONDITIONS = "conditions"

F = TypeVar("F", bound=Callable[..., Any])


def guard(fn: F) -> F:
    """Mark a method as a guard the spec may name in `conditions`, `unless` or a rule's `when`."""
    fn.__listwatch_callback__ = GUARD  # type: ignore[attr-defined]
    return fn


def action(fn: F) -> F:
    """Mark a method as an action the spec may name in `before`, `after` or a watch's handlers."""
    fn.__listwatch_callback__ = ACTION  # type: ignore[attr-defined]
    return fn


Callback = Callable[[Any, Any], Any]


@dataclass(frozen=True)
class Parts:
    """Which class implements each scope of one owner's callbacks.

    `machines` maps a machine's name to its class, and `conditions` names the class of the
    condition guards; every scope not named (the watch handlers included) falls to `default`.
    """

    default: type
    machines: Mapping[str, type] = field(default_factory=dict)
    conditions: type | None = None

    def implementer(self, scope: str) -> type:
        if scope == CONDITIONS and self.conditions is not None:
            return self.conditions
        return self.machines.get(scope, self.default)


def callbacks_of(cls: type) -> dict[str, tuple[str, Callback]]:
    """The marked methods of `cls` (its own and inherited), by name: (kind, function)."""
    found: dict[str, tuple[str, Callback]] = {}
    for klass in reversed(cls.__mro__):
        for name, value in vars(klass).items():
            kind = getattr(value, "__listwatch_callback__", None)
            if kind is not None:
                found[name] = (kind, value)
    return found


class Registry:
    """Guards and actions per owner and scope, each resolved on the class that implements it."""

    def __init__(self, owners: Mapping[str, Parts | type]) -> None:
        self._parts = {
            owner: parts if isinstance(parts, Parts) else Parts(default=parts)
            for owner, parts in owners.items()
        }
        self._callbacks: dict[type, dict[str, tuple[str, Callback]]] = {}

    def owners(self) -> list[str]:
        return sorted(self._parts)

    def implementer(self, owner: str, scope: str) -> type | None:
        """The class whose instances a `scope` callback of `owner` is called on (None: unknown
        owner)."""
        parts = self._parts.get(owner)
        return parts.implementer(scope) if parts is not None else None

    def names(self, owner: str, scope: str, kind: str) -> list[str]:
        cls = self.implementer(owner, scope)
        if cls is None:
            return []
        return sorted(n for n, (k, _) in self._found(cls).items() if k == kind)

    def resolve(
        self, owner: str, scope: str, name: str, kind: str, origin: Origin | None, path: str
    ) -> Callback:
        """The function for `name`, or a `SpecError` at `origin`/`path` listing what would be
        valid."""
        cls = self.implementer(owner, scope)
        entry = self._found(cls).get(name) if cls is not None else None
        if entry is not None and entry[0] == kind:
            return entry[1]
        if cls is None:
            expected = f"an owner the engine knows ({', '.join(self.owners())}), found {owner!r}"
        else:
            known = ", ".join(self.names(owner, scope, kind)) or "none"
            article = "an" if kind == ACTION else "a"
            expected = (
                f"{article} {kind} of {owner} {_scope_words(scope)} ({known}), found {name!r}"
            )
        if origin is None:
            raise SpecError("spec", path, f"unknown {kind} name: expected {expected}")
        full, line = origin.locate(path)
        raise SpecError(origin.file, full, f"unknown {kind} name: expected {expected}", line=line)

    def _found(self, cls: type) -> dict[str, tuple[str, Callback]]:
        found = self._callbacks.get(cls)
        if found is None:
            found = self._callbacks[cls] = callbacks_of(cls)
        return found


def _scope_words(scope: str) -> str:
    if scope == WATCHES:
        return "for its watches"
    if scope == CONDITIONS:
        return "for its conditions"
    return f"for the {scope} machine"
