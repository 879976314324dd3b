"""Label selectors matched as apimachinery's `labels` package does: requirements, all of which must
hold, over a label map.

A `metav1.LabelSelector` (`matchLabels` + `matchExpressions`) becomes one through `from_api`
(`LabelSelectorAsSelector`: an empty selector matches everything, a nil one nothing). Node
affinity builds its requirements here too, so that `Gt`/`Lt` live in the same place as `In`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

Labels = Mapping[str, str]

#: Operators, spelled as apimachinery's `selection.Operator` (and the string selector syntax).
EQUALS, NOT_EQUALS, IN, NOT_IN = "=", "!=", "in", "notin"
EXISTS, DOES_NOT_EXIST, GREATER_THAN, LESS_THAN = "exists", "!", "gt", "lt"

#: The API's operator names (metav1.LabelSelectorOperator, v1.NodeSelectorOperator).
API_OPERATORS: Mapping[str, str] = {
    "In": IN,
    "NotIn": NOT_IN,
    "Exists": EXISTS,
    "DoesNotExist": DOES_NOT_EXIST,
    "Gt": GREATER_THAN,
    "Lt": LESS_THAN,
}


@dataclass(frozen=True, slots=True)
class Requirement:
    """One requirement on a label map: `key in (a,b)`, `!key`, `key gt 3` ..."""

    key: str
    op: str
    values: frozenset[str] = frozenset()

    def matches(self, labels: Labels) -> bool:
        """labels.Requirement.Matches: a missing key fails In/=/Exists/Gt/Lt and passes
        NotIn/!=/DoesNotExist; Gt and Lt compare integers, a non-integer label fails."""
        op = self.op
        if op in (IN, EQUALS):
            return labels.get(self.key) in self.values
        if op in (NOT_IN, NOT_EQUALS):
            return labels.get(self.key) not in self.values
        if op == EXISTS:
            return self.key in labels
        if op == DOES_NOT_EXIST:
            return self.key not in labels
        value = _integer(labels.get(self.key))
        bound = _integer(next(iter(self.values), None)) if len(self.values) == 1 else None
        if value is None or bound is None:
            return False
        return value > bound if op == GREATER_THAN else value < bound


def _integer(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class LabelSelector:
    """Requirements that must all hold; no requirements matches every label map."""

    requirements: tuple[Requirement, ...] = ()

    def matches(self, labels: Labels | None) -> bool:
        labels = labels or {}
        return all(r.matches(labels) for r in self.requirements)

    @property
    def empty(self) -> bool:
        return not self.requirements

    def __str__(self) -> str:
        """The string syntax of a selector (labels.Selector.String)."""
        parts = []
        for r in self.requirements:
            if r.op in (EQUALS, NOT_EQUALS):
                parts.append(f"{r.key}{r.op}{next(iter(r.values))}")
            elif r.op in (IN, NOT_IN):
                parts.append(f"{r.key} {r.op} ({','.join(sorted(r.values))})")
            elif r.op in (GREATER_THAN, LESS_THAN):
                parts.append(f"{r.key}{'>' if r.op == GREATER_THAN else '<'}{next(iter(r.values))}")
            else:
                parts.append(r.key if r.op == EXISTS else f"!{r.key}")
        return ",".join(parts)


def from_map(labels: Labels | None) -> LabelSelector:
    """SelectorFromSet: every key=value of a map (a nodeSelector, an RC's selector); an empty or
    missing map matches everything."""
    return LabelSelector(
        tuple(Requirement(k, EQUALS, frozenset([v])) for k, v in sorted((labels or {}).items()))
    )


def from_expressions(expressions: Iterable[Mapping[str, Any]]) -> LabelSelector | None:
    """Requirements from API expressions (`{key, operator, values}`); None when one is invalid
    (an unknown operator, In/NotIn without values, Exists/DoesNotExist with values, Gt/Lt without
    exactly one integer), which Kubernetes treats as matching nothing."""
    requirements = []
    for expression in expressions:
        op = API_OPERATORS.get(str(expression.get("operator", "")))
        values = frozenset(str(v) for v in expression.get("values") or ())
        if op is None or not _valid(op, values):
            return None
        requirements.append(Requirement(str(expression.get("key", "")), op, values))
    return LabelSelector(tuple(requirements))


def _valid(op: str, values: frozenset[str]) -> bool:
    if op in (IN, NOT_IN):
        return bool(values)
    if op in (EXISTS, DOES_NOT_EXIST):
        return not values
    return len(values) == 1 and _integer(next(iter(values))) is not None


def from_api(selector: Mapping[str, Any] | None) -> LabelSelector | None:
    """LabelSelectorAsSelector: matchLabels and matchExpressions ANDed; None for a nil selector
    or an invalid expression (both select nothing), an empty selector selects everything."""
    if selector is None:
        return None
    expressions = from_expressions(selector.get("matchExpressions") or ())
    if expressions is None:
        return None
    labels = from_map(selector.get("matchLabels")).requirements
    return LabelSelector(labels + expressions.requirements)


def selects(selector: Mapping[str, Any] | None, labels: Labels | None) -> bool:
    """Whether a metav1.LabelSelector selects these labels (nil selects nothing)."""
    compiled = from_api(selector)
    return compiled is not None and compiled.matches(labels)
