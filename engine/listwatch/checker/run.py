"""`listwatch check TRACE`: judge a recorded run of any implementation against the spec's observable
projection.

Contract (the programmatic API):

- `check_trace(source, spec) -> Report` reads a trace file, `-` (standard input) or an open text
  stream in any shape `tracefile` accepts; `check_records(records, spec) -> Report` judges
  records already read (`tracefile.Record`s, or parsed JSON values: a value's line is then its
  position). `Checker(spec)` does the same one record at a time (`feed`, then `finish`), holding
  per pod only its last state and what it established, never the records (an Event that repeats
  is remembered by its last count): memory grows with the number of pods, not with the length of
  the trace (benchmarks/bench_checker.py measures both).
- `Report.pods`: one `PodVerdict` per pod (per uid: a name reused with a new uid is a new pod), in
  the order first seen: `pass` (no violation, and its flow ended: it reached the last observable
  step of a variant, a final phase, or was deleted), `fail` (at least one violation) or
  `inconclusive` (no violation, but the trace ends mid-flow).
- `Report.violations`: each with the pod (kind, namespace, name, uid), the line on which the
  offending record starts, the spec step expected, what was expected and what was observed, and
  the kind of rule (`verdicts.RULES`); in the order found.
- `Report.step_counts`: for every observable step of the spec, how often the run showed it (0 if
  never): once per passage, from the Pod's states and the Events, whichever shows it; only for
  steps a client can see (a step observable only `when` something applies, such as LW-06 for a
  pod created directly, counts only when it shows). `Report.step_records` counts the simulator's
  STEP records, internal steps included, when the trace has them.
- `Report.exit_code(strict=...)`: 1 with any violation (or, strict, any inconclusive pod), else 0.

What is judged comes from the spec (see `projection`): change the spec and the checker changes.
What varies between Kubernetes versions is tolerated: conditions a cluster does not report,
fields nobody knows, states a watcher never saw, re-lists after 410 Gone, BOOKMARKs, Events
that never came. STEP records, when present, are checked against the flow graph too (internal
steps included); the observable projection never needs them. A STEP record that cannot follow
the one before is reported against the step expected there: the first step of the shortest way
from the one before to it (LW-10 for an LW-11 right after LW-09: the bind's record is missing),
or the recorded step itself when no way leads there (a step repeated, or recorded too late).

One rule is the checker's own, as the flow graph cannot say it: after a bind (LW-10) that broke a
scheduler filter the kubelet's admission also checks (spec/components/kubelet.yaml: NodeAffinity,
NodeResourcesFit, TaintToleration of NoExecute taints), the kubelet's rejection (NN-03) may come
next, from either channel: a kubelet rejecting a wrongly bound pod is right, and only the bind is
blamed. The graph keeps NN-03 after NN-01 only, so a rejection after a correct bind (or one that
broke only a filter the kubelet does not check: a NoSchedule taint, a cordon) is out of order.

Two of the flow's steps show the same Event (RC-01 and RC-02: SuccessfulCreate); the checker
tells them apart by RC-02's `watch: DELETED`: a SuccessfulCreate right after one of the
controller's pods was deleted is a replacement. Events one reconcile writes together (same
controller, reason and second, no pod of the controller deleted in between) are one step.
"""

from __future__ import annotations

import argparse
import json
import os
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from sys import intern
from typing import IO, Any

from listwatch import printers, tracefile
from listwatch.actions import ObjectRef
from listwatch.apiserver.kinds import events
from listwatch.checker import replicas, rollouts, scenario
from listwatch.checker.lifecycle import Lifecycle, Run, event_count, event_fields, repeated
from listwatch.checker.projection import Projection, StepRule
from listwatch.checker.replicas import Replicas
from listwatch.checker.verdicts import FAIL, INCONCLUSIVE, PASS, PodVerdict, Violation
from listwatch.spec.model import Spec, Step

__all__ = [
    "Checker",
    "PodVerdict",
    "Report",
    "Violation",
    "add_arguments",
    "check_records",
    "check_trace",
    "command",
]

GONE = 410
#: How many pods the summary table lists before it only counts the rest.
TABLE_ROWS = 200


