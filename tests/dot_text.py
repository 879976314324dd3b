"""Reading the DOT text the render package writes, so tests can assert on nodes, edges and
attributes.

Only the shape `graphviz` emits is understood: one statement a line, `name [attrs]` or
`tail -> head [attrs]`, attribute values bare, "quoted" or <HTML-like>.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_STATEMENT = re.compile(
    r'^\s*(?P<tail>"(?:[^"\\]|\\.)*"|[\w.]+)(?: -> (?P<head>"(?:[^"\\]|\\.)*"|[\w.]+))?(?: '
    r"\[(?P<attrs>.*)\])?$"
)


@dataclass(frozen=True)
class Statement:
    tail: str
    head: str | None
    attrs: dict[str, str]

    @property
    def label(self) -> str:
        return self.attrs.get("label", "")


def _name(token: str) -> str:
    return token[1:-1].replace('\\"', '"') if token.startswith('"') else token


def _attrs(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    i = 0
    while i < len(text):
        while i < len(text) and text[i] == " ":
            i += 1
        eq = text.index("=", i)
        key = text[i:eq]
        i = eq + 1
        if text[i] == '"':
            j = i + 1
            while text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            found[key] = text[i + 1 : j].replace('\\"', '"')
            i = j + 1
        elif text[i] == "<":
            depth, j = 0, i
            while True:
                depth += {"<": 1, ">": -1}.get(text[j], 0)
                j += 1
                if depth == 0:
                    break
            found[key] = text[i:j]
            i = j
        else:
            j = text.find(" ", i)
            j = len(text) if j < 0 else j
            found[key] = text[i:j]
            i = j
    return found


def statements(dot: str) -> list[Statement]:
    """Every node and edge statement (not the graph's own attributes or defaults)."""
    found = []
    for line in dot.splitlines():
        match = _STATEMENT.match(line)
        if not match or match["tail"] in ("graph", "node", "edge", "subgraph"):
            continue
        found.append(
            Statement(
                _name(match["tail"]),
                _name(match["head"]) if match["head"] else None,
                _attrs(match["attrs"] or ""),
            )
        )
    return found


def edges(dot: str) -> list[Statement]:
    return [s for s in statements(dot) if s.head is not None and s.attrs.get("style") != "invis"]


def nodes(dot: str) -> dict[str, Statement]:
    return {s.tail: s for s in statements(dot) if s.head is None}


def step_edges(dot: str) -> dict[str, list[Statement]]:
    """The edges of a flow picture by step ID (their `id` is `STEP.source.target`)."""
    found: dict[str, list[Statement]] = {}
    for edge in edges(dot):
        if "id" in edge.attrs and "." in edge.attrs["id"]:
            found.setdefault(edge.attrs["id"].split(".")[0], []).append(edge)
    return found
