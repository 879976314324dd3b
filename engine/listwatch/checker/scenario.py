"""A Gherkin scenario that reproduces a violation the checker found, ready to add to `features/`.

One scenario per kind of violation (rule and step), from the first pod that showed it (a
violation of the simulator's STEP records, rule `flow`, is about internal steps no user sees, and
gets none): the
cluster's nodes and the labels the pod's nodeSelector looks at, the pod as its first observed
state describes it, and what the spec expects of it, in a Kubernetes user's words. Each scenario
is tagged with the spec step it is about (`@LW-10`). The phrases are those of the step
definitions in `tests/bdd/steps.py` where one exists:

    Given a cluster with nodes "node01" and "node02"
    And the node "node02" has the labels cz=bob
    When I create a pod "web" with the nodeSelector cz=bob
    When I create a pod "web" on the node node01
    When I create this pod:  (a manifest, for any other pod)
    Then the pod "web" is Running on the node "node01"
    Then the pod "web" is Failed with reason "NodeAffinity"
    And the pod "web" has no "Scheduled" event
    And the pod "web" has a Warning event NodeAffinity from kubelet

and, for rules no feature states yet (their step definitions are to be written with them):

    And the pod "web" stays on the node "node02"
    And the phase of the pod "web" never goes from "Running" to "Pending"
    And the pod "web" is bound to a node before any of its containers starts
    And the pod "web" has the condition PodScheduled "True" only once it is bound to a node
    And the pod "web" is not Succeeded while restartPolicy Always restarts its containers
    And the restartCount of the pod "web" grows only after a container ran and ended
    And the pod "web" keeps to <the spec step>: <what the spec expects>
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from listwatch.checker.verdicts import PodSummary, PodVerdict, Violation
from listwatch.spec.model import Spec

if TYPE_CHECKING:
    from listwatch.checker import Report

DEFAULT_NODES = ("node01", "node02")


def feature(report: Report, spec: Spec) -> str | None:
    """The feature text: a scenario per kind of violation in the report; None when none can be
    reproduced."""
    pods = {p.pod.uid or f"{p.pod.namespace}/{p.pod.name}": p for p in report.pods}
    chosen: dict[tuple[str, str], tuple[Violation, PodVerdict | None]] = {}
    for v in report.violations:
        if v.rule != "flow" and v.pod.kind in ("Pod", ""):
            chosen.setdefault(
                (v.rule, v.step), (v, pods.get(v.pod.uid or f"{v.pod.namespace}/{v.pod.name}"))
            )
    if not chosen:
        return None
    lines = [
        f"# Written by `listwatch check --emit-feature` from {report.name}: review the wording, "
        "then add it under features/.",
        "Feature: Runs that broke the spec, as the checker found them",
        "",
    ]
    for violation, pod in chosen.values():
        lines.extend(_scenario(violation, pod, report.nodes, spec))
        lines.append("")
    return "\n".join(lines)


def _scenario(
    v: Violation, pod: PodVerdict | None, nodes: Mapping[str, Mapping[str, str]], spec: Spec
) -> list[str]:
    name = v.pod.name or "pod"
    title = spec.flow.step(v.step).title if v.step in spec.flow.step_ids else v.step
    summary = pod.summary if pod is not None else PodSummary()
    selector = dict(summary.node_selector)
    names = (
        sorted(nodes)
        or sorted({n for n in (summary.node_name, pod.node if pod else "") if n})
        or list(DEFAULT_NODES)
    )
    quoted = [f'"{n}"' for n in names]
    out = [
        f"  # line {v.line}: {v.step}: expected {v.expected}; observed {v.observed}",
        f"  @{v.step}",
        f"  Scenario: {name}: {title[0].lower()}{title[1:]}",
        f"    Given a cluster with nodes {_listed(quoted)}",
    ]
    for node in names:
        wanted = {k: val for k, val in (nodes.get(node) or {}).items() if k in selector}
        if wanted:
            out.append(f'    And the node "{node}" has the labels {_pairs(wanted)}')
    out.extend(_creation(name, summary))
    out.extend(
        f"    {word} {text}"
        for word, text in zip(("Then", *("And",) * 9), _expectations(v, pod, name), strict=False)
    )
    return out


def _creation(name: str, s: PodSummary) -> list[str]:
    """How the pod is made: a short phrase for a plain pod, else its manifest."""
    plain = not s.command and not s.args and s.restart_policy in ("", "Always") and not s.owner
    if plain and s.node_selector and not s.node_name:
        return [
            f'    When I create a pod "{name}" with the nodeSelector '
            f"{_pairs(dict(s.node_selector))}"
        ]
    if plain and s.node_name and not s.node_selector:
        return [f'    When I create a pod "{name}" on the node {s.node_name}']
    manifest = ["apiVersion: v1", "kind: Pod", "metadata:", f"  name: {name}", "spec:"]
    if s.node_name:
        manifest.append(f"  nodeName: {s.node_name}")
    if s.node_selector:
        manifest += [
            "  nodeSelector:",
            *(f"    {k}: {json.dumps(val)}" for k, val in s.node_selector),
        ]
    if s.restart_policy not in ("", "Always"):
        manifest.append(f"  restartPolicy: {s.restart_policy}")
    manifest += [
        "  containers:",
        f"  - name: {s.container or 'app'}",
        f"    image: {s.image or 'busybox:1.36'}",
    ]
    if s.command:
        manifest.append(f"    command: {json.dumps(list(s.command))}")
    if s.args:
        manifest.append(f"    args: {json.dumps(list(s.args))}")
    made_by = [f"    # made by {s.owner} in the run checked"] if s.owner else []
    return [
        *made_by,
        "    When I create this pod:",
        '      """',
        *(f"      {line}" for line in manifest),
        '      """',
    ]