@dataclass(frozen=True, slots=True)
class Report:
    """The judgement of one run (see the module docstring for what each field promises)."""

    name: str
    records: int
    pods: tuple[PodVerdict, ...]
    violations: tuple[Violation, ...]
    step_counts: Mapping[str, int]
    step_records: Mapping[str, int] = field(default_factory=dict)
    relists: int = 0
    #: Nodes seen in the trace, with their last labels.
    nodes: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def count(self, verdict: str) -> int:
        return sum(1 for p in self.pods if p.verdict == verdict)

    def exit_code(self, *, strict: bool = False) -> int:
        """1 if the run breaks the spec (or, strict, leaves a pod mid-flow), else 0."""
        if self.violations or (strict and self.count(INCONCLUSIVE)):
            return 1
        return 0

    def as_json(self) -> dict[str, Any]:
        """The report as JSON-ready data, for tools (and `--format json`)."""
        return {
            "trace": self.name,
            "records": self.records,
            "relists": self.relists,
            "summary": {v: self.count(v) for v in (PASS, FAIL, INCONCLUSIVE)},
            "pods": [
                {
                    "namespace": p.pod.namespace,
                    "name": p.pod.name,
                    "uid": p.pod.uid,
                    "verdict": p.verdict,
                    "steps": list(p.steps),
                    "phase": p.phase,
                    "node": p.node,
                    "note": p.note,
                    "lines": [p.first_line, p.last_line],
                }
                for p in self.pods
            ],
            "violations": [
                {
                    "line": v.line,
                    "kind": v.pod.kind,
                    "namespace": v.pod.namespace,
                    "name": v.pod.name,
                    "uid": v.pod.uid,
                    "step": v.step,
                    "expected": v.expected,
                    "observed": v.observed,
                    "rule": v.rule,
                }
                for v in self.violations
            ],
            "step_counts": dict(self.step_counts),
            "step_records": dict(self.step_records),
        }


@dataclass(slots=True)
class _Controller:
    """A ReplicationController or ReplicaSet, followed through its Events only."""

    pos: frozenset[str]
    group: tuple[str, str] = ("", "")
    #: Each of its Events by name, with the last count seen.
    counts: dict[str, Any] = field(default_factory=dict)


