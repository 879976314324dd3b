"""Build the spec's state machines with `transitions`, then run them on a compiled table.

`build` hands each machine's states and transitions to `transitions.Machine` (with
`auto_transitions=False`), with every callback already resolved to a function. The table that
`Machine.fire` runs is read off that `transitions.Machine`: for each (state, trigger), its
transitions in declaration order, each with its conditions (`unless` last, expecting False), its
`before` and its `after` callbacks. `fire` follows transitions' documented callback order for the
parts the spec uses:

    1. conditions, in order; the first that fails moves on to the next transition for the trigger
    2. before callbacks
    3. the state changes (written to the context's attribute for this machine)
    4. after callbacks

A trigger that is not valid in the current state, or whose every transition is refused by a guard,
changes nothing and returns None. Why not call `transitions`' own trigger on the hot path: a
simulated cluster runs hundreds of thousands of machine instances, and `transitions` would need a
model per instance (`add_model` is linear in the number of models). A contract test fires the
same sequences through both and checks they agree (`tests/machines/test_building.py`).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, cast

import transitions

from listwatch.machines.callbacks import ACTION, GUARD, Callback, Registry
from listwatch.spec.model import MachineDef, Spec

#: Called after every state change: (machine name, context, trigger, source, dest); a context
#: put in the machine's initial state is reported with trigger and source "".
Observer = Callable[[str, Any, str, str, str], None]
#: One edge of a spec machine as it fired: (machine name, trigger, source, dest).
Edge = tuple[str, str, str, str]


@dataclass(frozen=True, slots=True)
class CompiledTransition:
    source: str
    dest: str
    conditions: tuple[tuple[Callback, bool], ...]
    before: tuple[Callback, ...]
    after: tuple[Callback, ...]


class Machine:
    """One spec machine, ready to run over any number of contexts (pods, containers, requests ...).

    A context keeps its state in the attribute named `attribute` (the machine's name with `-` as
    `_`).
    """

    def __init__(self, definition: MachineDef, reference: transitions.Machine) -> None:
        self.definition = definition
        self.name = definition.name
        self.initial = definition.initial
        self.attribute = attribute_name(definition.name)
        self.reference = reference
        self.observer: Observer | None = None
        table: dict[tuple[str, str], tuple[CompiledTransition, ...]] = {}
        for trigger, event in reference.events.items():
            for source, options in event.transitions.items():
                table[(source, trigger)] = tuple(
                    # Every callback was handed to transitions already resolved to a function.
                    CompiledTransition(
                        source=source,
                        dest=str(t.dest),
                        conditions=tuple((cast(Callback, c.func), c.target) for c in t.conditions),
                        before=tuple(cast(Callback, f) for f in t.before),
                        after=tuple(cast(Callback, f) for f in t.after),
                    )
                    for t in options
                )
        self._table = table

    def observed(self, observer: Observer) -> Machine:
        """This machine, reporting every state change to `observer`: a copy that shares the
        compiled table, so that each cluster observes its own runs of the engine's machines."""
        twin = copy.copy(self)
        twin.observer = observer
        return twin

    def start(self, context: Any) -> None:
        """Put a new context in the machine's initial state."""
        setattr(context, self.attribute, self.initial)
        if self.observer is not None:
            self.observer(self.name, context, "", "", self.initial)

    def state(self, context: Any) -> str:
        return getattr(context, self.attribute)  # type: ignore[no-any-return]

    def can(self, state: str, trigger: str) -> bool:
        """Whether `trigger` has any transition from `state` (guards not evaluated)."""
        return (state, trigger) in self._table

    def fire(self, owner: Any, context: Any, trigger: str) -> str | None:
        """Fire `trigger` on `context`; return the new state, or None when nothing happened."""
        attribute = self.attribute
        state = getattr(context, attribute)
        options = self._table.get((state, trigger))
        if options is None:
            return None
        for t in options:
            for check, target in t.conditions:
                if check(owner, context) != target:
                    break
            else:
                for callback in t.before:
                    callback(owner, context)
                setattr(context, attribute, t.dest)
                if self.observer is not None:
                    self.observer(self.name, context, trigger, state, t.dest)
                for callback in t.after:
                    callback(owner, context)
                return t.dest
        return None


