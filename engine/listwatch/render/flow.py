"""The pod-creation flow as the tutorial draws it: components as nodes, steps as numbered edges.

A flow picture puts the API server's clients (kubectl and the components that List-Watch it) in
a row at the top, the API server below them and etcd at the bottom, as in the tutorial's
component figure. Each step is one edge from each of its `from` components to each of its `to`
components, in the colour of the component that acts: solid when a client of the API can observe
the step, dashed when it is internal. A table below gives each edge's number and step: who acts,
what happens, and what a client sees. `full` draws every step of the spec, labelled by ID;
`variant` draws one named path, numbering its edges by their place on the path (a step taken
twice, as LW-09 in the unschedulable path, carries both numbers).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import graphviz

from listwatch.render import style, text
from listwatch.spec.model import Spec, Step, Variant

#: Rows, top to bottom: who calls the API server (every other actor), the API server, its store.
TIERS: Mapping[str, int] = {"apiserver": 1, "etcd": 2}


@dataclass(frozen=True, slots=True)
class Arc:
    """One edge of a flow picture: one step from one component to another, and how it looks."""

    step: Step
    source: str
    target: str
    label: str
    line: str
    font: str
    look: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the table below a flow picture: the edge's number, its step, an optional
    remark."""

    number: str
    step: Step
    colour: str
    remark: str = ""
    remark_colour: str = ""
    faded: bool = False


def pairs(step: Step) -> list[tuple[str, str]]:
    """The edges a step draws: each component that acts, to each it addresses."""
    return [(source, target) for source in step.sources for target in step.targets]


def look(step: Step) -> Mapping[str, str]:
    """Solid for a step a client of the API can observe, dashed for an internal one."""
    return style.INTERNAL_STYLE if step.internal else style.OBSERVABLE_STYLE


def actor_shade(pal: style.Palette, step: Step) -> style.Shade:
    """The colour of the component that acts in a step; neutral when several act (as in LW-01)."""
    return pal.of(step.sources[0]) if len(step.sources) == 1 else style.NEUTRAL


def seen_as(step: Step) -> str:
    """What a client of the API sees of a step, from its `observable` entry; "internal" if
    nothing."""
    if step.observable is None:
        return "internal"
    seen = step.observable
    parts: list[str] = []
    if "watch" in seen:
        parts.append(str(seen["watch"]))
    if "event" in seen:
        reasons = seen["event"]["reason"]
        parts.append("Event " + " or ".join(reasons if isinstance(reasons, tuple) else (reasons,)))
    if "forbids_event" in seen:
        parts.append(f"no {seen['forbids_event']['reason']} Event")
    head = ", ".join(parts)
    change = str(seen.get("change", ""))
    return f"{head}: {change}" if head and change else head or change


def arc(pal: style.Palette, step: Step, source: str, target: str, label: str) -> Arc:
    """The edge of `step` from `source` to `target` in the spec's look: the actor's colour, solid or
    dashed."""
    shade = pal.of(source)
    return Arc(step, source, target, label, shade.line, shade.text, look(step))


def full(spec: Spec, pal: style.Palette, *, steps_table: bool = True) -> graphviz.Digraph:
    """Every step of the flow, each edge labelled with its step ID (and the table of steps below,
    unless a page shows them its own way)."""
    arcs = [arc(pal, step, s, t, step.id) for step in spec.flow.steps for s, t in pairs(step)]
    rows = (
        [Row(step.id, step, actor_shade(pal, step).text) for step in spec.flow.steps]
        if steps_table
        else []
    )
    title = f"The flow {spec.flow.name}: every step, of the main line (LW) and of its variants"
    return draw(spec, pal, name="flow", title=title, arcs=arcs, rows=rows, numbered=False)


def places(path: Variant) -> dict[str, list[int]]:
    """Each step of a variant, in the order first taken, with its place(s) on the path (from 1)."""
    found: dict[str, list[int]] = {}
    for place, step_id in enumerate(path.steps, 1):
        found.setdefault(step_id, []).append(place)
    return found


def variant(spec: Spec, pal: style.Palette, path: Variant) -> graphviz.Digraph:
    """One variant: its steps only, each edge numbered by its place(s) on the variant's path."""
    arcs: list[Arc] = []
    rows: list[Row] = []
    for step_id, numbers in places(path).items():
        step = spec.flow.step(step_id)
        number = ", ".join(str(n) for n in numbers)
        arcs.extend(arc(pal, step, s, t, f"{number}  {step.id}") for s, t in pairs(step))
        remark = (
            f"For a pod created directly, this is {step.same_as_for_direct_pods} again."
            if step.same_as_for_direct_pods
            else ""
        )
        rows.append(
            Row(number, step, actor_shade(pal, step).text, remark=remark, remark_colour="#777777")
        )
    title = f"The flow, variant {path.id}: {path.name}"
    return draw(spec, pal, name=f"flow-{path.id}", title=title, arcs=arcs, rows=rows, numbered=True)


