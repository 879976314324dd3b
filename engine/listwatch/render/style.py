"""The look every picture shares: one colour per component, line styles, fonts, graph defaults.

The contract: a component has the same colour in every picture (its nodes, the edges it sends,
the state machines it runs). The six components of the tutorial have fixed colours, chosen from
the Okabe-Ito colour-blind-safe set; a component a future spec adds takes the next spare colour,
in the order the spec names its actors, so the assignment is stable from run to run. Red is kept
for violations and grey for what a run never showed; no component uses either.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import graphviz

from listwatch.render import text
from listwatch.spec.model import Spec

FONT = "Helvetica,Arial,sans-serif"
FONT_SIZE = "12"
SMALL = 10
GENERATED = "Generated from spec/ by `listwatch diagrams`; do not edit."


@dataclass(frozen=True, slots=True)
class Shade:
    """A component's colour in its three uses: lines and borders, node fill, and text."""

    line: str
    fill: str
    text: str


KNOWN: Mapping[str, Shade] = {
    "kubectl": Shade("#4D4D4D", "#E8E8E8", "#333333"),
    "apiserver": Shade("#0072B2", "#D4E8F4", "#005A8C"),
    "etcd": Shade("#009E73", "#D1EEE5", "#00704F"),
    "controller-manager": Shade("#E69F00", "#FBEBC7", "#9A6A00"),
    "scheduler": Shade("#CC79A7", "#F6E3EE", "#9C4A78"),
    "kubelet": Shade("#8C510A", "#EEDCC5", "#6B3E08"),
}
SPARE: tuple[Shade, ...] = (
    Shade("#56B4E9", "#DDF0FB", "#1F6E99"),
    Shade("#332288", "#D9D5EE", "#332288"),
    Shade("#117733", "#D3EBDA", "#117733"),
    Shade("#999933", "#EEEED6", "#6B6B1F"),
)
NEUTRAL = Shade("#333333", "#FFFFFF", "#333333")
UNSEEN = Shade("#B3B3B3", "#F5F5F5", "#9A9A9A")
VIOLATION = "#D00000"

OBSERVABLE_STYLE: Mapping[str, str] = {"style": "solid", "penwidth": "1.8"}
INTERNAL_STYLE: Mapping[str, str] = {"style": "dashed", "penwidth": "1.2"}
FLOW_KEY = (
    "Solid: a step a client of the API can observe (a watch event or an Event). Dashed: an "
    "internal step. Colour: the component that acts."
)


class Palette:
    """Each component's shade; components it was not told of get the neutral shade."""

    def __init__(self, components: Iterable[str]) -> None:
        spare = iter(SPARE)
        self._shades: dict[str, Shade] = {}
        for name in components:
            if name in self._shades:
                continue
            self._shades[name] = KNOWN.get(name) or next(spare, NEUTRAL)

    def of(self, component: str) -> Shade:
        """The component's shade: the same object every time it is asked, in every picture."""
        return self._shades.get(component, NEUTRAL)

    @property
    def components(self) -> tuple[str, ...]:
        """The components with a shade, in the order they were given (the legend's order)."""
        return tuple(self._shades)


def palette(spec: Spec) -> Palette:
    """The palette of a spec: its flow's actors in their order, then its other components by
    name."""
    return Palette([*spec.flow.actors, *sorted(spec.components)])


def component_title(spec: Spec, name: str) -> str:
    """The spec's title for a component (its `title`), or its name for an actor with no document."""
    component = spec.components.get(name)
    return component.title if component is not None else name


def framed(
    name: str,
    body: graphviz.Digraph,
    *,
    title: str,
    caption: str = "",
    rankdir: str = "TB",
    **attrs: str,
) -> graphviz.Digraph:
    """A picture: `body` under its `title` (HTML-like), and `caption` (HTML-like, a table) below it.

    `body` must be named `cluster_body` (see `new_body`): the title is its label, so it sits above
    the drawing, and the caption is the graph's own label, so it sits below; the cluster has no
    border of its own.
    """
    graph = new_graph(name, rankdir=rankdir, **attrs)
    if caption:
        graph.attr(label=caption, labelloc="b")
    body.attr(label=title, labelloc="t", labeljust="l", peripheries="0", margin="12")
    graph.subgraph(body)
    return graph


def new_body() -> graphviz.Digraph:
    """The cluster a picture's nodes and edges go into, to be passed to `framed`."""
    return graphviz.Digraph(name="cluster_body")


def heading(title: str, *notes: str, alert: str = "") -> str:
    """An HTML-like label: the title in bold, each note a paragraph in small grey type, an alert in
    red."""
    lines = f"<b>{text.html_lines(title, 130)}</b>"
    for note in notes:
        if note:
            lines += (
                f'<font point-size="{SMALL}" color="#555555">{text.html_lines(note, 140)}</font>'
            )
    if alert:
        lines += f'<font color="{VIOLATION}">{text.html_lines(alert, 120)}</font>'
    return f"<{lines}<br/>>"


def new_graph(name: str, *, rankdir: str = "LR", **attrs: str) -> graphviz.Digraph:
    """An empty directed graph with the shared fonts, colours and spacing; `attrs` override them."""
    graph = graphviz.Digraph(name=name, comment=GENERATED)
    defaults = {
        "fontname": FONT,
        "fontsize": FONT_SIZE,
        "bgcolor": "white",
        "pad": "0.3",
        "nodesep": "0.35",
        "ranksep": "0.6",
    }
    graph.attr(rankdir=rankdir, labelloc="t", labeljust="l", **{**defaults, **attrs})
    graph.attr(
        "node",
        fontname=FONT,
        fontsize=FONT_SIZE,
        shape="box",
        style="rounded,filled",
        fillcolor="white",
        penwidth="1.4",
    )
    graph.attr("edge", fontname=FONT, fontsize="11", arrowsize="0.8")
    return graph
