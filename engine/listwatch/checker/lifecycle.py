"""One pod's life as the checker follows it through a recorded run: where it is in the flow, what
broke.

Two channels carry evidence of a pod's steps, each with its own position in the flow graph:

- the pod channel: the pod's successive states (watch events, or bare objects);
- the event channel: the Events recorded about it.

A watch delivers the changes of one object in order, and the Events of one object in order, but
nothing orders one watch against another. So order is judged within a channel; across channels
only what needs no order: an Event a step forbids, and the lasting facts a step shown by an Event
establishes for the pod's states newer than the one the Event refers to
(`involvedObject.resourceVersion`).

In the pod channel a step is recognised when one of the facts it `becomes` turns true (the
nearest such step that may come next, past the steps a watcher may have missed); all its facts
must then hold. A step shown out of order (the facts of a step that cannot come next, all turned
true at once) is a violation naming the step that should have come first. A pod first seen past
its creation (a re-list, a watch started late) joins at the steps its state shows, judged only
for what no past can explain (containers started without spec.nodeName: no way to LW-12 leaves
the node unset). States arrive in revision order, one per revision (a re-list repeats one).

A step counts once per passage, when either channel shows it more often than the other has: the
bind seen as a MODIFIED and as a Scheduled Event is one LW-10.

Worked example: a pod the scheduler places, as `listwatch record` may write it.

    line  record                                       pod channel     event channel
    1     ADDED: Pending, no nodeName, no conditions   LW-02, LW-07    (at the entries)
    2     MODIFIED: nodeName node02, PodScheduled=True LW-10
    3     Event Scheduled from default-scheduler                       LW-10 (the same passage)
    4     Event Pulling from kubelet                                   the kubelet acts: past LW-10
    5     MODIFIED: container running, phase Running   LW-12
    6     Event Started from kubelet                                   LW-12 (the same passage)

Counts: LW-02, LW-07, LW-10 and LW-12 once each. Lines 3 and 4 swapped: the Scheduled Event comes
after the kubelet's, a violation of LW-10 at its line. Line 2 without nodeName: PodScheduled=True
turned true without it, a violation of LW-10 at line 2. Line 5 with phase Pending: the pod-phase
machine has no way back from Running, a violation at line 5 (the pod is then at LW-12).
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Collection, Mapping
from sys import intern
from typing import Any

from listwatch.actions import ObjectRef
from listwatch.checker.podfacts import CHANGES, Fact, PodState, describe_containers, observe
from listwatch.checker.projection import Projection, StepRule
from listwatch.checker.verdicts import (
    FAIL,
    INCONCLUSIVE,
    PASS,
    PodSummary,
    PodVerdict,
    Violation,
    summary_of,
)
from listwatch.rules import affinity, resources, taints

OBJ, EVT = 0, 1
#: A pod's spec.schedulerName when it names none (the API server's default).
DEFAULT_SCHEDULER = "default-scheduler"
#: The taint effects the kubelet's admission checks tolerations against (predicate.go, v1.32:
#: "Kubelet is only interested in the NoExecute taint"; spec/components/kubelet.yaml admission).
KUBELET_TAINT_EFFECTS = frozenset({"NoExecute"})
#: The annotations of a static pod's mirror pod (kubetypes.ConfigMirrorAnnotationKey,
#: ConfigSourceAnnotationKey).
MIRROR, CONFIG_SOURCE = "kubernetes.io/config.mirror", "kubernetes.io/config.source"
#: The taint the NodeUnschedulable filter lets a pod on a cordoned node by, if tolerated.
UNSCHEDULABLE_TAINT = {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}


class Run:
    """What the lifecycles of one run share: the rules, the counts, the nodes, the record
    sequence."""

    def __init__(self, projection: Projection) -> None:
        self.projection = projection
        self.step_counts: Counter[str] = Counter()
        self.violations: list[Violation] = []
        self.seq = 0
        #: Each node's labels as last seen, and as seen before that (a label may change under a
        #: bind).
        self.nodes: dict[str, list[Mapping[str, str]]] = {}
        #: Controllers (by uid) one of whose pods was deleted since their last Event.
        self.owned_deleted: set[str] = set()
        #: Each node's object as last seen (its allocatable, for the kubelet's admission).
        self.node_objects: dict[str, Mapping[str, Any]] = {}
        #: Each node's object as seen before its spec last changed (a taint may be added, or the
        #: node cordoned, under a bind).
        self.node_before: dict[str, Mapping[str, Any]] = {}
        #: The pods each node's kubelet has surely admitted and that have not finished, by uid
        #: (see `note_admitted`).
        self.admitted: dict[str, dict[str, Mapping[str, Any]]] = {}
        #: The pods bound to each node that have not finished, by uid: what the scheduler counts
        #: against a node's allocatable when it binds another.
        self.assigned: dict[str, dict[str, Mapping[str, Any]]] = {}

    def note_admitted(self, kind: str | None, obj: Mapping[str, Any]) -> None:
        """Keep `admitted` up to date with one pod record. A pod counts once its kubelet has
        written its status (startTime) with no rejection, until its phase is terminal or it is
        gone; a pod whose admission the trace has not shown yet does not count, so the checker
        demands a rejection only where the node is surely too small."""
        node = str((obj.get("spec") or {}).get("nodeName") or "")
        uid = str((obj.get("metadata") or {}).get("uid") or "")
        if not node or not uid:
            return
        status = obj.get("status") or {}
        assigned = self.assigned.setdefault(node, {})
        if kind != "DELETED" and status.get("phase") not in ("Succeeded", "Failed"):
            assigned[uid] = obj
        else:
            assigned.pop(uid, None)
        running = (
            kind != "DELETED"
            and bool(status.get("startTime"))
            and status.get("phase") not in ("Succeeded", "Failed")
        )
        pods = self.admitted.setdefault(node, {})
        if running:
            pods[uid] = obj
        else:
            pods.pop(uid, None)

    def labels(self, node: str) -> list[Mapping[str, str]] | None:
        return self.nodes.get(node)

    def node_states(self, node: str) -> tuple[Mapping[str, Any], ...]:
        """The node's object as seen before its spec last changed, if it did, and as last seen
        (none if never seen)."""
        last = self.node_objects.get(node)
        if last is None:
            return ()
        before = self.node_before.get(node)
        return (last,) if before is None else (before, last)

    def report(self, violation: Violation) -> None:
        self.violations.append(violation)


class Lifecycle:
    """One pod (one uid): its positions, what it established, its violations (see the module
    docstring).

    A run may hold hundreds of thousands: what most pods never need is made when first needed.
    """

    __slots__ = (
        "_evt_mask",
        "_held",
        "_reported",
        "_scheduled_by",
        "_signature",
        "deleted",
        "event_counts",
        "events",
        "evt_at",
        "evt_moved",
        "evt_pos",
        "first_line",
        "implicit",
        "joined",
        "kept",
        "last_line",
        "lasting",
        "misbound",
        "obj_seq",
        "p",
        "path",
        "pos",
        "ran",
        "ref",
        "reject",
        "run",
        "scheduler",
        "state",
        "summary",
        "violations",
        "visits",
    )

    def __init__(self, run: Run, ref: ObjectRef, line: int) -> None:
        self.run = run
        self.p = run.projection
        self.ref = ref
        self.first_line = self.last_line = line
        self.state: PodState | None = None
        self.pos: frozenset[str] = frozenset()
        self.joined = 0
        self.evt_pos: frozenset[str] = self.p.entry_set
        self.evt_moved = 0
        self.evt_at: tuple[int, str] = (0, "")
        #: Steps the pod channel showed: the record sequence number and line, of the last time.
        self.obj_seq: dict[str, tuple[int, int]] = {}
        #: Times each channel showed each step: (pod channel, event channel).
        self.visits: dict[str, tuple[int, int]] = {}
        self.path: list[str] = []
        self.implicit: dict[str, tuple[int, str]] | None = None
        self.kept: dict[str, tuple[Any, str, int]] | None = None
        self.lasting: list[list[Any]] | None = None
        #: The first line of each Event seen that a step forbids (one it may yet come after), by
        #: (reason, type, source).
        self.events: dict[tuple[str, str, str], int] | None = None
        #: Each Event's name and the last count seen (an Event repeated is one object, its count
        #: going up).
        self.event_counts: dict[str, Any] | None = None
        self.violations: list[Violation] | None = None
        self.deleted: tuple[int | None, int] | None = None
        self.ran: tuple[str, ...] = ()
        self.reject: tuple[str, str] | None = None
        self.summary = PodSummary()
        self._reported: set[str] | None = None
        self._signature: tuple[bool | None, ...] = ()
        self._evt_mask: int | None = None
        #: The bind step, once the pod channel showed a bind that broke a scheduler filter the
        #: kubelet's admission also checks: the kubelet's rejection may follow it (`_excused`).
        self.misbound = ""
        #: The pod's spec.schedulerName (known from its first state on).
        self.scheduler = ""
        #: A Scheduled Event seen before any state of the pod: (line, its reporter, its step).
        self._scheduled_by: tuple[int, str, str] | None = None
        #: The kubelet's rejection Event seen after the bind's Event before the pod channel showed
        #: the bind: (line, step, expected, observed), reported unless the bind broke a filter.
        self._held: tuple[int, str, str, str] | None = None

    # -- the pod channel ---------------------------------------------------------------------------

    def pod_record(self, kind: str | None, obj: Mapping[str, Any], line: int) -> None:
        """Judge one observed state of the pod against the one before it."""
        now = observe(obj)
        self._reported = None
        if self.state is None:
            self._first(kind, obj, now, line)
            return
        prev = self.state
        if self.deleted is not None:
            rv, at = self.deleted
            if now.rv is None or rv is None or now.rv > rv:
                self.violate(
                    line,
                    self._notify(kind),
                    f"no change to the pod after its DELETED watch event (line {at})",
                    f"{kind or 'a state'} at resourceVersion {obj_rv(obj)}",
                    "deleted",
                    key="deleted",
                )
            return
        if now.rv is not None and prev.rv is not None:
            if now.rv < prev.rv:
                self.violate(
                    line,
                    self._notify(kind),
                    f"resourceVersion above {prev.rv} (the pod's last, line {self.last_line}): a "
                    "watch sends an object's changes in revision order",
                    f"{kind or 'a state'} at resourceVersion {now.rv}",
                    "resource-version",
                    key="resourceVersion",
                )
                return
            if now.rv == prev.rv and kind != "DELETED":
                if now != prev:  # a re-list repeats a state; one revision never holds two
                    differ = [
                        f
                        for f, a, b in zip(PodState._fields, now, prev, strict=True)
                        if a != b and f != "started"
                    ]
                    self.violate(
                        line,
                        self._notify(kind),
                        f"one state per resourceVersion: at {now.rv}, the state of line "
                        f"{self.last_line} again (a watch event per revision)",
                        f"{kind or 'a state'} at resourceVersion {now.rv} with another "
                        f"{', '.join(differ)}",
                        "resource-version",
                        key="resourceVersion",
                    )
                self.last_line = line
                return
        self._check_lasting(obj, now, prev, line)
        self._check_phase(prev, now, line)
        self._check_containers(prev, now, line)
        self._recognise(obj, prev, now, line)
        self.state = now
        self.last_line = line
        self._ran(now)
        if kind == "DELETED":
            self.deleted = (now.rv, line)
        if now.owner and not prev.deleting and (kind == "DELETED" or now.deleting):
            self.run.owned_deleted.add(now.owner)

    def _first(self, kind: str | None, obj: Mapping[str, Any], now: PodState, line: int) -> None:
        self.summary = summary_of(
            obj, created=kind in (None, "ADDED") and now.blank(self.p.initial_phase)
        )
        self.state = now
        self.first_line = min(self.first_line, line)
        self.last_line = line
        self._ran(now)
        self.scheduler = _scheduler_of(obj)
        if self._scheduled_by is not None:
            at, source, step = self._scheduled_by
            self._scheduled_by = None
            self._check_scheduler(source, step, at)
        entry = next(
            (
                self.p.rules[e]
                for e in self.p.entries
                if all(f.of(now, None) is True for f in self.p.rules[e].becomes)
            ),
            None,
        )
        if entry is None:
            self.pos, self.joined = frozenset(self.p.entries), line
            return
        if not self.summary.created:
            self._join(entry, obj, now, line)
            return
        self._realise(entry, obj, now, None, line)
        direct = entry.id == self.p.entries[0]
        while True:
            found = self.p.candidates(self.pos, self.p.factless, lambda r: r.creation)
            hit = next(
                (
                    r
                    for r in found
                    if (direct and r.step.same_as_for_direct_pods)
                    or all(f.of(now, None) is True for f in r.becomes)
                ),
                None,
            )
            if hit is None:
                return
            self._realise(hit, obj, now, None, line)

    def _join(self, entry: StepRule, obj: Mapping[str, Any], now: PodState, line: int) -> None:
        """A pod first seen past its creation: place it at the steps its state shows.

        Nothing before is known, so only what no past can explain is judged: a step the state
        shows all of (containers started) that no way from the pod's creation reaches past steps
        whose lasting facts the state denies (spec.nodeName unset: neither LW-10 nor NN-01 can
        have happened), reported as `_recognise` reports a step out of order. A step shown only
        by a change of the spec (UP-01: a new image) cannot be told from one state, so the pod
        may be just past it too.
        """
        self.joined = line
        rules = self.p.rules
        direct = entry.id == self.p.entries[0]
        frontier = frozenset(
            {entry.id}
            | {e for e in self.p.entries if direct and rules[e].step.same_as_for_direct_pods}
        )
        self.pos = start = frontier

        def held(step: str) -> bool:
            """The state may be past the step: none of its lasting facts is false now."""
            return all(f.of(now, None) is not False for f in rules[step].becomes if f.lasting)

        mask = self.p.mask(lambda s: not rules[s].becomes or (rules[s].creation and held(s)))
        for _ in range(len(self.p.steps)):
            found = self.p.candidates(
                frontier, mask, lambda r: bool(r.becomes) and not r.user and not r.creation
            )
            hits = [
                r
                for r in found
                if any(f.of(now, None) is True for f in r.becomes)
                and all(f.of(now, None) is not False for f in r.becomes)
            ]
            if not hits:
                break
            frontier = frozenset(r.id for r in hits)
            for r in hits:
                self._keep(r, obj, line)
        frontier |= {
            r.id
            for r in self.p.candidates(
                frontier,
                mask,
                lambda r: bool(r.becomes) and all(f.name in CHANGES for f in r.becomes),
            )
        }
        self.pos = frontier
        reachable = {r.id for r in self.p.candidates(start, self.p.mask(held), lambda r: True)}
        for rule in rules.values():
            if rule.user or rule.creation or rule.id in reachable or not rule.becomes:
                continue
            if all(f.of(now, None) is True for f in rule.becomes):
                self.pos = start
                self._out_of_order(
                    rule, now, None, lambda s: not rules[s].creation and held(s), line
                )
                self.pos = frontier
                return

    def _recognise(self, obj: Mapping[str, Any], prev: PodState, now: PodState, line: int) -> None:
        signature = self.p.signature(now, prev)
        before, self._signature = self._signature, signature
        if signature == before and (not self.p.changes or now.images == prev.images):
            return
        changed = frozenset(
            [i for i, value in enumerate(signature) if not before or value != before[i]]
        )
        done: set[str] = set()

        def passable(step: str) -> bool:
            rule = self.p.rules[step]
            return not rule.creation and all(
                f.of(now, prev) is not False for f in rule.becomes if f.lasting
            )

        mask = self.p.passable(signature)
        while True:
            found = self.p.shown_next(self.pos, mask, by="pod")
            hit = next(
                (
                    r
                    for r in found
                    if r.id not in done and any(f.turned(now, prev) for f in r.becomes)
                ),
                None,
            )
            if hit is None:
                break
            done.add(hit.id)
            self._realise(hit, obj, now, prev, line)
        for rule in self.p.touched(changed):
            if rule.id in done or not _evidenced(rule, now, prev):
                continue
            if rule.id in self.pos or (rule.id in self.obj_seq and _shows(rule, now)):
                continue  # a step going on (a container started again), not a step out of order
            if self._excused(rule, self.pos):
                self._realise(rule, obj, now, prev, line)
                break
            self._out_of_order(rule, now, prev, passable, line)
            break

    def _excused(self, rule: StepRule, position: frozenset[str]) -> bool:
        """The rule "kubelet-after-bind": the kubelet's rejection (NN-03) shown right after a bind
        that broke a scheduler filter its admission also checks (a node failing the pod's
        nodeSelector, too small, or with an untolerated NoExecute taint). The flow graph has the
        kubelet admit only the pods that name their node (NN-01), as a correct scheduler leaves
        nothing to reject; a kubelet rejecting a wrongly bound pod is right, and only the bind
        is blamed (at LW-10)."""
        return (
            bool(self.misbound)
            and rule.id in self.p.admission_rejections
            and position == self.p.singletons[self.misbound]
        )

    def _out_of_order(
        self,
        rule: StepRule,
        now: PodState,
        prev: PodState | None,
        passable: Callable[[str], bool],
        line: int,
    ) -> None:
        """The state shows `rule` where the flow cannot have reached it: name the step that stands
        in the way (LW-10 before LW-12: its lasting facts are false), or the step itself if none
        does."""
        shown = ", ".join(str(f) for f in rule.becomes if f.turned(now, prev))
        blockers = self.p.blockers(self.pos, rule.id, passable)
        if blockers:
            first = self.p.rules[blockers[0]]
            missing = [f for f in first.becomes if f.lasting and f.of(now, prev) is False]
            expected = (
                f"{first.id} ({', '.join(str(f) for f in missing) or first.step.title}) "
                f"before {rule.id}"
            )
            observed = (
                f"{shown} ({rule.id}) with "
                f"{'; '.join(f.seen(now, prev) for f in missing) or 'no sign of ' + first.id}"
            )
            self.violate(line, first.id, expected, observed, "order", key=rule.id)
        else:
            after = self._next_steps(self.pos)
            expected = (
                f"{rule.id} only where the flow allows it; after {_join(self.pos)} comes "
                f"{_join(after) or 'nothing: the flow has ended'}"
            )
            self.violate(line, rule.id, expected, f"{shown} ({rule.id})", "order", key=rule.id)

    def _realise(
        self,
        rule: StepRule,
        obj: Mapping[str, Any],
        now: PodState,
        prev: PodState | None,
        line: int,
    ) -> None:
        turned = [str(f) for f in rule.becomes if f.turned(now, prev)]
        for fact in (*rule.becomes, *rule.shows):
            if fact.of(now, prev) is False and not (
                rule.step.same_as_for_direct_pods and fact in rule.becomes
            ):
                with_ = f" with {', '.join(turned)}" if turned and str(fact) not in turned else ""
                self.violate(
                    line,
                    rule.id,
                    f"{fact} in the update that shows {rule.id}",
                    f"{fact.seen(now, prev)}{with_}",
                    "shows",
                    key=fact.key,
                )
        self._keep(rule, obj, line)
        if rule.terminal:
            self._establish(rule, (*rule.becomes, *rule.shows), now.rv, f"line {line}", line)
        if self.reject is not None and rule.id != self.reject[0]:
            self.violate(
                line,
                self.reject[0],
                self.reject[1],
                f"{rule.id}: {describe_containers(now)}",
                "admission",
                key="admission",
            )
            self.reject = None
        if any(f.name == "nodeName" and f.value == "set" for f in rule.becomes):
            if rule.creation:
                self._check_admission(rule, obj, now)
            else:
                self._check_bind(rule, obj, now, line)
        self._count(rule.id, OBJ)
        self.pos = self.p.singletons[rule.id]
        self.obj_seq[rule.id] = (self.run.seq, line)
        self._evt_mask = None
        if rule.forbids is not None and self.events:
            for (reason, type_, source), at in self.events.items():
                if rule.forbids.matches(reason, type_, source):
                    self._forbidden(rule, at, reason, source, line)

    # -- the event channel -------------------------------------------------------------------------

    def event_record(self, event: Mapping[str, Any], line: int) -> None:
        """Judge an Event about the pod: forbidden, shown in order, or evidence that a component
        acts."""
        self._reported = None
        self.first_line = min(self.first_line, line)
        meta = event.get("metadata") or {}
        reason, type_, source = event_fields(event)
        if self.event_counts is None:
            self.event_counts = {}
        if repeated(
            self.event_counts, str(meta.get("name") or f"{reason}/{source}"), event_count(event)
        ):
            return
        if self.p.forbidden(reason, type_, source):
            if self.events is None:
                self.events = {}
            self.events.setdefault((reason, type_, source), line)
        for rule in self.p.forbidding(reason, type_, source):
            if rule.id in self.obj_seq:
                self._forbidden(rule, line, reason, source, self.obj_seq[rule.id][1])
                return
        ref = obj_rv(event.get("involvedObject") or {})
        if source:
            for bind in self.p.shown_by(reason, type_, ""):
                if bind.id in self.p.bind_steps:
                    if self.state is None:
                        self._scheduled_by = (line, source, bind.id)
                    else:
                        self._check_scheduler(source, bind.id, line)
                    break
        shown = self.p.shown_by(reason, type_, source)
        if shown:
            ids = {r.id for r in shown}
            hit = next(
                (
                    r
                    for r in self.p.shown_next(self.evt_pos, self._event_mask(), by="event")
                    if r.id in ids
                ),
                None,
            )
            if hit is not None:
                self._early(hit, reason, source, line)
                self._realise_event(hit, ref, reason, line)
                return
            here = ids & self.evt_pos
            if here:
                self._early(self.p.rules[min(here)], reason, source, line)
                return
            if not any(self.p.reaches(self.evt_pos, i) for i in ids):
                rule = shown[0]
                if self._excused(rule, self.evt_pos):
                    self._realise_event(rule, ref, reason, line)
                    return
                at, what = self.evt_at
                since = f" ({what} at line {at})" if at else ""
                after = self._next_steps(self.evt_pos, events=True)
                expected = (
                    f"its {rule.event} where the flow allows {rule.id}: after "
                    f"{_join(self.evt_pos)}{since} comes {_join(after) or 'nothing'}"
                )
                observed = f"{reason} event from {source or 'an unknown source'}"
                if (
                    rule.id in self.p.admission_rejections
                    and self.evt_pos & self.p.bind_steps
                    and not self.pos & self.p.bind_steps
                    and not self.obj_seq.keys() & self.p.bind_steps
                ):
                    # The pod channel has not shown the bind yet: it may have broken a filter.
                    self._held = (line, rule.id, expected, observed)
                    return
                self.violate(line, rule.id, expected, observed, "order", key=rule.id)
                return
        component = self.p.event_sources.get(source)
        if component:
            for step in self.p.dominators(
                self.evt_pos, self.p.actor_steps.get(component, frozenset()), self._event_mask()
            ):
                if self.implicit is None:
                    self.implicit = {}
                self.implicit.setdefault(step, (line, f"{reason} from {source}"))

    def _event_mask(self) -> int:
        """Which steps the event channel may pass unseen, until either channel moves."""
        if self._evt_mask is None:
            self._evt_mask = self.p.mask(self._passable_event)
        return self._evt_mask

    def _passable_event(self, step: str) -> bool:
        rule = self.p.rules[step]
        if rule.creation:
            return step in self.obj_seq
        return rule.event is not None or self.obj_seq.get(step, (-1, 0))[0] > self.evt_moved

    def _early(self, rule: StepRule, reason: str, source: str, line: int) -> None:
        """A step shown by its Event after another component's Events said it had already
        happened. When the pod's own records showed the step first, its Event was merely
        delivered late (components record Events asynchronously, each through its own
        broadcaster: the kubelet's Pulling may land before the scheduler's Scheduled), which is
        no violation."""
        implied = self.implicit.pop(rule.id, None) if self.implicit else None
        if implied is not None and rule.id not in self.obj_seq:
            at, what = implied
            self.violate(
                line,
                rule.id,
                f"{rule.id}'s {rule.event} before the events of the steps that follow it",
                f"{reason} from {source} after {what} (line {at})",
                "order",
                key=rule.id,
            )

    def _realise_event(self, rule: StepRule, ref: int | None, reason: str, line: int) -> None:
        self.evt_pos = self.p.singletons[rule.id]
        self.evt_moved = self.run.seq
        self._evt_mask = None
        self.evt_at = (line, reason)
        self._count(rule.id, EVT)
        if ref is not None:
            facts = (
                (*rule.becomes, *rule.shows)
                if rule.terminal
                else tuple(f for f in rule.becomes if f.lasting)
            )
            self._establish(rule, facts, ref, f"its {reason} event at line {line}", line)

    def _keep(self, rule: StepRule, obj: Mapping[str, Any], line: int) -> None:
        """The fields the step keeps: their value now is theirs for the rest of the pod's life."""
        for name in rule.keeps:
            if self.kept is None:
                self.kept = {}
            self.kept[name] = (field_value(obj, name), rule.id, line)

    def _establish(
        self, rule: StepRule, facts: tuple[Fact, ...], ref: int | None, how: str, line: int
    ) -> None:
        """Facts that hold in every state of the pod newer than resourceVersion `ref`."""
        if facts:
            if self.lasting is None:
                self.lasting = []
            self.lasting.extend([f, rule.id, line, ref, how] for f in facts)

    def _ran(self, state: PodState) -> None:
        for c in state.containers:
            if c.state in ("running", "terminated") and c.name not in self.ran:
                self.ran = (*self.ran, c.name)

    def _forbidden(
        self, rule: StepRule, event_line: int, reason: str, source: str, step_line: int
    ) -> None:
        self.violate(
            event_line,
            rule.id,
            f"no {rule.forbids} for this pod: {rule.step.title} (line {step_line})",
            f"{reason} event from {source or 'an unknown source'}",
            "forbids-event",
            key=rule.id,
        )

    # -- checks ------------------------------------------------------------------------------------

    def _check_lasting(
        self, obj: Mapping[str, Any], now: PodState, prev: PodState, line: int
    ) -> None:
        if self.kept:
            self._check_kept(self.kept, obj, line)
        if self.lasting:
            self._check_established(self.lasting, now, prev, line)

    def _check_kept(
        self, kept: dict[str, tuple[Any, str, int]], obj: Mapping[str, Any], line: int
    ) -> None:
        for name, (value, step, at) in list(kept.items()):
            current = field_value(obj, name)
            if current != value:
                shown = repr(current) if current not in (None, "") else "removed"
                self.violate(
                    line,
                    step,
                    f"{name} to stay {value!r} once {step} set it (line {at})",
                    f"{name} {shown}",
                    "keeps",
                    key=name.rpartition(".")[2],
                )
                del kept[name]

    def _check_established(
        self, lasting: list[list[Any]], now: PodState, prev: PodState, line: int
    ) -> None:
        broken: dict[str, list[list[Any]]] = {}
        for item in lasting:
            fact, step, _, ref, _ = item
            if (ref is None or (now.rv is not None and now.rv > ref)) and fact.of(
                now, prev
            ) is False:
                broken.setdefault(step, []).append(item)
        for step, items in broken.items():
            facts: list[Fact] = list(dict.fromkeys(item[0] for item in items))
            expected = f"{', '.join(str(f) for f in facts)} from {step} on ({items[0][4]})"
            self.violate(
                line,
                step,
                expected,
                ", ".join(f.seen(now, prev) for f in facts),
                "lasting",
                key=facts[0].key,
            )
            for item in items:
                item[3] = float("inf")

    def _check_phase(self, prev: PodState, now: PodState, line: int) -> None:
        p = self.p
        before, after = prev.phase, now.phase
        if before == after or before not in p.phases or after not in p.phases:
            return
        allowed = p.phase_successors[before]
        if after not in allowed:
            then = ", ".join(sorted(allowed)) or f"none: {before} is final"
            self.violate(
                line,
                self._here(),
                f"a phase the {p.phase_machine} machine allows after {before} ({then})",
                f"phase {before} then {after}",
                "pod-phase",
                key="phase",
            )
        elif after == "Succeeded" and now.restart_policy == "Always" and not now.deleting:
            self.violate(
                line,
                p.container_step or self._here(),
                f"phase Succeeded only when no container will restart ({p.phase_machine}: "
                "Succeeded); under restartPolicy Always an exited container restarts",
                "phase Succeeded under restartPolicy Always, the pod not being deleted",
                "restart-policy",
                key="phase",
            )

    def _check_containers(self, prev: PodState, now: PodState, line: int) -> None:
        before = {c.name: c for c in prev.containers}
        for c in now.containers:
            b = before.get(c.name)
            if b is None or c.restarts == b.restarts:
                continue
            if c.restarts < b.restarts:
                expected, observed = (
                    f"restartCount of {c.name} never going down (it was {b.restarts})",
                    f"restartCount {c.restarts}",
                )
            elif not c.terminated_before and c.name not in self.ran:
                expected = (
                    f"{c.name} restarting only after it ran and ended "
                    "(lastState.terminated reported)"
                )
                observed = (
                    f"restartCount {b.restarts} then {c.restarts} while "
                    f"{c.state or 'in no state'}{f' ({c.reason})' if c.reason else ''}, never "
                    "seen running, no lastState.terminated"
                )
            else:
                continue
            self.violate(
                line,
                self.p.container_step or self._here(),
                expected,
                observed,
                "restarts",
                key=f"restarts.{c.name}",
            )

    def _check_bind(self, rule: StepRule, obj: Mapping[str, Any], now: PodState, line: int) -> None:
        """The scheduler's filters (spec/components/scheduler.yaml), in the order its default
        profile runs them, against the node as the trace showed it before the bind: the first
        one broken is the violation. If the kubelet's admission checks any broken one, the
        kubelet's rejection may follow (`_excused`)."""
        filters, checks = self.p.scheduler_filters, self.p.kubelet_checks
        broken: list[tuple[str, str, str]] = []
        kubelet = False
        states = self.run.node_states(now.node)
        tolerations = _tolerations(obj)
        if (
            "NodeUnschedulable" in filters
            and states
            and all((s.get("spec") or {}).get("unschedulable") for s in states)
            and not taints.tolerates(tolerations, UNSCHEDULABLE_TAINT)
        ):
            broken.append(
                (
                    "a node that passes the scheduler's NodeUnschedulable filter (not cordoned, "
                    "or the pod tolerates node.kubernetes.io/unschedulable)",
                    f"bound to {now.node}, whose spec.unschedulable is true",
                    "node-unschedulable",
                )
            )
        if "TaintToleration" in filters and states:
            taint = _untolerated(states, tolerations, taints.SCHEDULING_EFFECTS)
            if taint is not None:
                broken.append(
                    (
                        "a node that passes the scheduler's TaintToleration filter (the pod "
                        "tolerates every NoSchedule/NoExecute taint)",
                        f"bound to {now.node}, which has the untolerated taint {taint_text(taint)}",
                        "taints",
                    )
                )
                kubelet = kubelet or (
                    "TaintToleration" in checks
                    and _untolerated(states, tolerations, KUBELET_TAINT_EFFECTS) is not None
                )
        if "NodeAffinity" in filters:
            fits, wanted, seen = self._fits(obj, now.node)
            if not fits:
                broken.append(
                    (
                        f"a node that passes the scheduler's NodeAffinity filter ({wanted})",
                        f"bound to {now.node}, which has {seen}",
                        "node-affinity",
                    )
                )
                kubelet = kubelet or "NodeAffinity" in checks
        if "NodeResourcesFit" in filters and states:
            others = [
                p for uid, p in self.run.assigned.get(now.node, {}).items() if uid != self.ref.uid
            ]
            lacking = resources.bind_fit(obj, states[-1], others)
            if lacking is not None:
                broken.append(
                    (
                        "a node that passes the scheduler's NodeResourcesFit filter (the pod's "
                        "requests within what the node can allocate)",
                        f"bound to {now.node}: {lacking.reason} (the pod requests "
                        f"{lacking.requested}, the {len(others)} pods bound there {lacking.used}, "
                        f"of {lacking.capacity})",
                        "resources",
                    )
                )
                kubelet = kubelet or "NodeResourcesFit" in checks
        if broken:
            expected, observed, kind = broken[0]
            self.violate(line, rule.id, expected, observed, kind, key="nodeName")
        self.misbound = rule.id if kubelet else ""
        if self._held is not None:
            held, self._held = self._held, None
            if not kubelet:
                self.violate(held[0], held[1], held[2], held[3], "order", key=held[1])

    def _check_scheduler(self, source: str, step: str, line: int) -> None:
        """A Scheduled Event comes from the scheduler the pod names (spec.schedulerName): no
        other scheduler places it."""
        wanted = self.scheduler or DEFAULT_SCHEDULER
        if source != wanted:
            self.violate(
                line,
                step,
                f"the pod's own scheduler ({wanted}) to schedule it",
                f"a Scheduled Event from {source}",
                "scheduler-name",
                key="schedulerName",
            )

    def _check_admission(self, rule: StepRule, obj: Mapping[str, Any], now: PodState) -> None:
        rejections = self.p.rejections.get(rule.id, ())
        if not rejections:
            return
        if "NodeResourcesFit" in self.p.kubelet_checks and self._lacks(rejections[0], obj, now):
            return
        title = self.p.steps[rejections[0]].title
        what = f"{rejections[0]}: {title[0].lower()}{title[1:]}"
        if "NodeAffinity" in self.p.kubelet_checks:
            fits, wanted, seen = self._fits(obj, now.node)
            if not fits:
                self.reject = (
                    rejections[0],
                    f"{what} ({now.node} has {seen}; the pod wants {wanted})",
                )
                return
        states = self.run.node_states(now.node)
        if "TaintToleration" in self.p.kubelet_checks and states and not _static(obj):
            taint = _untolerated(states, _tolerations(obj), KUBELET_TAINT_EFFECTS)
            if taint is not None:
                self.reject = (
                    rejections[0],
                    f"{what} ({now.node} has the untolerated taint {taint_text(taint)}; "
                    "TaintToleration)",
                )

    def _lacks(self, rejection: str, obj: Mapping[str, Any], now: PodState) -> bool:
        """Whether the node (as last seen) lacks a resource for the pod, counting the pods its
        kubelet surely admitted: then the kubelet must reject it (`rejection`), never run it."""
        node = self.run.node_objects.get(now.node)
        if node is None:
            return False
        others = [
            p for uid, p in self.run.admitted.get(now.node, {}).items() if uid != self.ref.uid
        ]
        lacking = resources.admission_fit(obj, node, others)
        if lacking is None:
            return False
        title = self.p.steps[rejection].title
        self.reject = (
            rejection,
            f"{rejection}: {title[0].lower()}{title[1:]} ({now.node} has too little "
            f"{lacking.resource}: the pod requests {lacking.requested}, its admitted pods "
            f"{lacking.used}, of {lacking.capacity}; OutOf{lacking.resource})",
        )
        return True

    def _fits(self, obj: Mapping[str, Any], node: str) -> tuple[bool, str, str]:
        """Whether the node's labels (as last seen, or just before) pass the pod's nodeSelector and
        required affinity."""
        states = self.run.labels(node)
        spec = obj.get("spec") or {}
        fit = affinity.node_fit(spec)
        wanted = selector_text(spec.get("nodeSelector")) or "its required node affinity"
        if states is None or not fit.constrained:
            return True, wanted, ""
        fits = any(fit.matches(labels, node) for labels in states)
        seen = ", ".join(
            f"{k}={states[-1][k]}" if k in states[-1] else f"no {k} label" for k in sorted(fit.keys)
        )
        return fits, wanted, seen

    # -- bookkeeping -------------------------------------------------------------------------------

    def _count(self, step: str, channel: int) -> None:
        obj, evt = self.visits.get(step, (0, 0))
        obj, evt = (obj + 1, evt) if channel == OBJ else (obj, evt + 1)
        self.visits[step] = (obj, evt)
        if (obj if channel == OBJ else evt) > (evt if channel == OBJ else obj):
            self.path.append(step)
            self.run.step_counts[step] += 1

    def _here(self) -> str:
        return min(self.pos) if self.pos else self.p.entries[0]

    def _notify(self, kind: str | None) -> str:
        return (
            self.p.notify.get(kind or "MODIFIED")
            or self.p.notify.get("MODIFIED")
            or next(iter(self.p.notify.values()), self._here())
        )

    def _next_steps(self, position: frozenset[str], *, events: bool = False) -> list[str]:
        """The observable steps that may come next (with `events`, the next ones an Event shows)."""
        if events:
            return [
                r.id
                for r in self.p.candidates(
                    position, self.p.eventless, lambda r: r.event is not None
                )
            ]
        return [
            r.id for r in self.p.candidates(position, 0, lambda r: not r.user and not r.creation)
        ]

    def violate(
        self, line: int, step: str, expected: str, observed: str, rule: str, *, key: str = ""
    ) -> None:
        """Record a violation by this pod, once per `key` (the thing it is about) per record."""
        if self._reported is None:
            self._reported = set()
        if key and key in self._reported:
            return
        self._reported.add(key)
        violation = Violation(line, self.ref, step, expected, observed, rule)
        if self.violations is None:
            self.violations = []
        self.violations.append(violation)
        self.run.report(violation)

    def verdict(self) -> PodVerdict:
        """The pod's verdict now: fail with violations; pass when its flow ended; inconclusive when
        not."""
        if self._held is not None:  # the pod channel never showed the bind: nothing excuses it
            held, self._held = self._held, None
            self._reported = None
            self.violate(held[0], held[1], held[2], held[3], "order", key=held[1])
        state = self.state
        p = self.p
        phase, node = (state.phase, state.node) if state else ("", "")
        ended = (
            self.deleted is not None
            or (state is not None and state.phase in p.final_phases)
            or bool(self.pos & p.ends)
            or any(e in p.ends and _shows(p.rules[e], state) for e in self.evt_pos)
        )
        if self.violations:
            verdict, note = (
                FAIL,
                f"{len(self.violations)} violation{'s' if len(self.violations) > 1 else ''}",
            )
        elif ended:
            verdict = PASS
            note = (
                "deleted"
                if self.deleted is not None
                else f"ended at {_join(self.pos | (self.evt_pos & p.ends)) or phase}"
            )
        else:
            verdict = INCONCLUSIVE
            where = _join(self.pos) if self.pos else "no state of the pod seen"
            shown = (
                f"{phase or 'no phase'}{f' on {node}' if node else ''}; "
                f"{describe_containers(state)}"
                if state
                else "only its Events"
            )
            note = (
                f"the trace ends at {where} ({shown}); next in the spec: "
                f"{_join(self._next_steps(self.pos or self.evt_pos)) or '?'}"
            )
        if self.joined and verdict != FAIL:
            note += f"; first seen at line {self.joined}, past its creation"
        return PodVerdict(
            self.ref,
            verdict,
            tuple(self.path),
            phase,
            node,
            note,
            self.first_line,
            self.last_line,
            tuple(self.violations or ()),
            self.summary,
        )