def attribute_name(machine_name: str) -> str:
    return machine_name.replace("-", "_")


def build_machine(definition: MachineDef, registry: Registry) -> Machine:
    """Resolve the machine's callback names against `registry` and build it with `transitions`."""
    owner = definition.owner
    origin = definition.origin

    def resolve(names: tuple[str, ...], kind: str, path: str) -> list[Callback]:
        return [
            registry.resolve(owner, definition.name, n, kind, origin, f"{path}[{k}]")
            for k, n in enumerate(names)
        ]

    specs = []
    for i, t in enumerate(definition.transitions):
        where = f"transitions[{i}]"
        specs.append(
            {
                "trigger": t.trigger,
                "source": list(t.sources),
                "dest": t.dest,
                "conditions": resolve(t.conditions, GUARD, f"{where}.conditions"),
                "unless": resolve(t.unless, GUARD, f"{where}.unless"),
                "before": resolve(t.before, ACTION, f"{where}.before"),
                "after": resolve(t.after, ACTION, f"{where}.after"),
            }
        )
    reference = transitions.Machine(
        model=None,
        states=list(definition.state_names),
        initial=definition.initial,
        transitions=specs,
        auto_transitions=False,
        model_attribute=attribute_name(definition.name),
        name=definition.name,
    )
    return Machine(definition, reference)


def build(spec: Spec, registry: Registry) -> Mapping[str, Machine]:
    """Every machine of the spec, built; a callback name the registry lacks is a `SpecError`."""
    return {name: build_machine(defn, registry) for name, defn in spec.machines.items()}


def observed(machines: Mapping[str, Machine], observer: Observer) -> Mapping[str, Machine]:
    """Every machine of `machines`, reporting its state changes to `observer`."""
    return {name: machine.observed(observer) for name, machine in machines.items()}


class FiredEdges:
    """An `Observer` that keeps the set of edges fired: what a run took of the spec's machines."""

    def __init__(self) -> None:
        self.edges: set[Edge] = set()

    def __call__(self, machine: str, context: Any, trigger: str, source: str, dest: str) -> None:
        if trigger:
            self.edges.add((machine, trigger, source, dest))


class StateCounts:
    """An `Observer` that counts, per machine, the contexts in each state: a context counts in the
    state it last entered (so a final state counts every context that reached it)."""

    def __init__(self) -> None:
        self.counts: dict[str, dict[str, int]] = {}

    def __call__(self, machine: str, context: Any, trigger: str, source: str, dest: str) -> None:
        counts = self.counts.setdefault(machine, {})
        if source:
            counts[source] = counts.get(source, 0) - 1
        counts[dest] = counts.get(dest, 0) + 1

    def snapshot(self) -> dict[str, dict[str, int]]:
        """A copy of the counts, to hand to another thread."""
        return {machine: dict(states) for machine, states in self.counts.items()}


def both(first: Observer, second: Observer) -> Observer:
    """One observer that reports to `first`, then to `second`."""

    def observe(machine: str, context: Any, trigger: str, source: str, dest: str) -> None:
        first(machine, context, trigger, source, dest)
        second(machine, context, trigger, source, dest)

    return observe


@dataclass(frozen=True, slots=True)
class Unfired:
    """A spec transition that no run fired and that the spec does not mark observed-only."""

    machine: MachineDef
    index: int
    sources: tuple[str, ...]

    def __str__(self) -> str:
        t = self.machine.transitions[self.index]
        where = ""
        if t.origin is not None:
            where = f" ({t.origin.file}:{t.origin.line}, {t.origin.path})"
        return f"{self.machine.name}: {t.trigger} {' | '.join(self.sources)} -> {t.dest}{where}"


def unfired(spec: Spec, fired: Collection[Edge]) -> list[Unfired]:
    """The spec's transitions that never fired from any of their sources, less those the spec
    marks observed-only. (Per transition, not per edge: a transition from several sources counts
    once it fired from one of them.)"""
    found = []
    for machine in spec.machines.values():
        for i, t in enumerate(machine.transitions):
            if t.observed_only:
                continue
            if not any((machine.name, t.trigger, s, t.dest) in fired for s in t.sources):
                found.append(Unfired(machine, i, t.sources))
    return found