class Checker:
    """Judges a run one record at a time; `finish` gives the `Report` (see the module docstring)."""

    def __init__(self, spec: Spec, *, name: str = "trace") -> None:
        self.projection = Projection(spec)
        self.name = name
        self.run = Run(self.projection)
        self.records = 0
        self.relists = 0
        self._pods: dict[str, Lifecycle] = {}
        self._names: dict[str, str] = {}
        self._controllers: dict[str, _Controller] = {}
        self._step_pos: dict[str, str] = {}
        self._step_records: Counter[str] = Counter()
        self.replicas = Replicas()
        self.rollouts = rollouts.Rollouts()
        #: The step in which a controller creates pods (where too many replicas is blamed).
        self._creating = next(
            (s.id for s in spec.flow.steps if s.id in self.projection.rules and _creates(s)), ""
        )

    def feed(self, record: tracefile.Record) -> None:
        """Judge one record; violations are kept for the report."""
        self.records += 1
        self.run.seq += 1
        obj = record.object
        if record.type == tracefile.STEP:
            self._step(obj, record.line)
        elif record.type == "ERROR":
            if (
                obj.get("code") or (obj.get("status") if isinstance(obj.get("status"), int) else 0)
            ) == GONE:
                self.relists += 1
        elif record.type in ("BOOKMARK", tracefile.EXPLAIN):
            return
        else:
            kind = obj.get("kind")
            if kind == "Pod":
                self._pod(record.type, obj, record.line)
            elif kind == "Event":
                self._event(obj, record.line)
            elif kind == "Node":
                self._node(obj)
            elif kind in replicas.KINDS:
                self.replicas.controller(record.type, obj)
            if kind in rollouts.KINDS:
                self._rollout(record.type, obj, record.line)

    def finish(self) -> Report:
        """The report of everything fed so far."""
        p = self.projection
        counts = {s: self.run.step_counts.get(s, 0) for s in p.rules}
        nodes = {name: dict(states[-1]) for name, states in self.run.nodes.items()}
        return Report(
            name=self.name,
            records=self.records,
            pods=tuple(life.verdict() for life in self._pods.values()),
            violations=tuple(self.run.violations),
            step_counts=counts,
            step_records=dict(self._step_records),
            relists=self.relists,
            nodes=nodes,
        )

    # -- routing -----------------------------------------------------------------------------------

    def _lifecycle(self, ref: ObjectRef, line: int) -> Lifecycle:
        """The pod's lifecycle (by uid, or by name for an object without one), made when first
        seen."""
        key = ref.uid or f"{ref.namespace}/{ref.name}"
        life = self._pods.get(key)
        if life is None:
            ref = ObjectRef(intern(ref.kind), intern(ref.namespace), ref.name, ref.uid)
            life = self._pods[key] = Lifecycle(self.run, ref, line)
            if ref.uid:
                self._names[f"{ref.namespace}/{ref.name}"] = ref.uid
        return life

    def _pod(self, kind: str | None, obj: Mapping[str, Any], line: int) -> None:
        uid = (obj.get("metadata") or {}).get("uid")
        life = self._pods.get(uid) if uid else None
        if life is None:
            life = self._lifecycle(ObjectRef.of(obj), line)
        life.pod_record(kind, obj, line)
        self.run.note_admitted(kind, obj)
        too_many = self.replicas.pod(kind, obj)
        if too_many is not None and self._creating:
            life.violate(line, self._creating, *too_many, "replicas", key="replicas")

    def _rollout(self, kind: str | None, obj: Mapping[str, Any], line: int) -> None:
        """A Deployment or ReplicaSet record: a ReplicaSet grown past its Deployment's surge
        limit is the controller manager's violation (`rollouts`)."""
        too_many = self.rollouts.feed(kind, obj)
        if too_many is not None and self._creating:
            violation = Violation(line, ObjectRef.of(obj), self._creating, *too_many, "surge")
            self.run.report(violation)

    def _event(self, event: Mapping[str, Any], line: int) -> None:
        event = events.as_core(event)  # a watch of events.k8s.io/v1 reads as one of core/v1
        involved = event.get("involvedObject") or {}
        if involved.get("kind") != "Pod":
            self._controller_event(event, involved, line)
            return
        uid = involved.get("uid")
        life = self._pods.get(uid) if uid else None
        if life is not None:
            life.event_record(event, line)
            return
        namespace = str(
            involved.get("namespace") or (event.get("metadata") or {}).get("namespace") or ""
        )
        name = str(involved.get("name") or "")
        uid = str(involved.get("uid") or self._names.get(f"{namespace}/{name}", ""))
        self._lifecycle(ObjectRef("Pod", namespace, name, uid), line).event_record(event, line)

    def _node(self, node: Mapping[str, Any]) -> None:
        meta = node.get("metadata") or {}
        name = str(meta.get("name", ""))
        states = self.run.nodes.setdefault(name, [])
        states.append(dict(meta.get("labels") or {}))
        del states[:-2]
        before = self.run.node_objects.get(name)
        if before is not None and before.get("spec") != node.get("spec"):
            self.run.node_before[name] = before  # a status update (a heartbeat) changes no spec
        self.run.node_objects[name] = node

    def _controller_event(
        self, event: Mapping[str, Any], involved: Mapping[str, Any], line: int
    ) -> None:
        """A controller's Event: count the step it shows (LW-06, RC-01, RC-02); nothing here is
        judged."""
        p = self.projection
        reason, type_, source = event_fields(event)
        shown = [r for r in p.shown_by(reason, type_, source) if not r.becomes and not r.creation]
        if not shown:
            return
        uid = str(
            involved.get("uid")
            or f"{involved.get('kind')}/{involved.get('namespace')}/{involved.get('name')}"
        )
        track = self._controllers.setdefault(uid, _Controller(frozenset(p.entries[:1])))
        meta = event.get("metadata") or {}
        group = (
            reason,
            str(
                event.get("firstTimestamp")
                or event.get("eventTime")
                or event.get("lastTimestamp")
                or ""
            )[:19],
        )
        replaced = uid in self.run.owned_deleted
        if repeated(track.counts, str(meta.get("name", "")), event_count(event)) or (
            group == track.group and not replaced
        ):
            return
        track.group = group
        self.run.owned_deleted.discard(uid)
        ids = {r.id for r in shown}
        found = p.candidates(
            track.pos,
            lambda s: not p.rules[s].becomes and not p.rules[s].creation,
            lambda r: r.id in ids,
        )
        hit = _attribute(found, replaced) or _attribute(
            [r for r in shown if r.id in track.pos], replaced
        )
        if hit is not None:
            track.pos = frozenset({hit.id})
            self.run.step_counts[hit.id] += 1

    # -- STEP records ------------------------------------------------------------------------------

    def _step(self, record: Mapping[str, Any], line: int) -> None:
        """A simulator STEP record: it must follow its object's previous step in the flow graph."""
        p = self.projection
        step = str(record.get("step", ""))
        self._step_records[step] += 1
        obj = record.get("object") or {}
        if step not in p.steps:
            self._step_violation(
                obj, line, step or "?", "a step the spec declares", f"STEP {step!r}"
            )
            return
        declared = record.get("observable")
        if isinstance(declared, bool) and declared != (step in p.rules):
            said = "observable" if declared else "internal"
            self._step_violation(
                obj,
                line,
                step,
                f"{step} marked {'observable' if step in p.rules else 'internal'}, as the spec "
                "says",
                f"STEP {step} marked {said}",
            )
        uid = obj.get("uid")
        if not uid:
            return
        last = self._step_pos.get(uid)
        self._step_pos[uid] = p.steps[step].id  # the spec's string, not the record's
        if last is None:
            if step not in p.entries:
                expected = p.missing(p.entries, step) or step
                self._step_violation(
                    obj,
                    line,
                    expected,
                    "the object's flow to start at an entry "
                    f"({', '.join(p.entries)}){_on_the_way(expected, step)}",
                    f"STEP {step} first",
                )
        elif step not in p.next[last]:
            after = ", ".join(p.next[last]) or "nothing"
            expected = p.missing(p.next[last], step) or step
            self._step_violation(
                obj,
                line,
                expected,
                f"after {last}, one of: {after}{_on_the_way(expected, step)}",
                f"STEP {step}",
            )

    def _step_violation(
        self, obj: Mapping[str, Any], line: int, step: str, expected: str, observed: str
    ) -> None:
        """A violation of the flow graph by a STEP record about `obj` (its kind, namespace, name and
        uid)."""
        ref = ObjectRef(
            str(obj.get("kind", "")),
            str(obj.get("namespace", "")),
            str(obj.get("name", "")),
            str(obj.get("uid", "")),
        )
        if ref.kind == "Pod":
            self._lifecycle(ref, line).violate(
                line, step, expected, observed, "flow", key=f"flow.{line}"
            )
        else:
            self.run.report(Violation(line, ref, step, expected, observed, "flow"))


