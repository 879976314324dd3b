"""The spec as an immutable, typed model: what the YAML under `spec/` says, nothing more.

Values here are frozen dataclasses, tuples and read-only mappings; they carry the file and YAML
path they came from, so that later checks can point at the line a user must change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any


def frozen_mapping(data: Mapping[str, Any] | None = None) -> Mapping[str, Any]:
    """A read-only view of a mapping, nested mappings and lists frozen too."""
    return MappingProxyType({k: _freeze(v) for k, v in (data or {}).items()})


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return frozen_mapping(value)
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a piece of the spec was written: a file, a YAML path, a line."""

    file: str
    path: str
    line: int | None = None
    #: The line of every YAML path in the file, to point below this origin.
    lines: Mapping[str, int] | None = field(default=None, compare=False, repr=False)

    def locate(self, subpath: str) -> tuple[str, int | None]:
        """The full YAML path of `subpath` below this origin, and its line."""
        full = (
            f"{self.path}.{subpath}"
            if self.path and subpath and not subpath.startswith("[")
            else f"{self.path}{subpath}"
        )
        probe = full
        while probe and self.lines is not None:
            if probe in self.lines:
                return full, self.lines[probe]
            cut = max(probe.rfind("."), probe.rfind("["))
            probe = probe[:cut] if cut > 0 else ""
        return full, self.line


@dataclass(frozen=True, slots=True)
class State:
    name: str
    doc: str = ""
    final: bool = False
    #: For container states: how the state shows in `status.containerStatuses[*].state`.
    status: Mapping[str, str] = field(default_factory=frozen_mapping)


@dataclass(frozen=True, slots=True)
class Transition:
    trigger: str
    sources: tuple[str, ...]
    dest: str
    conditions: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()
    before: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    doc: str = ""
    #: Why the simulator never takes this transition, though the checker accepts it from other
    #: implementations ("" for a transition the simulator fires).
    observed_only: str = ""
    origin: Origin | None = None


@dataclass(frozen=True, slots=True)
class MachineDef:
    """A state machine: states, an initial state and transitions whose callbacks are names."""

    name: str
    owner: str
    per: str
    initial: str
    states: tuple[State, ...]
    transitions: tuple[Transition, ...]
    title: str = ""
    doc: str = ""
    origin: Origin | None = None

    def state(self, name: str) -> State:
        for state in self.states:
            if state.name == name:
                return state
        raise KeyError(name)

    @property
    def state_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.states)

    @property
    def triggers(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t.trigger for t in self.transitions))


@dataclass(frozen=True, slots=True)
class WatchDef:
    """A List-Watch a component opens: which resource, which selectors, which handler per event
    type."""

    id: str
    resource: str
    handlers: Mapping[str, str]
    label_selector: str = ""
    field_selector: str = ""
    doc: str = ""
    origin: Origin | None = None


@dataclass(frozen=True, slots=True)
class EventTemplate:
    type: str
    reason: str
    message: str


@dataclass(frozen=True, slots=True)
class ComponentDef:
    name: str
    title: str
    watches: tuple[WatchDef, ...]
    machines: tuple[str, ...]
    events: Mapping[str, EventTemplate]
    settings: Mapping[str, Any]
    event_source: str = ""
    #: The API group version its Events are written through (`v1` or `events.k8s.io/v1`).
    events_api: str = "v1"
    k8s: str = ""
    origin: Origin | None = None


@dataclass(frozen=True, slots=True)
class ConditionRule:
    status: str
    when: str = ""
    reason: str = ""
    message: str = ""


@dataclass(frozen=True, slots=True)
class ConditionDef:
    """A pod condition and the rules (first match wins) its owner uses to set it."""

    type: str
    owner: str
    rules: tuple[ConditionRule, ...] = ()
    doc: str = ""
    origin: Origin | None = None


@dataclass(frozen=True, slots=True)
class WaitingReason:
    """A reason a container may be waiting with, and what it means to a client."""

    reason: str
    doc: str = ""
    #: The container stays waiting however long one waits, until something changes.
    stuck: bool = False
    #: The image cannot be had.
    pull_failure: bool = False
    #: How the API server words the reason to `kubectl logs`; "" to say the reason itself.
    logs: str = ""


