"""Node fit: a pod's `nodeSelector` AND its required node affinity, as the scheduler's NodeAffinity
filter and the kubelet's admission decide it (component-helpers `GetRequiredNodeAffinity`).

Required affinity (`requiredDuringSchedulingIgnoredDuringExecution`): `nodeSelectorTerms` are
ORed; within a term `matchExpressions` (on labels: In, NotIn, Exists, DoesNotExist, Gt, Lt) and
`matchFields` (on `metadata.name`) are ANDed. A term with neither matches nothing, as does a term
with an invalid requirement, and so does an empty list of terms.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from listwatch.rules import selectors

Labels = Mapping[str, str]
#: The only field a node selector term may match on.
NAME_FIELD = "metadata.name"


@dataclass(frozen=True, slots=True)
class Term:
    """One node selector term: its label requirements and its field (name) requirements."""

    labels: selectors.LabelSelector
    fields: selectors.LabelSelector

    def matches(self, labels: Labels, name: str) -> bool:
        return self.labels.matches(labels) and self.fields.matches({NAME_FIELD: name})


@dataclass(frozen=True, slots=True)
class NodeFit:
    """A pod's node constraints, compiled once and tried against many nodes (the scheduler's
    hot path)."""

    selector: selectors.LabelSelector
    #: The terms of the required affinity, or None when the pod has none.
    terms: tuple[Term, ...] | None
    #: The label keys the constraints read (to show a node's values beside the pod's wishes).
    keys: frozenset[str]

    @property
    def constrained(self) -> bool:
        """Whether any node could fail it."""
        return not self.selector.empty or self.terms is not None

    def matches(self, labels: Labels | None, name: str = "") -> bool:
        labels = labels or {}
        if not self.selector.matches(labels):
            return False
        return self.terms is None or any(t.matches(labels, name) for t in self.terms)


def node_fit(pod_spec: Mapping[str, Any]) -> NodeFit:
    """The node constraints of a pod's spec."""
    node_selector = pod_spec.get("nodeSelector") or {}
    required = ((pod_spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    )
    keys = set(node_selector)
    terms: tuple[Term, ...] | None = None
    if required is not None:
        compiled = []
        for term in required.get("nodeSelectorTerms") or ():
            expressions = term.get("matchExpressions") or ()
            fields = term.get("matchFields") or ()
            keys.update(str(e.get("key", "")) for e in expressions)
            on_labels = selectors.from_expressions(expressions)
            on_fields = selectors.from_expressions(fields)
            if (
                (expressions or fields)
                and on_labels is not None
                and on_fields is not None
                and all(f.get("key") == NAME_FIELD for f in fields)
            ):
                compiled.append(Term(on_labels, on_fields))
        terms = tuple(compiled)
    return NodeFit(selectors.from_map(node_selector), terms, frozenset(keys))


def fits_node(pod: Mapping[str, Any], node: Mapping[str, Any]) -> bool:
    """Whether the node passes the pod's nodeSelector and required node affinity."""
    metadata = node.get("metadata") or {}
    return node_fit(pod.get("spec") or {}).matches(
        metadata.get("labels") or {}, str(metadata.get("name", ""))
    )
