"""The names a spec may use for guards, actions and watch handlers, and what they resolve to.

A component marks the methods the spec may name with `@guard` or `@action`; a `Registry` collects
them per owner (the component's name in the spec). Every name in the spec is resolved when the
machines are built, so a misspelt name is a load error, never a failure halfway through a run.
A guard is called as `guard(owner, context)` and returns a bool; an action as `action(owner, context)`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from listwatch.errors import SpecError
from listwatch.spec.model import Origin

GUARD = "guard"
ACTION = "action"

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


class Registry:
    """Guards and actions per owner, collected from the classes that implement them."""

    def __init__(self, owners: Mapping[str, type]) -> None:
        self._callbacks: dict[str, dict[str, tuple[str, Callback]]] = {}
        for owner, cls in owners.items():
            found: dict[str, tuple[str, Callback]] = {}
            for klass in reversed(cls.__mro__):
                for name, value in vars(klass).items():
                    kind = getattr(value, "__listwatch_callback__", None)
                    if kind is not None:
                        found[name] = (kind, value)
            self._callbacks[owner] = found

    def owners(self) -> list[str]:
        return sorted(self._callbacks)

    def names(self, owner: str, kind: str) -> list[str]:
        return sorted(n for n, (k, _) in self._callbacks.get(owner, {}).items() if k == kind)

    def resolve(
        self, owner: str, name: str, kind: str, origin: Origin | None, path: str
    ) -> Callback:
        """The function for `name`, or a `SpecError` at `origin`/`path` listing what would be valid."""
        known = self._callbacks.get(owner)
        entry = known.get(name) if known is not None else None
        if entry is None or entry[0] != kind:
            if known is None:
                expected = (
                    f"an owner the engine knows ({', '.join(self.owners())}), found {owner!r}"
                )
            else:
                expected = f"a {kind} of {owner} ({', '.join(self.names(owner, kind)) or 'none'}), found {name!r}"
            if origin is None:
                raise SpecError("spec", path, f"unknown {kind} name: expected {expected}")
            full, line = origin.locate(path)
            raise SpecError(
                origin.file, full, f"unknown {kind} name: expected {expected}", line=line
            )
        return entry[1]
