"""Label and field selectors, parsed and matched as the Kubernetes API server does.

The string syntax is parsed here; requirements are matched in `rules.selectors` (one
implementation for strings, nodeSelectors and API selectors alike). Label selectors: `a=b`,
`a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a` (exists), `!a` (does not exist), joined by commas
(all must hold). Field selectors: `path=value`, `path==value`, `path!=value`;
a resource declares which paths it supports (`spec.nodeName`, `status.phase`, ...).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from listwatch.errors import BadRequest
from listwatch.rules import selectors
from listwatch.rules.selectors import LabelSelector as LabelSelector
from listwatch.rules.selectors import Requirement as Requirement

_KEY = re.compile(
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$"
)
_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


def _split_top(text: str) -> list[str]:
    """Split on commas that are not inside parentheses."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


_SET = re.compile(r"^(?P<key>\S+)\s+(?P<op>in|notin)\s+\((?P<values>[^)]*)\)$")


def parse_label_selector(text: str | None) -> LabelSelector:
    """Parse a label selector string; a malformed one is a 400 BadRequest, as on the API server."""
    if not text:
        return LabelSelector()
    requirements = []
    for part in _split_top(text):
        m = _SET.match(part)
        if m:
            values = frozenset(v.strip() for v in m.group("values").split(",") if v.strip())
            requirements.append(_requirement(m.group("key"), m.group("op"), values, text))
            continue
        for op in ("!=", "==", "="):
            if op in part:
                key, _, value = part.partition(op)
                requirements.append(
                    _requirement(
                        key.strip(), "!=" if op == "!=" else "=", frozenset([value.strip()]), text
                    )
                )
                break
        else:
            if part.startswith("!"):
                requirements.append(_requirement(part[1:].strip(), "!", frozenset(), text))
            else:
                requirements.append(_requirement(part, "exists", frozenset(), text))
    return LabelSelector(tuple(requirements))


def _requirement(key: str, op: str, values: frozenset[str], text: str) -> Requirement:
    if not _KEY.match(key):
        raise BadRequest(
            f"unable to parse requirement: invalid label key {key!r} in selector {text!r}"
        )
    for value in values:
        if len(value) > 63 or not _VALUE.match(value):
            raise BadRequest(
                f"unable to parse requirement: invalid label value {value!r} in selector {text!r}"
            )
    return Requirement(key, op, values)


#: A selector requiring every key=value of a map (a nodeSelector, an RC's selector).
selector_from_map = selectors.from_map


def valid_label_key(key: str) -> bool:
    return bool(_KEY.match(key)) and len(key.rpartition("/")[2]) <= 63


def valid_label_value(value: str) -> bool:
    return len(value) <= 63 and bool(_VALUE.match(value))


@dataclass(frozen=True, slots=True)
class FieldRequirement:
    field: str
    value: str
    equal: bool


@dataclass(frozen=True, slots=True)
class FieldSelector:
    requirements: tuple[FieldRequirement, ...] = ()

    def matches(self, obj: Mapping[str, Any]) -> bool:
        """Whether every requirement holds for the object (an unset field reads as "")."""
        for r in self.requirements:  # noqa: SIM110 - a plain loop: this runs for every watch and event
            if (field_value(obj, r.field) == r.value) is not r.equal:
                return False
        return True

    @property
    def empty(self) -> bool:
        return not self.requirements

    def exact(self, field: str) -> str | None:
        """The value `field` must equal, when the selector pins it (used to index watchers)."""
        for r in self.requirements:
            if r.field == field and r.equal:
                return r.value
        return None

    def __str__(self) -> str:
        return ",".join(f"{r.field}{'=' if r.equal else '!='}{r.value}" for r in self.requirements)


def parse_field_selector(
    text: str | None, supported: frozenset[str] | None = None, *, resource: str = ""
) -> FieldSelector:
    """Parse a field selector; a field the resource does not support is a 400, as on the API
    server."""
    if not text:
        return FieldSelector()
    requirements = []
    for part in _split_top(text):
        for op in ("!=", "==", "="):
            if op in part:
                field, _, value = part.partition(op)
                field = field.strip()
                if supported is not None and field not in supported:
                    raise BadRequest(
                        f"field label not supported: {field}"
                        + (f" (for {resource})" if resource else "")
                    )
                requirements.append(FieldRequirement(field, value.strip(), op != "!="))
                break
        else:
            raise BadRequest(
                f"invalid selector: {text!r}; expected key=value, key==value or key!=value"
            )
    return FieldSelector(tuple(requirements))


_PATHS: dict[str, tuple[str, ...]] = {}
#: What an unset field compares as when it is not "": a bool's field set formats it
#: (strconv.FormatBool), so an unset `spec.unschedulable` is "false", as on v1.32.
UNSET: Mapping[str, str] = {
    "spec.unschedulable": "false",
    "spec.hostNetwork": "false",
    "status.successful": "0",
}
#: Field labels that are not a path of the object: an Event's `source` is its source component,
#: or its reporting component when it has none (events written through events.k8s.io).
COMPUTED: Mapping[str, tuple[str, ...]] = {"source": ("source.component", "reportingComponent")}


def field_value(obj: Mapping[str, Any], path: str) -> str:
    """A dotted field path of an API object, as the string a field selector compares ("" when
    unset, or what `UNSET` says)."""
    computed = COMPUTED.get(path)
    if computed is not None:
        return next((v for v in (field_value(obj, p) for p in computed) if v), "")
    parts = _PATHS.get(path)
    if parts is None:
        parts = _PATHS[path] = tuple(path.split("."))
    value: Any = obj
    for part in parts:
        if type(value) is not dict:
            return UNSET.get(path, "")
        value = value.get(part)
        if value is None:
            return UNSET.get(path, "")
    if value is True or value is False:
        return "true" if value else "false"
    return value if type(value) is str else str(value)
