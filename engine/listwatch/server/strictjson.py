"""Request bodies decoded as kube-apiserver's Go decoder reads them: the one place bodies become
values.

Python's `json` accepts more than Go's `encoding/json` (and `sigs.k8s.io/json`, which kube-apiserver
uses) and gives back values that cannot be encoded again. `decode` closes each gap the Go way:

- `NaN`, `Infinity` and `-Infinity` are not JSON: a syntax error, as in Go;
- a number too large for a float64 (`1e400`) is an error, not infinity;
- the body is UTF-8; an invalid byte in a string becomes U+FFFD, and so does a lone UTF-16
  surrogate escape (`"\\ud800"`): Go's decoder replaces both, so nothing stored is unencodable;
- a key that repeats in one object keeps its last value (Go's rule), and the repeat is reported
  (`Decoded.duplicates`, as field paths) for the caller's field validation to warn or refuse;
- nesting deeper than Go's 10,000 levels is Go's "exceeded max depth" syntax error. Python's
  decoder recurses on the C stack, so listwatch stops earlier, at `MAX_DEPTH` levels (no served
  kind nests a tenth as deep; kube-apiserver would drop such a field as unknown anyway).

Every error is a `ValueError` whose text is what follows "json parse error: " in kube-apiserver's
400 answer.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

#: Go's encoding/json nesting limit (its scanner's maxNestingDepth).
GO_MAX_DEPTH = 10_000
#: The deepest nesting listwatch decodes (see the module docstring).
MAX_DEPTH = 512

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_GO_CONSTANT_ERRORS = {
    "NaN": "invalid character 'N' looking for beginning of value",
    "Infinity": "invalid character 'I' looking for beginning of value",
    "-Infinity": "invalid character 'I' in numeric literal",
}


@dataclass(frozen=True)
class Decoded:
    """A decoded body and the field paths of the keys it repeated (`metadata.name`)."""

    value: Any
    duplicates: list[str] = field(default_factory=list)


def decode(body: bytes) -> Decoded:
    """The JSON value of `body` as Go reads it; ValueError (with Go's wording) when it is not
    JSON."""
    text = body.decode("utf-8", errors="replace")
    _check_depth(text)
    repeated: dict[int, list[str]] = {}
    try:
        value = json.loads(
            text,
            object_pairs_hook=lambda pairs: _object(pairs, repeated),
            parse_constant=_refuse_constant,
            parse_float=_finite_float,
        )
    except RecursionError:
        raise ValueError(_depth_error(GO_MAX_DEPTH + 1)) from None
    if _SURROGATE_ESCAPE.search(text):
        value = _without_surrogates(value, repeated)
    duplicates = _duplicate_paths(value, repeated, "") if repeated else []
    return Decoded(value, duplicates)


def _check_depth(text: str) -> None:
    """Refuse a body nested deeper than MAX_DEPTH before the recursive decoder sees it (at C speed:
    strings removed, then the running depth over the brackets that remain)."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return  # cannot nest deeper than it opens
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    deepest = max(itertools.accumulate(map(_STEP.__getitem__, brackets)), default=0)
    if deepest > MAX_DEPTH:
        raise ValueError(_depth_error(deepest))


def _depth_error(depth: int) -> str:
    if depth > GO_MAX_DEPTH:
        return "invalid character '[' exceeded max depth"
    return f"exceeded max depth (listwatch decodes at most {MAX_DEPTH} nesting levels)"


def _object(pairs: list[tuple[str, Any]], repeated: dict[int, list[str]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        dups = []
        for key, _ in pairs:
            if key in seen and key not in dups:
                dups.append(key)
            seen.add(key)
        repeated[id(obj)] = dups
    return obj


def _refuse_constant(name: str) -> Any:
    raise ValueError(_GO_CONSTANT_ERRORS.get(name, f"invalid character {name[:1]!r}"))


def _finite_float(text: str) -> float:
    number = float(text)
    if math.isinf(number):
        raise ValueError(f"json: cannot unmarshal number {text} into Go value of type float64")
    return number


def _clean(text: str) -> str:
    return _SURROGATE.sub("\ufffd", text)


def _without_surrogates(value: Any, repeated: dict[int, list[str]]) -> Any:
    """`value` with every lone surrogate (in keys and strings) replaced by U+FFFD; a dict that
    changes keeps its record of repeated keys."""
    if isinstance(value, str):
        return _clean(value)
    if isinstance(value, list):
        return [_without_surrogates(item, repeated) for item in value]
    if isinstance(value, dict):
        out = {_clean(k): _without_surrogates(v, repeated) for k, v in value.items()}
        if id(value) in repeated:
            repeated[id(out)] = [_clean(k) for k in repeated.pop(id(value))]
        return out
    return value


def _duplicate_paths(value: Any, repeated: dict[int, list[str]], path: str) -> list[str]:
    found: list[str] = []
    if isinstance(value, dict):
        for key in repeated.get(id(value), ()):
            found.append(f"{path}.{key}" if path else key)
        for key, item in value.items():
            if isinstance(item, dict | list):
                found.extend(_duplicate_paths(item, repeated, f"{path}.{key}" if path else key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, dict | list):
                found.extend(_duplicate_paths(item, repeated, f"{path}[{i}]"))
    return found
