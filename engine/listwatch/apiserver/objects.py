"""Helpers for Kubernetes API objects held as plain JSON-like dicts.

Objects handed out by the API (get, list, watch) are shared and must be treated as read-only;
write paths build new dicts with `replace`, which copies only the levels it changes, so that
successive revisions of an object share everything that did not change.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

Obj = dict[str, Any]

#: The alphabet Kubernetes uses for generated name suffixes (no vowels, no look-alike characters).
NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("metadata") or {}


def name_of(obj: Mapping[str, Any]) -> str:
    return meta(obj).get("name", "")  # type: ignore[no-any-return]


def namespace_of(obj: Mapping[str, Any]) -> str:
    return meta(obj).get("namespace", "")  # type: ignore[no-any-return]


def uid_of(obj: Mapping[str, Any]) -> str:
    return meta(obj).get("uid", "")  # type: ignore[no-any-return]


def labels_of(obj: Mapping[str, Any]) -> Mapping[str, str]:
    return meta(obj).get("labels") or {}


def rv_of(obj: Mapping[str, Any]) -> str:
    return meta(obj).get("resourceVersion", "")  # type: ignore[no-any-return]


def controller_of(obj: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The ownerReference marked `controller: true`, if any."""
    for ref in meta(obj).get("ownerReferences") or ():
        if ref.get("controller"):
            return ref  # type: ignore[no-any-return]
    return None


def get_path(obj: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path (`spec.template`), None where it is absent."""
    value: Any = obj
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def replace(obj: Mapping[str, Any], path: str, value: Any) -> Obj:
    """A copy of `obj` with the dotted `path` set to `value`; only the dicts along the path are
    copied."""
    head, _, rest = path.partition(".")
    new = dict(obj)
    if rest:
        new[head] = replace(obj.get(head) or {}, rest, value)
    elif value is None:
        new.pop(head, None)
    else:
        new[head] = value
    return new


def deep_copy(value: Any) -> Any:
    """A copy of a JSON-like value (dicts, lists, scalars), faster than `copy.deepcopy`."""
    if isinstance(value, dict):
        return {k: deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [deep_copy(v) for v in value]
    return value


def reuse(new: Any, old: Any) -> Any:
    """`new`, with every part equal to the same part of `old` replaced by old's object.

    Successive revisions of an object then share what did not change, so history costs only the
    difference (objects are never mutated once stored, so sharing is safe).
    """
    if new == old:
        return old
    if type(new) is dict and type(old) is dict:
        return {k: reuse(v, old[k]) if k in old else v for k, v in new.items()}
    if type(new) is list and type(old) is list and len(new) == len(old):
        return [b if a == b else a for a, b in zip(new, old, strict=True)]
    return new


def condition(obj: Mapping[str, Any], type_: str) -> Mapping[str, Any] | None:
    for c in (obj.get("status") or {}).get("conditions") or ():
        if c.get("type") == type_:
            return c  # type: ignore[no-any-return]
    return None


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch: null deletes, objects merge, everything else replaces."""
    if not isinstance(patch, Mapping):
        return deep_copy(patch)
    result = dict(target) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


class Identity:
    """Makes uids and generated-name suffixes; seeded, so a simulated run is reproducible."""

    def __init__(self, seed: int | None = 0) -> None:
        self._random = random.Random(seed)

    def uid(self) -> str:
        """A random (version 4) UUID, as Kubernetes gives every object."""
        bits = (self._random.getrandbits(128) & ~(0xF000 << 64) | (0x4000 << 64)) & ~(
            0xC000 << 48
        ) | (0x8000 << 48)
        text = f"{bits:032x}"
        return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"

    def suffix(self, length: int = 5) -> str:
        return "".join(self._random.choice(NAME_ALPHABET) for _ in range(length))

    def random_int(self, low: int, high: int) -> int:
        return self._random.randint(low, high)

    def hex(self, length: int = 16) -> str:
        return f"{self._random.getrandbits(length * 4):0{length}x}"
