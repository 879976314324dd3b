"""Diagrams drawn from the spec: DOT text from the model, and a recorded run drawn over the flow.

Scope: turning a `Spec` (and optionally a trace) into Graphviz DOT, and writing DOT, SVG and PNG
files. This is the only package that imports `graphviz`. Building a picture is pure (spec in,
DOT out: stable order, no timestamps, no paths); only `writing` touches files or runs `dot`.

Modules, one concept each: `style` (one colour per component, the shared look), `text` (label
escaping and wrapping), `legend`, `flow` (the tutorial's component figure, per variant),
`simplified` (its six arrows), `machines` (state machines), `scheduling` (the decision),
`coverage` (counts, and the checker's violations), `overlay` (a run over the flow),
`catalogue` (every picture by name),
`writing` (files and `dot`), `subcommand` (`listwatch diagrams`, and drawing a run).
"""

from listwatch.render.catalogue import live_flow, pictures, sources
from listwatch.render.coverage import Coverage
from listwatch.render.subcommand import add_arguments, command, run_source, write_run_diagrams
from listwatch.render.writing import Written, svg

__all__ = [
    "Coverage",
    "Written",
    "add_arguments",
    "command",
    "live_flow",
    "pictures",
    "run_source",
    "sources",
    "svg",
    "write_run_diagrams",
]
