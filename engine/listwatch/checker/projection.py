"""The spec's observable projection: what a client of the API can see of each step, as rules.

`Projection(spec)` reads, once, everything the checker judges a recorded run by. Nothing here is
a rule of its own; each comes from the spec:

- the observable steps (spec/flow.yaml): how each shows on the Pod (`observable.pod`: the facts
  it `becomes`, the facts it `shows` with them, the fields it `keeps`), the Event that shows it
  (`observable.event`) and the Event it forbids (`observable.forbids_event`). A step with
  `watch: ADDED` shows in the update that creates the pod; a step taken by a client (the actors
  of the first entry, kubectl) is the user's doing, not the implementation's;
- the order of steps: the flow graph (`next`). Internal steps pass unseen; so may an observable
  step whose lasting facts the state observed after it still shows (a watch coalesces updates,
  Events are best effort);
- where a pod's flow ends: the last observable step of each variant;
- the pod phases: the pod-phase machine (spec/objects/pod.yaml): its initial state, its final
  states, and which phases may follow which (any reachable one: a watcher may miss states);
- who wrote an Event: each component's `eventSource` and the controller manager's `sources`;
- what the scheduler filters on and what the kubelet admits on, from their settings.

The facts themselves, read from an observed Pod, are `podfacts`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from listwatch.checker.podfacts import CHANGES, EVALUATE, Fact, PodState, Reasons
from listwatch.errors import SpecError
from listwatch.spec.model import Origin, Spec, Step

#: How many answers a cache of the projection keeps (what a trace decides them by is its own:
#: bounded).
CACHED = 4096

# -- steps ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EventSign:
    """An Event as a step's `observable` names it: reasons, and optionally its type and source."""

    reasons: frozenset[str]
    type: str = ""
    source: str = ""

    def matches(self, reason: str, type_: str, source: str) -> bool:
        return (
            reason in self.reasons
            and (not self.type or not type_ or self.type == type_)
            and (not self.source or not source or self.source == source)
        )

    def __str__(self) -> str:
        source = f" from {self.source}" if self.source else ""
        return f"{' or '.join(sorted(self.reasons))} event{source}"


@dataclass(frozen=True, slots=True)
class StepRule:
    """An observable step, as the checker recognises and judges it."""

    step: Step
    becomes: tuple[Fact, ...]
    shows: tuple[Fact, ...]
    keeps: tuple[str, ...]
    watch: str
    event: EventSign | None
    forbids: EventSign | None
    #: Shows in the update that creates the pod (`watch: ADDED`).
    creation: bool
    #: A client's act (kubectl): judged as the user's input, never as the implementation's fault.
    user: bool
    #: No `next`: nothing follows; every fact it shows lasts.
    terminal: bool
    #: The step's ID (`step.id`, read often enough to be kept here).
    id: str


