"""What a recorded run covered: how often each step was observed, and which steps broke the spec.

The counts come from one of three places, in this order of preference:

1. counts given by the caller;
2. the trace's STEP records (the simulator's own account: every step, internal ones included,
   with the component that acted, so a step with several actors, as LW-01, is counted per actor);
3. the checker's count of the observable steps it found in the trace's Pods and Events, for a
   trace from a real cluster: then internal steps are marked as not visible.

Violations are the checker's, with its messages, plus any given by the caller as (step ID,
message) pairs; an ID the spec does not know, or an empty one, is a violation of the run as a whole.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from listwatch import checker, tracefile
from listwatch.spec.model import Spec, frozen_mapping

STEP = "STEP"


@dataclass(frozen=True, slots=True)
class Coverage:
    """How often each step was observed (absent: never), per acting component where known, and
    violations."""

    counts: Mapping[str, int]
    by_actor: Mapping[str, Mapping[str, int]] = field(default_factory=frozen_mapping)
    violations: tuple[tuple[str, str], ...] = ()
    #: True when the counts were inferred from objects: internal steps could not be seen at all.
    inferred: bool = False
    records: int = 0

    def count(self, step_id: str, actor: str = "") -> int:
        """Times the step was observed; with `actor`, times that component performed it, if
        known."""
        per_actor = self.by_actor.get(step_id)
        if actor and per_actor:
            return int(per_actor.get(actor, 0))
        return int(self.counts.get(step_id, 0))

    def violated(self, step_id: str) -> list[str]:
        """The messages of the violations at a step, in the order given."""
        return [message for step, message in self.violations if step == step_id]


def of_trace(
    spec: Spec,
    records: Iterable[tracefile.Record | Mapping[str, Any]],
    *,
    counts: Mapping[str, int] | None = None,
    violations: Sequence[tuple[str, str]] = (),
) -> Coverage:
    """The coverage of a trace: `counts` if given, else its STEP records, else the checker's
    counts."""
    read = [
        r if isinstance(r, tracefile.Record) else next(iter(tracefile.records_of([r])))
        for r in records
    ]
    report = checker.check_records(read, spec)
    given = tuple((str(step), str(message)) for step, message in violations)
    given += tuple((v.step, v.message) for v in report.violations)
    if counts is not None:
        return Coverage(frozen_mapping(dict(counts)), violations=given, records=len(read))
    steps = [r.object for r in read if r.type == STEP]
    if steps:
        total: Counter[str] = Counter()
        by_actor: dict[str, Counter[str]] = {}
        known = set(spec.flow.step_ids)
        for record in steps:
            step_id = str(record.get("step", ""))
            total[step_id] += 1
            actor = str(record.get("actor", "")).partition("/")[0]
            if step_id in known and actor in spec.flow.step(step_id).sources:
                by_actor.setdefault(step_id, Counter())[actor] += 1
        multi = {s: dict(c) for s, c in by_actor.items() if len(spec.flow.step(s).sources) > 1}
        return Coverage(
            frozen_mapping(dict(total)), frozen_mapping(multi), given, records=len(read)
        )
    seen = {step: count for step, count in report.step_counts.items() if count}
    return Coverage(frozen_mapping(seen), violations=given, inferred=True, records=len(read))