def _creates(step: Step) -> bool:
    """Whether the step shows a controller creating pods (its Event is SuccessfulCreate)."""
    reasons = ((step.observable or {}).get("event") or {}).get("reason") or ()
    return "SuccessfulCreate" in ((reasons,) if isinstance(reasons, str) else reasons)


def _on_the_way(missing: str, step: str) -> str:
    return f" ({missing} before {step})" if missing != step else ""


def _attribute(found: list[StepRule], replaced: bool) -> StepRule | None:
    """The step a controller's Event shows: a replacement (`watch: DELETED`) only after an owned pod
    was deleted."""
    fitting = [r for r in found if (r.watch == "DELETED") == replaced] or [
        r for r in found if r.watch != "DELETED"
    ]
    return fitting[0] if fitting else None


def check_records(
    records: Iterable[tracefile.Record | Mapping[str, Any]], spec: Spec, *, name: str = "trace"
) -> Report:
    """Judge records already read: `tracefile.Record`s, or parsed JSON values (line = position)."""
    checker = Checker(spec, name=name)
    for number, item in enumerate(records, 1):
        if isinstance(item, tracefile.Record):
            checker.feed(item)
        else:
            for record in tracefile.records_of([item], name=name):
                checker.feed(tracefile.Record(number, record.type, record.object))
    return checker.finish()


def check_trace(
    source: str | os.PathLike[str] | IO[str], spec: Spec, *, name: str | None = None
) -> Report:
    """Read and judge a trace (a path, `-` for standard input, or an open text stream),
    streaming."""
    label = name or (
        os.fspath(source)
        if isinstance(source, (str, os.PathLike))
        else getattr(source, "name", "trace")
    )
    checker = Checker(spec, name=str(label))
    for record in tracefile.read(source, name=name):
        checker.feed(record)
    return checker.finish()


