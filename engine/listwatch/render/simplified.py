"""The tutorial's simplified component figure (its section 1.3): six numbered arrows, from the spec.

Each arrow of the spec's `flow.simplified` is an edge between components laid out as in the flow
pictures, numbered and labelled as the tutorial words it, with the steps it stands for beneath.
An arrow through an intermediary (`via`) is drawn as two edges that carry the same number. An
arrow is solid when a client of the API can observe one of its steps (or when it is a client's
own read, with no step), dashed when all its steps are internal.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping

import graphviz

from listwatch.render import flow, style, text
from listwatch.spec.model import Arrow, Spec


def arrow_look(spec: Spec, arrow: Arrow) -> Mapping[str, str]:
    """Solid if any of the arrow's steps is observable or it has none; dashed if all are
    internal."""
    steps = [spec.flow.step(s) for s in arrow.steps if s in spec.flow.step_ids]
    internal = bool(steps) and all(s.internal for s in steps)
    return style.INTERNAL_STYLE if internal else style.OBSERVABLE_STYLE


def picture(spec: Spec, pal: style.Palette) -> graphviz.Digraph:
    """The six-arrow figure: components, numbered arrows, and a table of each arrow's steps."""
    arrows = spec.flow.simplified
    involved = {a for arrow in arrows for a in (arrow.source, arrow.via, arrow.target) if a}
    body = style.new_body()
    flow.components(body, spec, pal, [a for a in spec.flow.actors if a in involved])
    for arrow in arrows:
        hops = (
            [arrow.source, arrow.via, arrow.target] if arrow.via else [arrow.source, arrow.target]
        )
        for index, (source, target) in enumerate(itertools.pairwise(hops)):
            shade = pal.of(source)
            label = _label(arrow) if index == 0 else f"<<b>{arrow.number}</b>>"
            body.edge(
                source,
                target,
                label=label,
                color=shade.line,
                fontcolor=shade.text,
                id=f"arrow{arrow.number}.{index}",
                **arrow_look(spec, arrow),
            )
    title = style.heading(
        "The tutorial's simplified figure (section 1.3): six arrows, each a group of steps",
        style.FLOW_KEY,
    )
    return style.framed(
        "flow-simplified",
        body,
        title=title,
        caption=_table(spec, pal),
        nodesep="0.8",
        ranksep="1.2",
    )


def _label(arrow: Arrow) -> str:
    words = text.wrap(arrow.label, 26)
    lines = [
        f"<b>{arrow.number}</b>  {text.escape(words[0])}",
        *(text.escape(w) for w in words[1:]),
    ]
    if arrow.steps:
        lines.append(
            f'<font point-size="{style.SMALL}">{text.escape(", ".join(arrow.steps))}</font>'
        )
    return "<" + "<br/>".join(lines) + ">"


def _table(spec: Spec, pal: style.Palette) -> str:
    head = "".join(
        f'<td align="left"><b>{h}</b></td>'
        for h in ("#", "from \u2192 to", "the tutorial's arrow", "steps")
    )
    rows = [f"<tr>{head}</tr>"]
    for arrow in spec.flow.simplified:
        path = " \u2192 ".join(a for a in (arrow.source, arrow.via, arrow.target) if a)
        steps = (
            "<br/>".join(
                f"{text.escape(s)}  {text.escape(spec.flow.step(s).title)}"
                for s in arrow.steps
                if s in spec.flow.step_ids
            )
            or "(no step: a client reads the pod)"
        )
        colour = pal.of(arrow.source).text
        rows.append(
            f'<tr><td align="right"><font color="{colour}"><b>{arrow.number}</b></font></td><td '
            f'align="left">{text.escape(path)}</td>'
            f'<td align="left">{text.escape(arrow.label)}</td><td align="left" '
            f'balign="left">{steps}</td></tr>'
        )
    return (
        '<<table border="0" cellborder="1" cellspacing="0" cellpadding="4" '
        f'color="#CCCCCC">{"".join(rows)}</table>>'
    )
