"""A recorded run drawn over the flow: each edge with how often the run showed it, and what broke.

The picture is the full flow (`flow.full`'s layout: every step of the spec), restyled by a
`coverage.Coverage`:

- an edge observed n times is labelled `ID ×n` and keeps its component's colour and style;
- an edge never observed is grey, labelled `ID ×0`;
- when the counts were inferred from objects (a real cluster's trace), an internal step cannot
  be seen at all: it is grey and dotted, labelled `ID —`;
- a step with a violation is red and thick, with the first message on the edge and every message
  in the table; violations not tied to a known step are listed under the title.
"""

from __future__ import annotations

from collections.abc import Mapping

import graphviz

from listwatch.render import coverage, flow, style, text
from listwatch.spec.model import Spec, Step

UNSEEN_LOOK: Mapping[str, str] = {"style": "solid", "penwidth": "1.2"}
INVISIBLE_LOOK: Mapping[str, str] = {"style": "dotted", "penwidth": "1.2"}
VIOLATION_LOOK: Mapping[str, str] = {"style": "bold", "penwidth": "2.8"}


def picture(
    spec: Spec, pal: style.Palette, run: coverage.Coverage, *, name: str = "run"
) -> graphviz.Digraph:
    """The flow with `run` drawn over it: counts on edges, unseen steps grey, violations red."""
    arcs: list[flow.Arc] = []
    rows: list[flow.Row] = []
    for step in spec.flow.steps:
        for source, target in flow.pairs(step):
            arcs.append(_arc(pal, run, step, source, target))
        rows.append(_row(pal, run, step))
    seen = sum(1 for s in spec.flow.steps if run.count(s.id))
    title = (
        f"A run over the flow: {seen} of {len(spec.flow.steps)} steps observed in "
        f"{run.records} trace records"
    )
    if run.violations:
        title += f"; {len(run.violations)} violation{'s' if len(run.violations) != 1 else ''}"
    key = (
        "Each edge: how often the run showed the step. Grey: never observed. Red: broke the "
        "spec, with the message."
    )
    if run.inferred:
        key += (
            " No STEP records: the checker found the observable steps in the Pods and Events; "
            "internal steps (dotted, \u2014) cannot be seen in a watch."
        )
    known = set(spec.flow.step_ids)
    loose = [f"{s}: {m}" if s else m for s, m in run.violations if s not in known]
    alert = ("Violations not tied to a step of the flow: " + "; ".join(loose)) if loose else ""
    return flow.draw(
        spec,
        pal,
        name=name,
        title=title,
        arcs=arcs,
        rows=rows,
        numbered=True,
        key=key,
        alert=alert,
        number_heading="seen",
    )


def _hidden(run: coverage.Coverage, step: Step) -> bool:
    return run.inferred and step.internal


def _arc(
    pal: style.Palette, run: coverage.Coverage, step: Step, source: str, target: str
) -> flow.Arc:
    problems = run.violated(step.id)
    if problems:
        label = (
            f"{step.id} \u00d7{run.count(step.id, source)}"
            + text.LINE_BREAK
            + text.plain_lines(_short(problems[0]), 30)
        )
        return flow.Arc(
            step, source, target, label, style.VIOLATION, style.VIOLATION, VIOLATION_LOOK
        )
    if _hidden(run, step):
        return flow.Arc(
            step,
            source,
            target,
            f"{step.id} \u2014",
            style.UNSEEN.line,
            style.UNSEEN.text,
            INVISIBLE_LOOK,
        )
    count = run.count(step.id, source)
    if not count:
        return flow.Arc(
            step,
            source,
            target,
            f"{step.id} \u00d70",
            style.UNSEEN.line,
            style.UNSEEN.text,
            UNSEEN_LOOK,
        )
    return flow.arc(pal, step, source, target, f"{step.id} \u00d7{count}")


def _row(pal: style.Palette, run: coverage.Coverage, step: Step) -> flow.Row:
    problems = run.violated(step.id)
    count = run.count(step.id)
    number = "\u2014" if _hidden(run, step) and not problems else f"\u00d7{count}"
    remark = " ".join(problems)
    per_actor = run.by_actor.get(step.id)
    if per_actor and not remark:
        parts = [f"{actor} \u00d7{per_actor.get(actor, 0)}" for actor in step.sources]
        others = count - sum(per_actor.values())
        remark = ", ".join(parts + ([f"others \u00d7{others}"] if others > 0 else []))
    colour = flow.actor_shade(pal, step).text
    return flow.Row(
        number,
        step,
        style.VIOLATION if problems else colour,
        remark=remark,
        remark_colour=style.VIOLATION if problems else "#555555",
        faded=not problems and not count,
    )


def _short(message: str, limit: int = 90) -> str:
    return message if len(message) <= limit else message[: limit - 1].rstrip() + "\u2026"