# -- the command -----------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `listwatch check`: TRACE, --strict, --emit-feature FILE, --format
    text|json."""
    parser.add_argument(
        "trace",
        nargs="?",
        metavar="TRACE",
        help="the recorded run, or - for standard input: JSON Lines (`listwatch record`), `kubectl "
        "get pods -w -o json --output-watch-events`, a JSON array or a List",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="a pod whose flow the trace leaves unfinished (inconclusive) fails the check too",
    )
    parser.add_argument(
        "--emit-feature",
        metavar="FILE",
        help="write a Gherkin scenario reproducing each kind of violation found to FILE",
    )
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="the report as a table (default) or as JSON",
    )


def command(args: argparse.Namespace, out: IO[str], err: IO[str], spec: Spec) -> int:
    """Check the trace and print the report. Exit 0: the run keeps to the spec; 1: it does not
    (with --strict, also when a pod is left mid-flow); 2: the trace cannot be read (the error names
    the file and line)."""
    try:
        report = check_trace(
            args.trace, spec, name="<stdin>" if args.trace == tracefile.STDIN else None
        )
    except tracefile.TraceError as exc:
        err.write(f"error: {exc}\n")
        return 2
    if args.format == "json":
        out.write(json.dumps(report.as_json(), indent=2) + "\n")
    else:
        write_report(report, out, strict=args.strict)
    if args.emit_feature:
        text = scenario.feature(report, spec)
        if text is None:
            what = "no violation a scenario can reproduce" if report.violations else "no violation"
            err.write(f"{what}: nothing written to {args.emit_feature}\n")
        else:
            try:
                with open(args.emit_feature, "w", encoding="utf-8") as stream:
                    stream.write(text)
            except OSError as exc:
                err.write(f"error: {args.emit_feature}: cannot be written: {exc.strerror or exc}\n")
                return 2
            err.write(f"a scenario reproducing the violations written to {args.emit_feature}\n")
    return report.exit_code(strict=args.strict)


def violation_line(name: str, v: Violation) -> str:
    """One violation on a line: where in the trace, which object, what the spec expected."""
    uid = f" (uid {v.pod.uid})" if v.pod.uid else ""
    kind = "" if v.pod.kind in ("Pod", "") else f"{v.pod.kind} "
    return f"{name}:{v.line}: {kind}{v.pod}{uid}: {v.message}"


def write_report(report: Report, out: IO[str], *, strict: bool = False) -> None:
    """The report for people: the violations, a table of pods, the steps observed, the outcome."""
    if report.violations:
        out.write(f"Violations ({len(report.violations)}):\n")
        for v in report.violations:
            out.write(f"  {violation_line(report.name, v)}\n")
        out.write("\n")
    if report.pods:
        rows = ["POD\tUID\tVERDICT\tSTEPS OBSERVED\tNOTE"]
        for p in report.pods[:TABLE_ROWS]:
            rows.append(
                "\t".join(
                    (str(p.pod), p.pod.uid or "<none>", p.verdict, " ".join(p.steps) or "-", p.note)
                )
            )
        out.write(printers.tabwrite(rows))
        if len(report.pods) > TABLE_ROWS:
            out.write(
                f"... and {len(report.pods) - TABLE_ROWS} more pods (--format json lists them "
                "all)\n"
            )
        out.write("\n")
    seen = ", ".join(f"{s} \u00d7{n}" for s, n in report.step_counts.items())
    out.write(f"Observable steps observed: {seen}\n")
    if report.step_records:
        recorded = ", ".join(f"{s} \u00d7{n}" for s, n in sorted(report.step_records.items()))
        out.write(f"STEP records: {recorded}\n")
    relists = (
        f", {report.relists} re-list{'s' if report.relists != 1 else ''} after 410 Gone"
        if report.relists
        else ""
    )
    verdicts = ", ".join(f"{report.count(v)} {v}" for v in (PASS, FAIL, INCONCLUSIVE))
    outcome = "FAILED" if report.exit_code(strict=strict) else "PASSED"
    why = (
        " (--strict: inconclusive pods fail)"
        if strict and report.count(INCONCLUSIVE) and not report.violations
        else ""
    )
    out.write(
        f"{report.name}: {report.records} records{relists}; {len(report.pods)} pods: {verdicts}; "
        f"{len(report.violations)} violation{'s' if len(report.violations) != 1 else ''}. "
        f"{outcome}{why}\n"
    )
