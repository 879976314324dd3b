"""Walk the spec's troubleshooting tree for one pod and report the path, the evidence and the fix.

Exit codes, as `listwatch diagnose` returns them: 0 when the walk ends at a healthy finding, 1 at a
problem, 2 when there is no such pod.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

from listwatch.spec.model import TreeNode, Troubleshooting
from listwatch.troubleshoot.checks import CHECKS
from listwatch.troubleshoot.evidence import EVIDENCE
from listwatch.troubleshoot.facts import Facts, Source
from listwatch.troubleshoot.fixes import FIXES, Fix


@dataclass(frozen=True)
class Diagnosis:
    pod: str
    namespace: str
    path: tuple[tuple[TreeNode, bool], ...]
    finding: TreeNode
    evidence: tuple[str, ...]
    fix: Fix | None

    @property
    def exit_code(self) -> int:
        if self.finding.missing:
            return 2
        return 0 if self.finding.healthy else 1


def diagnose(
    tree: Troubleshooting, source: Source, name: str, namespace: str = "default"
) -> Diagnosis:
    """Read the pod's facts once, then follow the tree from its start to a finding."""
    facts = Facts.read(source, name, namespace, tree.tried_ports, tree.pull_failures)
    node = tree.nodes[tree.start]
    path: list[tuple[TreeNode, bool]] = []
    while not node.is_finding:
        answer = CHECKS[node.check](facts)
        path.append((node, answer))
        node = tree.nodes[node.yes if answer else node.no]
    lines: list[str] = []
    for name_ in node.evidence:
        lines.extend(EVIDENCE[name_](facts))
    fix = FIXES[node.fix](facts) if node.fix else None
    return Diagnosis(name, namespace, tuple(path), node, tuple(lines), fix)


def write(diagnosis: Diagnosis, out: IO[str]) -> None:
    """The report: the questions asked and their answers, the finding, its evidence, its fix."""
    out.write(f"Diagnosis of pod {diagnosis.namespace}/{diagnosis.pod}:\n")
    for node, answer in diagnosis.path:
        out.write(f"  {node.id}  {node.ask}  {'yes' if answer else 'no'}\n")
    finding = diagnosis.finding
    verdict = "healthy" if finding.healthy else ("not found" if finding.missing else "problem")
    out.write(f"  => {finding.id}  {finding.finding}  ({verdict})\n")
    if diagnosis.evidence:
        out.write("Evidence:\n")
        out.writelines(f"  {line}\n" for line in diagnosis.evidence)
    if diagnosis.fix is not None:
        out.write("Fix:\n")
        out.writelines(f"  {command}\n" for command in diagnosis.fix.commands)
    elif not finding.healthy and not finding.missing:
        out.write("Fix: none that can be proposed from what was read\n")


def check_names(tree: Troubleshooting, fail: Callable[[TreeNode, str, str], Exception]) -> None:
    """Every check, evidence and fix the tree names exists; `fail(node, path, expected)` makes the
    error."""
    for node in tree.nodes.values():
        if not node.is_finding and node.check not in CHECKS:
            raise fail(
                node, "check", f"a check ({', '.join(sorted(CHECKS))}), found {node.check!r}"
            )
        for i, name in enumerate(node.evidence):
            if name not in EVIDENCE:
                raise fail(
                    node,
                    f"evidence[{i}]",
                    f"an evidence reader ({', '.join(sorted(EVIDENCE))}), found {name!r}",
                )
        if node.fix and node.fix not in FIXES:
            raise fail(node, "fix", f"a fix ({', '.join(sorted(FIXES))}), found {node.fix!r}")
