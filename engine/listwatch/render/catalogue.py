"""Every picture the spec gives, by file name, in a stable order.

The names are the files `listwatch diagrams` writes (without extension): `legend`, `flow` (every
step), `flow-<variant>` for each of the spec's variants in its order, `flow-simplified` (the
tutorial's six arrows), `scheduling`, `machine-<name>` for each state machine in the spec's order,
and `troubleshooting` (the decision tree). The same spec always gives the same names and the same
DOT text.
"""

from __future__ import annotations

import graphviz

from listwatch.render import flow, legend, machines, scheduling, simplified, style, troubleshooting
from listwatch.spec.model import Spec


def pictures(spec: Spec) -> dict[str, graphviz.Digraph]:
    """Each picture of the spec, keyed by file name."""
    pal = style.palette(spec)
    found: dict[str, graphviz.Digraph] = {
        "legend": legend.picture(spec, pal),
        "flow": flow.full(spec, pal),
    }
    for path in spec.flow.variants:
        found[f"flow-{path.id}"] = flow.variant(spec, pal, path)
    if spec.flow.simplified:
        found["flow-simplified"] = simplified.picture(spec, pal)
    if scheduling.region(spec):
        found["scheduling"] = scheduling.picture(spec, pal)
    for machine in spec.machines.values():
        found[f"machine-{machine.name}"] = machines.picture(spec, pal, machine)
    if spec.troubleshooting is not None:
        found["troubleshooting"] = troubleshooting.picture(spec.troubleshooting)
    return found


def sources(spec: Spec) -> dict[str, str]:
    """The DOT text of each picture of the spec, keyed by file name."""
    return {name: graph.source for name, graph in pictures(spec).items()}


def live_flow(spec: Spec) -> str:
    """The DOT text of the flow picture without its table of steps, for a page that lists the
    steps itself and lights each edge (its id starts with its step's) as the step happens."""
    source: str = flow.full(spec, style.palette(spec), steps_table=False).source
    return source