def _expectations(v: Violation, pod: PodVerdict | None, name: str) -> list[str]:
    """What the pod must show, in a user's words, for the kind of rule broken."""
    phase = (pod.phase if pod else "") or "Running"
    node = pod.node if pod else ""
    where = (
        f'the pod "{name}" is Running on the node "{node}"'
        if phase == "Running" and node
        else f'the pod "{name}" is {phase}'
    )
    if v.rule == "forbids-event":
        return [where, f'the pod "{name}" has no "{v.observed.split(" ", 1)[0]}" event']
    if v.rule == "keeps":
        first = v.expected.split("'")[1] if "'" in v.expected else node
        return [
            f'the pod "{name}" is Running on the node "{first}"',
            f'the pod "{name}" stays on the node "{first}"',
        ]
    if v.rule == "pod-phase":
        moves = v.observed.split()
        return [
            f'the pod "{name}" is {moves[1]}',
            f'the phase of the pod "{name}" never goes from "{moves[1]}" to "{moves[3]}"',
        ]
    if v.rule == "restart-policy":
        return [
            where,
            f'the pod "{name}" is not Succeeded while restartPolicy Always restarts its containers',
        ]
    if v.rule == "restarts":
        return [
            f'the pod "{name}" is {phase}',
            f'the restartCount of the pod "{name}" grows only after a container ran and ended',
        ]
    if v.step == "NN-03" or v.rule == "admission":
        return [
            f'the pod "{name}" is Failed with reason "NodeAffinity"',
            f'the pod "{name}" has a Warning event NodeAffinity from kubelet',
        ]
    if v.rule in ("order", "shows") and "spec.nodeName" in v.expected:
        if "PodScheduled" in v.observed:
            return [
                f'the pod "{name}" has the condition PodScheduled "True" only once it is bound to '
                "a node"
            ]
        return [f'the pod "{name}" is bound to a node before any of its containers starts', where]
    if v.rule == "node-affinity":
        return [f'the pod "{name}" is placed on a node that matches its nodeSelector']
    return [f'the pod "{name}" keeps to {v.step}: {v.expected}']


def _pairs(labels: Mapping[str, str]) -> str:
    return ",".join(f"{k}={val}" for k, val in sorted(labels.items()))


def _listed(items: Sequence[str]) -> str:
    """`a`, `a and b`, `a, b and c`."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"
