"""The legend: each component's colour, and what line styles and shapes mean in every picture.

Drawn from the same palette as every other picture, so the legend cannot disagree with them: the
components are the spec's (its flow's actors, then its component documents), each with its title.
"""

from __future__ import annotations

import graphviz

from listwatch.render import style, text
from listwatch.spec.model import Spec

LINES: tuple[tuple[str, dict[str, str]], ...] = (
    (
        "a step a client of the API can observe (a watch event or an Event)",
        {**style.OBSERVABLE_STYLE, "color": style.NEUTRAL.line},
    ),
    (
        "an internal step (an etcd write, a watch hand-off, a decision)",
        {**style.INTERNAL_STYLE, "color": style.NEUTRAL.line},
    ),
    (
        "in a run: a step never observed",
        {**style.OBSERVABLE_STYLE, "color": style.UNSEEN.line, "fontcolor": style.UNSEEN.text},
    ),
    (
        "in a run: a step that broke the spec, with the message",
        {
            "style": "bold",
            "penwidth": "2.5",
            "color": style.VIOLATION,
            "fontcolor": style.VIOLATION,
        },
    ),
)


def picture(spec: Spec, pal: style.Palette) -> graphviz.Digraph:
    """Components and their colours on the left; line styles and state-machine shapes on the
    right."""
    body = style.new_body()
    body.node("components", label=_components(spec, pal), shape="plaintext", style="", margin="0")
    with body.subgraph(name="cluster_lines") as group:
        group.attr(label="<<b>edges</b>>", labeljust="l", color="#DDDDDD")
        for index, (meaning, attrs) in enumerate(LINES):
            group.node(f"l{index}a", label="", shape="point", width="0.05", color="#999999")
            group.node(f"l{index}b", label="", shape="point", width="0.05", color="#999999")
            group.edge(f"l{index}a", f"l{index}b", minlen="2", **attrs)
            _note(group, f"l{index}b", f"l{index}t", meaning)
    with body.subgraph(name="cluster_machines") as group:
        group.attr(label="<<b>state machines</b>>", labeljust="l", color="#DDDDDD")
        group.node(
            "m.start",
            label="",
            shape="circle",
            style="filled",
            fillcolor="black",
            width="0.2",
            fixedsize="true",
        )
        group.node(
            "m.state", label='<<b>State</b><br/><font point-size="10">the initial state</font>>'
        )
        group.node(
            "m.final",
            label='<<b>Final</b><br/><font point-size="10">a final state</font>>',
            peripheries="2",
        )
        group.edge("m.start", "m.state")
        group.edge("m.state", "m.final", label="1 trigger")
        _note(
            group,
            "m.final",
            "m.note",
            "an edge's numbers: the transitions' rows in the table below the machine",
        )
    body.edge("components", "l0a", style="invis", weight="0")
    body.edge("components", "m.start", style="invis", weight="0")
    title = style.heading("Legend: one colour per component, the same in every picture")
    return style.framed("legend", body, title=title, rankdir="LR", nodesep="0.25", ranksep="0.4")


def _components(spec: Spec, pal: style.Palette) -> str:
    rows = ['<tr><td colspan="3" align="left"><b>components</b></td></tr>']
    for name in pal.components:
        shade = pal.of(name)
        title = style.component_title(spec, name)
        rows.append(
            f'<tr><td bgcolor="{shade.fill}" color="{shade.line}" border="2" style="rounded" '
            'width="44" height="22"></td>'
            f'<td align="left"><font color="{shade.text}"><b>{text.escape(name)}</b></font></td>'
            f'<td align="left">{text.escape(title) if title != name else ""}</td></tr>'
        )
    return (
        '<<table border="0" cellborder="0" cellspacing="4" '
        f'cellpadding="3">{"".join(rows)}</table>>'
    )


def _note(group: graphviz.Digraph, after: str, name: str, words: str) -> None:
    """A line of explanation to the right of `after`, as a plain node rather than an edge label."""
    group.node(
        name,
        label=text.plain_left(words, 44),
        shape="plaintext",
        style="",
        margin="0.1,0",
        width="3.9",
    )
    group.edge(after, name, style="invis", minlen="1")
