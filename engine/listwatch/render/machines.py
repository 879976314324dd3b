"""Every state machine of the spec as a picture: states, the initial state, final states,
transitions.

Drawn with `graphviz` directly rather than `transitions`' diagram extension: the pictures need the
component's colour, a numbered table of guards and actions, and byte-for-byte stable DOT, none of
which the extension gives without building live machines first. A state is a rounded box with its
name and the spec's `doc`; the initial state is entered from a black dot; a final state has a
double border. Each transition is numbered in spec order (the order in which `transitions` tries
them: the first whose guards hold fires); its edges carry only the number and trigger, and the
table below the states gives each number's sources, destination, guards (`not` before an
`unless`) and actions.
"""

from __future__ import annotations

import graphviz

from listwatch.render import style, text
from listwatch.spec.model import MachineDef, Spec, Transition

#: Who runs a machine whose owner is not a component: the watch cache is the API server's. Every
#: component runs the List-Watch reflector, so it takes no single component's colour.
RUN_BY: dict[str, str] = {"watch-cache": "apiserver"}
RANKDIR = "TB"
KEY = "Edges: the numbers of the transitions in the table; the first whose guards hold fires."


def runner(spec: Spec, machine: MachineDef) -> str:
    """The component whose colour a machine takes: the one listing it, else its owner, else none
    ("")."""
    for component in spec.components.values():
        if machine.name in component.machines:
            return component.name
    owner = RUN_BY.get(machine.owner, machine.owner)
    return owner if owner in spec.components else ""


def picture(spec: Spec, pal: style.Palette, machine: MachineDef) -> graphviz.Digraph:
    """One machine: its states in its runner's colour, numbered transitions, and their table."""
    who = runner(spec, machine)
    shade = pal.of(who) if who else style.NEUTRAL
    body = style.new_body()
    body.node(
        "__initial",
        label="",
        shape="circle",
        style="filled",
        fillcolor="black",
        width="0.2",
        fixedsize="true",
    )
    for state in machine.states:
        body.node(
            state.name,
            label=_state_label(state.name, state.doc),
            color=shade.line,
            fillcolor=shade.fill,
            peripheries="2" if state.final else "1",
            tooltip=state.doc or state.name,
        )
    body.edge("__initial", machine.initial, color=shade.line)
    for (source, dest), numbers in _arrows(machine).items():
        label = text.LINE_BREAK.join(f"{n} {machine.transitions[n - 1].trigger}" for n in numbers)
        body.edge(source, dest, label=label, color=shade.line, fontcolor=shade.text)
    return style.framed(
        f"machine-{machine.name}",
        body,
        title=_title(machine, who),
        caption=_table(machine),
        rankdir=RANKDIR,
        nodesep="0.5",
        ranksep="0.55",
    )


def _arrows(machine: MachineDef) -> dict[tuple[str, str], list[int]]:
    """Each (source, destination) pair once, with the numbers of the transitions it stands for."""
    arrows: dict[tuple[str, str], list[int]] = {}
    for number, transition in enumerate(machine.transitions, 1):
        for source in transition.sources:
            arrows.setdefault((source, transition.dest), []).append(number)
    return arrows


def _title(machine: MachineDef, who: str) -> str:
    by = who or "every component"
    where = f"Machine {machine.name}, run by {by}, one per {machine.per}. {machine.doc}"
    return style.heading(machine.title or machine.name, where, KEY)


def _state_label(name: str, doc: str) -> str:
    lines = "<br/>".join(text.escape(line) for line in text.wrap(doc, 28))
    sub = f'<br/><font point-size="{style.SMALL}">{lines}</font>' if doc else ""
    return f"<<b>{text.escape(name)}</b>{sub}>"


def _guards(transition: Transition) -> list[str]:
    return [*transition.conditions, *(f"not {u}" for u in transition.unless)]


def _table(machine: MachineDef) -> str:
    head = "".join(
        f'<td align="left"><b>{h}</b></td>'
        for h in ("#", "trigger", "from", "to", "only if", "then")
    )
    rows = [f"<tr>{head}</tr>"]
    for number, transition in enumerate(machine.transitions, 1):
        guards = "<br/>".join(text.escape(g) for g in _guards(transition)) or _fallback(
            machine, number
        )
        actions = (
            "<br/>".join(text.escape(a) for a in (*transition.before, *transition.after))
            or "\u2014"
        )
        cells = [
            str(number),
            f"<b>{text.escape(transition.trigger)}</b>",
            text.html_lines(", ".join(transition.sources), 28),
            text.escape(transition.dest),
            guards,
            actions,
        ]
        if transition.doc:
            cells[-1] += (
                f'<br/><font point-size="{style.SMALL}">'
                f"{text.html_lines(transition.doc, 40)}</font>"
            )
        rows.append(
            "<tr>"
            + "".join(f'<td align="left" balign="left" valign="top">{c}</td>' for c in cells)
            + "</tr>"
        )
    body = "".join(rows)
    return (
        '<<table border="0" cellborder="1" cellspacing="0" cellpadding="3" '
        f'color="#CCCCCC">{body}</table>>'
    )


def _fallback(machine: MachineDef, number: int) -> str:
    """ "otherwise" when an earlier transition with the same trigger and a source in common is tried
    first."""
    transition = machine.transitions[number - 1]
    for earlier in machine.transitions[: number - 1]:
        if earlier.trigger == transition.trigger and set(earlier.sources) & set(transition.sources):
            return "<i>otherwise</i>"
    return "always"
