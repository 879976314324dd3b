"""The scheduling decision: where a new pod goes, drawn from the flow graph and the scheduler's
settings.

The picture is the part of the flow between the event that announces a new pod and the kubelet
that runs it. It starts at the first step that leads into the scheduler's step (the step whose
`match` action is `schedule`), follows `next` from there, and stops at the node agent's steps (a
pod that reaches its kubelet is placed). Each step is a box in the colour of the component that
acts, dashed when internal, with its title, its message and what a client sees. The edges out of
the first step are labelled with the watch that selects the pod (so the nodeName split shows as
the spec states it: which field selector takes the pod); the scheduler's step lists its filters
and scores from `settings`, and the requeue step its retry settings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import graphviz

from listwatch.render import flow, style, text
from listwatch.spec.model import Spec, Step

KEY = (
    "Each box: a step of the flow, in the colour of the component that acts; dashed: internal. "
    "Out of the first step: the watch whose field selector takes the pod."
)
NODE_AGENT = "kubelet"
SCHEDULER = "scheduler"


def region(spec: Spec) -> list[Step]:
    """The steps of the decision, in spec order: from the step before scheduling to the node
    agent."""
    steps = {s.id: s for s in spec.flow.steps}
    scheduling = [s for s in spec.flow.steps if s.match.get("action") == "schedule"]
    if not scheduling:
        return []
    start = next((s for s in spec.flow.steps if scheduling[0].id in s.next), scheduling[0])
    seen = {start.id}
    queue = [start]
    while queue:
        step = queue.pop(0)
        if NODE_AGENT in step.sources and step is not start:
            continue
        for next_id in step.next:
            if next_id not in seen and next_id in steps:
                seen.add(next_id)
                queue.append(steps[next_id])
    return [s for s in spec.flow.steps if s.id in seen]


def picture(spec: Spec, pal: style.Palette) -> graphviz.Digraph:
    """The decision as a flow chart of steps: nodeName straight to the kubelet, or filter, score,
    bind."""
    body = style.new_body()
    steps = region(spec)
    ids = {s.id for s in steps}
    settings = spec.components[SCHEDULER].settings if SCHEDULER in spec.components else {}
    for step in steps:
        shade = pal.of(step.sources[0])
        body.node(
            step.id,
            label=_box(step, shade, settings),
            color=shade.line,
            fillcolor=shade.fill,
            style="rounded,filled,dashed" if step.internal else "rounded,filled",
            margin="0.15,0.08",
            tooltip=step.title,
        )
    for step in steps:
        for next_id in step.next:
            if next_id not in ids:
                continue
            watcher, label = (
                _selected_by(spec, spec.flow.step(next_id)) if step is steps[0] else ("", "")
            )
            body.edge(
                step.id,
                next_id,
                label=label,
                color=style.NEUTRAL.line,
                fontcolor=pal.of(watcher).text,
                penwidth="1.2",
            )
    title = style.heading(
        "Scheduling: how a new pod gets its node (nodeName, nodeSelector, no node fits)", KEY
    )
    return style.framed("scheduling", body, title=title, nodesep="0.5", ranksep="0.5")


def _box(step: Step, shade: style.Shade, settings: Mapping[str, Any]) -> str:
    rows = [
        f'<tr><td align="left"><font color="{shade.text}"><b>{text.escape(step.id)}</b></font>  '
        f"<b>{text.escape(' / '.join(step.sources))} \u2192 "
        f"{text.escape(' / '.join(step.targets))}</b></td></tr>",
        f'<tr><td align="left" balign="left">{text.html_lines(step.title, 46)}</td></tr>',
        '<tr><td align="left" balign="left"><font '
        f'point-size="{style.SMALL}">{text.html_lines(step.message, 56)}</font></td></tr>',
    ]
    action = step.match.get("action")
    if action == "schedule":
        rows.extend(_plugins(settings))
    elif action == "requeue":
        rows.extend(_retry(settings))
    seen = flow.seen_as(step)
    colour = "#777777" if step.internal else "#333333"
    rows.append(
        f'<tr><td align="left" balign="left"><font point-size="{style.SMALL}" color="{colour}"><i>'
        f"a client sees: {text.html_lines(seen, 56)}</i></font></td></tr>"
    )
    return (
        '<<table border="0" cellborder="0" cellspacing="0" cellpadding="1">'
        + "".join(rows)
        + "</table>>"
    )


def _plugins(settings: Mapping[str, Any]) -> list[str]:
    filters: Sequence[Mapping[str, Any]] = settings.get("filters", ())
    scores: Sequence[Mapping[str, Any]] = settings.get("scores", ())
    if not filters and not scores:
        return []
    left = "".join(
        f'<tr><td align="left">{i}. {text.escape(str(f["plugin"]))}</td></tr>'
        for i, f in enumerate(filters, 1)
    )
    right = "".join(
        f'<tr><td align="left">{text.escape(str(s["plugin"]))} \u00d7{s["weight"]}</td></tr>'
        for s in scores
    )
    head = (
        '<tr><td align="left"><b>1. filter</b>, in order:<br align="left"/>a node must pass '
        'all</td><td align="left"><b>2. score</b> the rest:<br align="left"/>the highest weighted '
        "sum wins</td></tr>"
    )
    inner = (
        '<tr><td align="left" valign="top"><table border="0" cellpadding="0" '
        f'cellspacing="1">{left}</table></td>'
        '<td align="left" valign="top"><table border="0" cellpadding="0" '
        f'cellspacing="1">{right}</table></td></tr>'
    )
    table = (
        '<table border="1" color="#99BBDD" cellborder="0" cellspacing="0" cellpadding="4" '
        f'bgcolor="white">{head}{inner}</table>'
    )
    return [f'<tr><td align="left">{table}</td></tr>']


def _retry(settings: Mapping[str, Any]) -> list[str]:
    parts = []
    if "podMaxInUnschedulablePodsDuration" in settings:
        parts.append(
            f"at the latest after {settings['podMaxInUnschedulablePodsDuration']}s "
            "(podMaxInUnschedulablePodsDuration)"
        )
    if "podInitialBackoffSeconds" in settings and "podMaxBackoffSeconds" in settings:
        parts.append(
            f"back-off {settings['podInitialBackoffSeconds']}s doubling to "
            f"{settings['podMaxBackoffSeconds']}s"
        )
    if not parts:
        return []
    return [
        '<tr><td align="left" balign="left"><b>retry</b>: '
        f"{text.html_lines('; '.join(parts), 50)}</td></tr>"
    ]


def _selected_by(spec: Spec, step: Step) -> tuple[str, str]:
    """The component a step hands the pod to, and the field selector of its pod watch that selects
    it."""
    for component in step.targets if step.sources == ("apiserver",) else ():
        definition = spec.components.get(component)
        watches = [w for w in definition.watches if w.resource == "pods"] if definition else []
        if watches and watches[0].field_selector:
            selector = watches[0].field_selector.replace(",", ", ")
            return component, text.plain_lines(
                f"{component} watch '{watches[0].id}': {selector}", 34
            )
    return "", ""