@dataclass(frozen=True, slots=True)
class ObjectDef:
    name: str
    title: str
    machines: tuple[str, ...]
    conditions: tuple[ConditionDef, ...]
    settings: Mapping[str, Any]
    k8s: str = ""
    waiting_reasons: tuple[WaitingReason, ...] = ()
    origin: Origin | None = None


@dataclass(frozen=True, slots=True)
class Step:
    id: str
    title: str
    sources: tuple[str, ...]
    targets: tuple[str, ...]
    message: str
    match: Mapping[str, Any]
    observable: Mapping[str, Any] | None
    next: tuple[str, ...]
    k8s: str = ""
    same_as_for_direct_pods: str = ""
    origin: Origin | None = None

    @property
    def internal(self) -> bool:
        return self.observable is None


@dataclass(frozen=True, slots=True)
class Variant:
    id: str
    name: str
    steps: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Arrow:
    """One arrow of the tutorial's simplified component diagram (its section 1.3)."""

    number: int
    source: str
    target: str
    steps: tuple[str, ...]
    label: str
    via: str = ""


@dataclass(frozen=True, slots=True)
class Flow:
    name: str
    actors: tuple[str, ...]
    entries: Mapping[str, str]
    steps: tuple[Step, ...]
    variants: tuple[Variant, ...]
    simplified: tuple[Arrow, ...] = ()
    origin: Origin | None = None

    def step(self, step_id: str) -> Step:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    @property
    def step_ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.steps)


@dataclass(frozen=True, slots=True)
class PhaseNote:
    """A row of the tutorial's table of pod phases: what the phase means, what to check."""

    phase: str
    means: str
    check: str


@dataclass(frozen=True, slots=True)
class TreeNode:
    """A node of the troubleshooting tree: a question (a named check, and where yes and no lead)
    or a finding (what was found, the evidence to show, the fix to propose)."""

    id: str
    ask: str = ""
    check: str = ""
    yes: str = ""
    no: str = ""
    finding: str = ""
    evidence: tuple[str, ...] = ()
    fix: str = ""
    healthy: bool = False
    missing: bool = False
    origin: Origin | None = None

    @property
    def is_finding(self) -> bool:
        return bool(self.finding)


@dataclass(frozen=True, slots=True)
class Troubleshooting:
    name: str
    title: str
    statuses: tuple[PhaseNote, ...]
    start: str
    nodes: Mapping[str, TreeNode]
    tried_ports: tuple[int, ...] = ()
    #: The container waiting reasons that say the image cannot be had (from the objects'
    #: `waitingReasons`, marked `pullFailure`): what the tree's pull checks look for.
    pull_failures: frozenset[str] = frozenset()
    origin: Origin | None = None


@dataclass(frozen=True, slots=True)
class Spec:
    """The whole specification, as loaded from one directory."""

    root: str
    flow: Flow
    components: Mapping[str, ComponentDef]
    objects: Mapping[str, ObjectDef]
    machines: Mapping[str, MachineDef]
    troubleshooting: Troubleshooting | None = None
    extras: Mapping[str, Mapping[str, Any]] = field(default_factory=frozen_mapping)

    def machine(self, name: str) -> MachineDef:
        return self.machines[name]

    @property
    def waiting_reasons(self) -> Mapping[str, WaitingReason]:
        """Every object's container waiting reasons, by reason."""
        return frozen_mapping(
            {w.reason: w for obj in self.objects.values() for w in obj.waiting_reasons}
        )

    def stuck_reasons(self) -> frozenset[str]:
        """The waiting reasons a container stays in however long one waits."""
        return frozenset(r for r, w in self.waiting_reasons.items() if w.stuck)

    def pull_failures(self) -> frozenset[str]:
        """The waiting reasons that say the image cannot be had."""
        return frozenset(r for r, w in self.waiting_reasons.items() if w.pull_failure)

    def logs_wording(self) -> Mapping[str, str]:
        """How the API server words each waiting reason to `kubectl logs`."""
        return frozen_mapping({r: w.logs or r for r, w in self.waiting_reasons.items()})

    def component(self, name: str) -> ComponentDef:
        return self.components[name]

    def settings(self, owner: str) -> Mapping[str, Any]:
        """The settings block of a component or object document."""
        if owner in self.components:
            return self.components[owner].settings
        return self.objects[owner].settings