def _scheduler_of(obj: Mapping[str, Any]) -> str:
    name = (obj.get("spec") or {}).get("schedulerName")
    return DEFAULT_SCHEDULER if not name else intern(str(name))


def _static(obj: Mapping[str, Any]) -> bool:
    """A static pod's mirror (its kubelet read it from a file, not from the API): the kubelet's
    admission checks no taint of its (predicate.go: "Check taint/toleration except for static
    pods")."""
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    return MIRROR in annotations or annotations.get(CONFIG_SOURCE, "api") != "api"


def _tolerations(obj: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [t for t in (obj.get("spec") or {}).get("tolerations") or () if isinstance(t, Mapping)]


def _untolerated(
    states: tuple[Mapping[str, Any], ...],
    tolerations: list[Mapping[str, Any]],
    effects: frozenset[str],
) -> Mapping[str, Any] | None:
    """A taint with one of `effects` the pod does not tolerate, on the node in each of its
    `states` (one added or removed under a bind is not held against it): the last one's."""
    found = None
    for state in states:
        node_taints = [
            t for t in (state.get("spec") or {}).get("taints") or () if isinstance(t, Mapping)
        ]
        found = taints.first_untolerated(node_taints, tolerations, effects=effects)
        if found is None:
            return None
    return found


def taint_text(taint: Mapping[str, Any]) -> str:
    """`dedicated=gpu:NoSchedule`, as kubectl writes a taint (`key:NoSchedule` without a value)."""
    value = taint.get("value")
    return f"{taint.get('key', '')}{f'={value}' if value else ''}:{taint.get('effect', '')}"


def _evidenced(rule: StepRule, now: PodState, prev: PodState) -> bool:
    """Whether the update shows all of the step at once: each fact turned from known false, or
    unknown."""
    strict = [f.turned(now, prev, strictly=True) for f in rule.becomes]
    return any(strict) and all(
        s or f.of(now, prev) is None for s, f in zip(strict, rule.becomes, strict=True)
    )


def _shows(rule: StepRule, state: PodState | None) -> bool:
    if state is None:
        return True
    facts: tuple[Fact, ...] = (*rule.becomes, *rule.shows)
    return all(f.of(state, None) is not False for f in facts)


def _join(steps: Collection[str]) -> str:
    return " or ".join(sorted(steps))


def field_value(obj: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path (`spec.nodeName`), None where it is absent."""
    value: Any = obj
    for part in _parts(path):
        if not (type(value) is dict or isinstance(value, Mapping)):
            return None
        value = value.get(part)
    return value


@functools.lru_cache(maxsize=256)
def _parts(path: str) -> tuple[str, ...]:
    return tuple(path.split("."))


def obj_rv(obj: Mapping[str, Any]) -> int | None:
    rv = (obj.get("metadata") or {}).get("resourceVersion", obj.get("resourceVersion"))
    return int(rv) if isinstance(rv, str) and rv.isdigit() else None


def event_count(event: Mapping[str, Any]) -> Any:
    """How many times the Event has happened: `count` (core/v1), `series.count` (events/v1), else
    once."""
    return event.get("count") or (event.get("series") or {}).get("count") or 1


def repeated(counts: dict[str, Any], name: str, count: Any) -> bool:
    """Whether this occurrence of the Event `name` was seen already (a re-list replays Events), else
    note it.

    One watch delivers an Event's updates in order, its count going up: only its last count is
    kept, so what is held grows with the Events, not with how often each happens.
    """
    seen = counts.get(name)
    if seen is not None and (
        count <= seen if isinstance(count, int) and isinstance(seen, int) else count == seen
    ):
        return True
    counts[name] = count
    return False


def event_fields(event: Mapping[str, Any]) -> tuple[str, str, str]:
    """(reason, type, source) of a core/v1 Event, legacy (`source.component`) or events/v1 style
    (`reportingComponent`)."""
    source = (
        (event.get("source") or {}).get("component")
        or event.get("reportingComponent")
        or event.get("reportingController")
        or ""
    )
    return str(event.get("reason") or ""), str(event.get("type") or ""), str(source)


def selector_text(labels: Mapping[str, str] | None) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted((labels or {}).items()))
