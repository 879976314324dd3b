"""The troubleshooting tree (spec/troubleshooting.yaml) as a picture: questions, answers, findings.

A question is a box with its ID and what it asks; its two edges read "yes" and "no". A finding is
a rounded box: red-edged for a problem (with its fix's name), green-edged for a healthy pod,
grey for a pod that does not exist. The tutorial's table of phases goes under the tree.
"""

from __future__ import annotations

import graphviz

from listwatch.render import style, text
from listwatch.spec.model import TreeNode, Troubleshooting

HEALTHY = "#117733"
MISSING = "#888888"


def picture(tree: Troubleshooting) -> graphviz.Digraph:
    body = style.new_body()
    for node in tree.nodes.values():
        if node.is_finding:
            colour = HEALTHY if node.healthy else MISSING if node.missing else style.VIOLATION
            body.node(
                node.id,
                label=_finding(node),
                color=colour,
                style="rounded,filled",
                fillcolor="white",
                penwidth="2",
            )
        else:
            body.node(
                node.id,
                label=_question(node),
                shape="box",
                style="filled",
                fillcolor="#F2F2F2",
                color="#555555",
            )
    for node in tree.nodes.values():
        if not node.is_finding:
            body.edge(node.id, node.yes, label="yes", fontcolor="#333333")
            body.edge(node.id, node.no, label="no", fontcolor="#333333", style="dashed")
    title = style.heading(
        tree.title,
        "Each question is a check over what a client can read (the pod, its events, the nodes, "
        "the services, its logs and ports); "
        "each leaf is a finding with its evidence and fix. Solid: yes. Dashed: no. Red: a "
        "problem; green: healthy.",
    )
    return style.framed(
        "troubleshooting",
        body,
        title=title,
        caption=_statuses(tree),
        rankdir="TB",
        nodesep="0.3",
        ranksep="0.45",
    )


def _question(node: TreeNode) -> str:
    return (
        f"<<b>{node.id}</b><br/>{text.html_lines(node.ask, 30)}<br/><font "
        f'point-size="{style.SMALL}">{text.escape(node.check)}</font>>'
    )


def _finding(node: TreeNode) -> str:
    fix = (
        f'<br/><font point-size="{style.SMALL}">fix: {text.escape(node.fix)}</font>'
        if node.fix
        else ""
    )
    return f"<<b>{node.id}</b><br/>{text.html_lines(node.finding, 30)}{fix}>"


def _statuses(tree: Troubleshooting) -> str:
    head = "".join(
        f'<td align="left"><b>{h}</b></td>' for h in ("phase", "what it means", "what to check")
    )
    rows = [f"<tr>{head}</tr>"]
    for note in tree.statuses:
        cells = (
            f"<b>{note.phase}</b>",
            text.html_lines(note.means, 50),
            text.html_lines(note.check, 50),
        )
        rows.append(
            "<tr>"
            + "".join(f'<td align="left" balign="left" valign="top">{c}</td>' for c in cells)
            + "</tr>"
        )
    return (
        '<<table border="0" cellborder="1" cellspacing="0" cellpadding="3" '
        f'color="#CCCCCC">{"".join(rows)}</table>>'
    )