def draw(
    spec: Spec,
    pal: style.Palette,
    *,
    name: str,
    title: str,
    arcs: Sequence[Arc],
    rows: Sequence[Row],
    numbered: bool,
    key: str = style.FLOW_KEY,
    alert: str = "",
    number_heading: str = "#",
) -> graphviz.Digraph:
    """The components in their rows, `arcs` as edges between them, `rows` as the table below."""
    body = style.new_body()
    components(body, spec, pal)
    for each in arcs:
        body.edge(
            each.source,
            each.target,
            label=each.label,
            color=each.line,
            fontcolor=each.font,
            id=f"{each.step.id}.{each.source}.{each.target}",
            tooltip=each.step.title,
            **each.look,
            **_ports(each.source, each.target),
        )
    return style.framed(
        name,
        body,
        title=style.heading(title, key, alert=alert),
        caption=table(rows, numbered=numbered, number_heading=number_heading) if rows else "",
        nodesep="0.6",
        ranksep="1.1",
    )


def _ports(source: str, target: str) -> dict[str, str]:
    """A component's edge to itself loops over its top, clear of the edges that leave its sides."""
    return {"tailport": "ne", "headport": "nw"} if source == target else {}


def components(
    body: graphviz.Digraph, spec: Spec, pal: style.Palette, actors: Sequence[str] = ()
) -> None:
    """The flow's actors (or `actors`) as nodes in their colours: clients on top, then the API
    server, then etcd."""
    rows: dict[int, list[str]] = {}
    for actor in actors or spec.flow.actors:
        rows.setdefault(TIERS.get(actor, 0), []).append(actor)
    clients = len(rows.get(0, ()))
    for tier in sorted(rows):
        with body.subgraph(name=f"tier{tier}") as row:
            row.attr(rank="same")
            for actor in rows[tier]:
                shade = pal.of(actor)
                # A component alone in its row is drawn wide, so the many edges it shares spread
                # out.
                width = (
                    round(max(clients * 2.2, 3.0) * (0.85 if tier == 1 else 0.45), 1)
                    if len(rows[tier]) == 1
                    else 0
                )
                row.node(
                    actor,
                    label=_component_label(spec, actor),
                    color=shade.line,
                    fillcolor=shade.fill,
                    margin="0.2,0.12",
                    width=str(width),
                )
            for left, right in itertools.pairwise(rows[tier]):
                row.edge(left, right, style="invis")


def _component_label(spec: Spec, actor: str) -> str:
    title = style.component_title(spec, actor)
    sub = (
        f'<br/><font point-size="{style.SMALL}">{text.escape(title)}</font>'
        if title != actor
        else ""
    )
    return f"<<b>{text.escape(actor)}</b>{sub}>"


def table(rows: Sequence[Row], *, numbered: bool, number_heading: str = "#") -> str:
    """The steps of a flow picture as an HTML-like table: number, step, who, what happens, what a
    client sees."""
    head = ([number_heading] if numbered else []) + [
        "step",
        "who",
        "what happens",
        "a client of the API sees",
    ]
    lines = ["<tr>" + "".join(f'<td align="left"><b>{h}</b></td>' for h in head) + "</tr>"]
    for row in rows:
        step = row.step
        grey = style.UNSEEN.text if row.faded else ""
        who = (
            "<br/>".join(text.escape(s) for s in step.sources)
            + " \u2192 "
            + " / ".join(text.escape(t) for t in step.targets)
        )
        what = text.html_lines(step.title, 48)
        if row.remark:
            colour = grey or row.remark_colour or row.colour
            what += f'<font color="{colour}">{text.html_lines(row.remark, 48)}</font>'
        seen = (
            f"<i>{text.escape(seen_as(step))}</i>"
            if step.internal
            else text.html_lines(seen_as(step), 40)
        )
        cells = (
            [f'<td align="right">{_font(text.escape(row.number), grey)}</td>'] if numbered else []
        )
        cells += [
            '<td align="left"><font '
            f'color="{grey or row.colour}"><b>{text.escape(step.id)}</b></font></td>',
            f'<td align="left" balign="left">{_font(who, grey)}</td>',
            f'<td align="left" balign="left">{_font(what, grey)}</td>',
            '<td align="left" '
            f'balign="left">{_font(seen, grey or ("#777777" if step.internal else ""))}</td>',
        ]
        lines.append("<tr>" + "".join(cells) + "</tr>")
    return (
        '<<table border="0" cellborder="1" cellspacing="0" cellpadding="4" '
        f'color="#CCCCCC">{"".join(lines)}</table>>'
    )


def _font(content: str, colour: str) -> str:
    return f'<font color="{colour}">{content}</font>' if colour else content