class Projection:
    """The rules of the spec's observable projection (see the module docstring)."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        flow = spec.flow
        self.steps: Mapping[str, Step] = {s.id: s for s in flow.steps}
        self.next: Mapping[str, tuple[str, ...]] = {s.id: s.next for s in flow.steps}
        self.entries: tuple[str, ...] = tuple(flow.entries)
        self.entry_set = frozenset(self.entries)
        #: One frozenset per step, shared by every pod at that step.
        self.singletons: Mapping[str, frozenset[str]] = {
            s.id: frozenset({s.id}) for s in flow.steps
        }
        self._phase_machine(spec)
        self._condition_types = frozenset(
            c.type for obj in spec.objects.values() for c in obj.conditions
        )
        users = frozenset(self.steps[self.entries[0]].sources) if self.entries else frozenset()
        #: The reasons the kubelet's admission checks reject a pod with: the step that shows one
        #: of them (the kubelet's rejection) shows whichever check failed (OutOfcpu, NodeAffinity).
        self.admission_reasons = tuple(
            str(c.get("reason")) for c in self._settings(spec, "kubelet").get("admission", ())
        )
        self.rules: Mapping[str, StepRule] = {
            s.id: self._rule(s, users) for s in flow.steps if s.observable is not None
        }
        self._order = tuple(self.rules)
        self._becomes = tuple(
            {(f.name, f.value): f for r in self.rules.values() for f in r.becomes}.values()
        )
        #: For each observable step, the positions in `signature` of the facts it becomes.
        self.becomes_at: Mapping[str, tuple[int, ...]] = {
            r.id: tuple(
                i
                for i, f in enumerate(self._becomes)
                for g in r.becomes
                if (f.name, f.value) == (g.name, g.value)
            )
            for r in self.rules.values()
        }
        self.changes = any(f.name in CHANGES for f in self._becomes)
        self._evaluate = tuple((EVALUATE[f.name], f.value) for f in self._becomes)
        #: For each observable step, the positions in `signature` of its lasting facts.
        self._lasting_at: Mapping[str, tuple[int, ...]] = {
            r.id: tuple(i for i in self.becomes_at[r.id] if self._becomes[i].lasting)
            for r in self.rules.values()
        }
        self._passable: dict[tuple[bool | None, ...], int] = {}
        self._touched: dict[frozenset[int], tuple[StepRule, ...]] = {}
        self._shown_next: dict[tuple[frozenset[str], int, str], tuple[StepRule, ...]] = {}
        self._forbidders = tuple(r for r in self.rules.values() if r.forbids is not None)
        self._shown_by: dict[tuple[str, str, str], tuple[StepRule, ...]] = {}
        self._forbidding: dict[tuple[str, str, str], tuple[StepRule, ...]] = {}
        #: Passable-step masks that depend on the spec only: steps no fact of the pod shows; those
        #: and the creation steps; steps no Event shows.
        self.factless = self.mask(lambda s: not self.rules[s].becomes)
        self.creation_or_factless = self.mask(
            lambda s: self.rules[s].creation or not self.rules[s].becomes
        )
        self.eventless = self.mask(lambda s: self.rules[s].event is None)
        self._walks: dict[tuple[frozenset[str], int], tuple[str, ...]] = {}
        self._dominators: dict[tuple[frozenset[str], frozenset[str], int], frozenset[str]] = {}
        self._missing: dict[tuple[tuple[str, ...], str], str | None] = {}
        self.after: Mapping[str, frozenset[str]] = {
            s: frozenset(self._walk({s}, lambda _: True)) for s in self.steps
        }
        self.ends = self._ends(spec)
        self.event_sources: Mapping[str, str] = self._event_sources(spec)
        self.actor_steps: Mapping[str, frozenset[str]] = {
            name: frozenset(s.id for s in flow.steps if name in s.sources)
            for name in spec.components
        }
        notify: dict[str, str] = {}
        for s in flow.steps:
            if s.match.get("action") == "notify":
                notify.setdefault(str(s.match.get("type", "")), s.id)
        #: The step whose watch event a record of each type is (LW-04 for ADDED, LW-11 for
        #: MODIFIED).
        self.notify: Mapping[str, str] = notify
        self.rejections: Mapping[str, tuple[str, ...]] = {
            r.id: tuple(
                s
                for s in self._walk({r.id}, lambda _: True)
                if s in self.rules and self.rules[s].terminal
            )
            for r in self.rules.values()
            if r.creation
        }
        #: The step in which the kubelet runs containers (it `becomes` containers started): where
        #: container rules point.
        self.container_step = next(
            (
                r.id
                for r in self.rules.values()
                if any(f.name == "containers" and f.value == "started" for f in r.becomes)
            ),
            "",
        )
        self.kubelet_checks = frozenset(
            str(c.get("check")) for c in self._settings(spec, "kubelet").get("admission", ())
        )
        self.scheduler_filters = frozenset(
            str(f.get("plugin")) for f in self._settings(spec, "scheduler").get("filters", ())
        )
        #: The scheduler's binds (LW-10): the steps past a pod's creation that set its node.
        self.bind_steps = frozenset(
            r.id
            for r in self.rules.values()
            if not r.creation and any(f.name == "nodeName" and f.value == "set" for f in r.becomes)
        )
        #: The kubelet's rejection steps (NN-03): the terminal steps that follow a step in which
        #: a pod is created with its node. After a bind that broke a scheduler filter the
        #: kubelet's admission also checks, one of them may follow the bind (see `Lifecycle`).
        self.admission_rejections = frozenset(
            s
            for r in self.rules.values()
            if r.creation and any(f.name == "nodeName" and f.value == "set" for f in r.becomes)
            for s in self.rejections.get(r.id, ())
        )

    # -- building --------------------------------------------------------------------------------

    def _phase_machine(self, spec: Spec) -> None:
        pod = spec.objects.get("pod")
        if pod is None or not pod.machines:
            raise SpecError(
                spec.root,
                "",
                "expected an Object document `pod` with its phase machine (spec/objects/pod.yaml)",
            )
        machine = spec.machine(pod.machines[0])
        self.phase_machine = machine.name
        self.initial_phase = machine.initial
        self.phases = frozenset(machine.state_names)
        self.final_phases = frozenset(s.name for s in machine.states if s.final)
        edges: dict[str, set[str]] = {name: set() for name in machine.state_names}
        for t in machine.transitions:
            for source in t.sources:
                edges[source].add(t.dest)
        self.phase_successors: Mapping[str, frozenset[str]] = {
            name: frozenset(_closure(name, lambda s: edges[s])) for name in machine.state_names
        }

    def _rule(self, step: Step, users: frozenset[str]) -> StepRule:
        seen = step.observable or {}
        pod = seen.get("pod") or {}
        return StepRule(
            step=step,
            becomes=self._facts(step, "becomes", pod.get("becomes")),
            shows=self._facts(step, "shows", pod.get("shows")),
            keeps=tuple(pod.get("keeps", ())),
            watch=str(seen.get("watch", "")),
            event=_event_sign(seen.get("event")),
            forbids=_event_sign(seen.get("forbids_event")),
            creation=seen.get("watch") == "ADDED",
            user=bool(users) and set(step.sources) <= users,
            terminal=not step.next,
            id=step.id,
        )

    def _facts(self, step: Step, part: str, data: Mapping[str, Any] | None) -> tuple[Fact, ...]:
        facts = []
        for name, value in (data or {}).items():
            if name == "conditions":
                for ctype, status in value.items():
                    if self._condition_types and ctype not in self._condition_types:
                        _fail(
                            step.origin,
                            f"observable.pod.{part}.conditions.{ctype}",
                            f"a pod condition ({', '.join(sorted(self._condition_types))})",
                        )
                    facts.append(Fact(name, (ctype, str(status)), f"conditions.{ctype}"))
            elif name == "phase":
                phases = tuple(value) if isinstance(value, (list, tuple)) else (str(value),)
                for phase in phases:
                    if phase not in self.phases:
                        _fail(
                            step.origin,
                            f"observable.pod.{part}.phase",
                            f"a state of the {self.phase_machine} machine "
                            f"({', '.join(sorted(self.phases))}), found {phase!r}",
                        )
                facts.append(Fact(name, phases, name, lasting=set(phases) <= self.final_phases))
            elif name == "reason" and str(value) in self.admission_reasons:
                facts.append(Fact(name, Reasons(self.admission_reasons), name, lasting=True))
            elif name in EVALUATE:
                lasting = value == "set" if name == "nodeName" else name in ("reason", "image")
                facts.append(Fact(name, value, name, lasting=lasting))
            else:
                _fail(
                    step.origin,
                    f"observable.pod.{part}.{name}",
                    f"a pod fact ({', '.join(sorted(EVALUATE))}), found {name!r}",
                )
        return tuple(facts)

    def _ends(self, spec: Spec) -> frozenset[str]:
        """Where a pod's flow may end, as a client sees it: the last observable step of each
        variant."""
        ends = set()
        for variant in spec.flow.variants:
            seen = [s for s in variant.steps if s in self.rules]
            if seen:
                ends.add(seen[-1])
        return frozenset(ends)

    @staticmethod
    def _event_sources(spec: Spec) -> Mapping[str, str]:
        found: dict[str, str] = {}
        for component in spec.components.values():
            if component.event_source:
                found[component.event_source] = component.name
            for source in (component.settings.get("sources") or {}).values():
                found[str(source)] = component.name
        return found

    @staticmethod
    def _settings(spec: Spec, component: str) -> Mapping[str, Any]:
        return spec.components[component].settings if component in spec.components else {}

    # -- the graph -------------------------------------------------------------------------------

    def _walk(self, starts: Collection[str], passable: Callable[[str], bool]) -> list[str]:
        """Steps reachable from `starts` (not themselves), in breadth-first order, going on only
        through passable ones."""
        seen = set(starts)
        order: list[str] = []
        queue = deque(starts)
        while queue:
            for nxt in self.next[queue.popleft()]:
                if nxt in seen:
                    continue
                seen.add(nxt)
                order.append(nxt)
                if nxt not in self.rules or passable(nxt):
                    queue.append(nxt)
        return order

    def mask(self, passable: Callable[[str], bool]) -> int:
        """Which observable steps are passable, as bits: with the position, all a walk depends
        on."""
        mask = 0
        for bit, step in enumerate(self._order):
            if passable(step):
                mask |= 1 << bit
        return mask

    def _cached_walk(self, position: frozenset[str], mask: int) -> tuple[str, ...]:
        key = (position, mask)
        found = self._walks.get(key)
        if found is None:
            found = self._walks[key] = tuple(
                self._walk(position, lambda s: bool(mask >> self._order.index(s) & 1))
            )
        return found

    def candidates(
        self,
        position: frozenset[str],
        passable: Callable[[str], bool] | int,
        wanted: Callable[[StepRule], bool],
    ) -> list[StepRule]:
        """The observable steps that may come next from `position`, nearest first, past passable
        steps (or a `mask` of them)."""
        rules = self.rules
        mask = passable if isinstance(passable, int) else self.mask(passable)
        return [
            rules[s] for s in self._cached_walk(position, mask) if s in rules and wanted(rules[s])
        ]

    def signature(self, now: PodState, before: PodState | None) -> tuple[bool | None, ...]:
        """The value of every fact a step `becomes`: when it is unchanged, no step can show."""
        return tuple([evaluate(value, now, before) for evaluate, value in self._evaluate])

    def passable(self, signature: tuple[bool | None, ...]) -> int:
        """The `mask` of the steps an update whose facts are `signature` may have passed unseen: not
        creation steps, and none of their lasting facts false (a bound node, a final phase)."""
        mask = self._passable.get(signature)
        if mask is None:
            if len(self._passable) >= CACHED:
                self._passable.clear()
            lasting = self._lasting_at
            mask = self._passable[signature] = self.mask(
                lambda s: (
                    not self.rules[s].creation
                    and all(signature[i] is not False for i in lasting[s])
                )
            )
        return mask

    def touched(self, changed: frozenset[int]) -> tuple[StepRule, ...]:
        """The steps, in the spec's order, that one of the `changed` positions of `signature` may
        show (not the user's, not creation steps): those a state can show out of order."""
        found = self._touched.get(changed)
        if found is None:
            if len(self._touched) >= CACHED:
                self._touched.clear()
            found = self._touched[changed] = tuple(
                r
                for r in self.rules.values()
                if not r.user and not r.creation and changed.intersection(self.becomes_at[r.id])
            )
        return found

    def shown_next(self, position: frozenset[str], mask: int, *, by: str) -> tuple[StepRule, ...]:
        """The `candidates` from `position` past the `mask` steps that show `by` an Event ("event"),
        or on the pod ("pod": a fact turns true, past the pod's creation), nearest first."""
        key = (position, mask, by)
        found = self._shown_next.get(key)
        if found is None:
            if len(self._shown_next) >= CACHED:
                self._shown_next.clear()
            wanted: Callable[[StepRule], bool] = (
                (lambda r: r.event is not None)
                if by == "event"
                else (lambda r: bool(r.becomes) and not r.creation)
            )
            found = self._shown_next[key] = tuple(self.candidates(position, mask, wanted))
        return found

    def blockers(
        self, position: Collection[str], target: str, passable: Callable[[str], bool]
    ) -> list[str]:
        """The steps that stand between `position` and `target`: not passable, leading to it, not
        creation steps."""
        return [
            s
            for s in self._walk(position, passable)
            if s in self.rules
            and not self.rules[s].creation
            and not passable(s)
            and target in self.after[s]
        ]

    def dominators(
        self, position: frozenset[str], targets: frozenset[str], mask: int
    ) -> frozenset[str]:
        """The Event-showing steps every path from `position` to one of `targets` goes through, past
        the `mask` steps."""
        key = (position, targets, mask)
        found = self._dominators.get(key)
        if found is None:
            found = self._dominators[key] = self._dominating(
                position, targets, lambda s: bool(mask >> self._order.index(s) & 1)
            )
        return found

    def _dominating(
        self, position: frozenset[str], targets: frozenset[str], passable: Callable[[str], bool]
    ) -> frozenset[str]:
        reached = self._walk(position, passable)
        if not any(t in targets for t in reached):
            return frozenset()
        found = set()
        for step in reached:
            rule = self.rules.get(step)
            if rule is None or rule.event is None or rule.creation or step in targets:
                continue
            if not any(
                t in targets for t in self._walk(position, _without(step, passable)) if t != step
            ):
                found.add(step)
        return frozenset(found)

    def reaches(self, position: Iterable[str], target: str) -> bool:
        """Whether `target` can follow one of the `position` steps in the flow graph, whatever was
        seen."""
        return any(target in self.after[s] for s in position)

    def missing(self, firsts: tuple[str, ...], target: str) -> str | None:
        """The step that should have come where `target` came: the first step of the shortest way
        through the flow graph (internal steps included) that starts at one of `firsts` (the steps
        that may come next) and leads to `target`; None if none leads there (`target` is behind, or
        on no way from here). For `firsts` LW-10 or US-01 and `target` LW-12, LW-10 (then LW-11)."""
        key = (firsts, target)
        if key in self._missing:
            return self._missing[key]
        origin = {step: step for step in firsts}
        queue = deque(firsts)
        found = None
        while queue and found is None:
            step = queue.popleft()
            for nxt in self.next[step]:
                if nxt not in origin:
                    origin[nxt] = origin[step]
                    queue.append(nxt)
                if nxt == target:
                    found = origin[step]
                    break
        self._missing[key] = found
        return found

    # -- events ----------------------------------------------------------------------------------

    def shown_by(self, reason: str, type_: str, source: str) -> tuple[StepRule, ...]:
        """The steps whose Event this is, in the spec's order."""
        key = (reason, type_, source)
        found = self._shown_by.get(key)
        if found is None:
            if len(self._shown_by) >= CACHED:
                self._shown_by.clear()
            found = self._shown_by[key] = tuple(
                r
                for r in self.rules.values()
                if r.event is not None and r.event.matches(reason, type_, source)
            )
        return found

    def forbidden(self, reason: str, type_: str, source: str) -> bool:
        """Whether any step forbids this Event (NN-01 forbids Scheduled): the others need not be
        remembered."""
        return any(
            r.forbids is not None and r.forbids.matches(reason, type_, source)
            for r in self._forbidders
        )

    def forbidding(self, reason: str, type_: str, source: str) -> tuple[StepRule, ...]:
        """The steps after which this Event must not be recorded."""
        key = (reason, type_, source)
        found = self._forbidding.get(key)
        if found is None:
            if len(self._forbidding) >= CACHED:
                self._forbidding.clear()
            found = self._forbidding[key] = tuple(
                r
                for r in self.rules.values()
                if r.forbids is not None and r.forbids.matches(reason, type_, source)
            )
        return found


def _without(cut: str, passable: Callable[[str], bool]) -> Callable[[str], bool]:
    return lambda step: step != cut and passable(step)


def _event_sign(data: Mapping[str, Any] | None) -> EventSign | None:
    if not data:
        return None
    reason = data.get("reason", ())
    reasons = (
        frozenset(str(r) for r in reason)
        if isinstance(reason, (list, tuple))
        else frozenset({str(reason)})
    )
    return EventSign(reasons, str(data.get("type", "")), str(data.get("source", "")))


def _closure(start: str, successors: Callable[[str], Iterable[str]]) -> set[str]:
    seen: set[str] = set()
    queue = deque([start])
    while queue:
        for nxt in successors(queue.popleft()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def _fail(origin: Origin | None, path: str, expected: str) -> None:
    if origin is None:
        raise SpecError("spec", path, f"expected {expected}")
    full, line = origin.locate(path)
    raise SpecError(origin.file, full, f"expected {expected}", line=line)
